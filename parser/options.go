package parser

// Options controls how a configuration is read. The zero value reads a file
// with no defines, no environment, ServerRoot "." and no known modules.
type Options struct {
	// ServerRoot resolves relative Include paths and <IfFile> tests
	// (httpd -d). Empty means the directory of the main file's caller: ".".
	ServerRoot string

	// Defines are parameters set before reading, as with httpd -D NAME.
	// A value of "NAME=value" also sets the variable NAME.
	Defines []string

	// Env looks up ${VAR} references that no Define set (Apache falls back
	// to the process environment). Nil means no environment.
	Env func(name string) (string, bool)

	// Before and After are directives given with -C and -c: read before and
	// after the main file respectively, at the top level.
	Before, After []string

	// ModuleBuiltin reports whether a module counts as loaded without a
	// LoadModule line (balancerd implements it). The argument is either the
	// module identifier ("rewrite_module") or its source name
	// ("mod_rewrite.c"). Nil means no module is built in.
	ModuleBuiltin func(name string) bool

	// DirectiveKnown and SectionKnown answer <IfDirective> and <IfSection>
	// (names without angle brackets, case-insensitive). Nil means unknown.
	DirectiveKnown func(name string) bool
	SectionKnown   func(name string) bool

	// Version answers <IfVersion>; empty means "2.4.67".
	Version string

	// HTAccess parses with .htaccess limits (8192-byte logical lines).
	HTAccess bool

	// fsys replaces the file system in tests; nil means the real one.
	fsys fileSystem

	// grammarOnly makes tests parse every line with the participle grammar,
	// bypassing scanLine, to compare the two paths.
	grammarOnly bool
}

// Result is a parsed configuration with read-phase directives evaluated:
// Include/IncludeOptional lines and conditional sections are replaced in
// place by the directives they yield (each keeps its own Pos.File and
// IncludedFrom chain), and ${VAR} references are substituted. Define,
// UnDefine and LoadModule stay in the tree so that package directives can
// validate them.
//
// The entry points are ParseFile(path, Options) *Result and
// ParseBytes(name, src, Options) *Result; they never fail outright: every
// problem is a Diagnostic in Result.Diags, and Directives holds all that
// could be read.
type Result struct {
	Directives []*Directive
	Files      []string          // every file read, in reading order
	Defines    map[string]string // parameters (-D, Define) at the end of reading; value "" if none
	Modules    []LoadedModule    // LoadModule lines seen, in order
	Diags      Diagnostics       // read-phase errors and warnings (e.g. AH00111 undefined variable)
	// Texts holds the contents of the files of Files that were read from
	// the file system (ParseFile and Include; not ParseBytes' source), as
	// read, so that later checks need not read them again. The directives'
	// texts are substrings of these strings, so keeping them costs nothing.
	Texts map[string]string
}

// LoadedModule is one LoadModule line.
type LoadedModule struct {
	Name string // module identifier, e.g. "proxy_module"
	Path string // shared object path as written
	Pos  Pos
}
