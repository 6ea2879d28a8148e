// Package parser reads Apache httpd configuration syntax into an AST.
//
// It knows the file format (logical lines, continuation, quoting, comments,
// nested <Section> blocks), and the read-phase directives that Apache itself
// evaluates while reading: Include/IncludeOptional, Define/UnDefine, ${VAR}
// substitution, LoadModule bookkeeping and the conditional sections
// (<IfModule>, <IfDefine>, <IfVersion>, <IfFile>, <IfDirective>, <IfSection>).
// It knows nothing of what other directives mean: every other directive and
// section is kept as a generic Directive node for package directives to
// interpret.
package parser

import "fmt"

// Pos is a position in a configuration file.
//
// Line is the line Apache reports for the directive: for a logical line made
// of several physical lines joined by backslash continuation it is the last
// physical line. Col is the 1-based byte column of the directive name on its
// first physical line.
type Pos struct {
	File string // path as opened (absolute once ServerRoot is applied)
	Line int    // 1-based; 0 means "no position" (e.g. -C/-c directives)
	Col  int    // 1-based
}

// String formats the position as FILE:LINE:COL (or FILE:LINE when Col is 0).
func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "-"
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

// IsValid reports whether the position names a file line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Arg is one word of a directive's argument string, tokenised with Apache's
// ap_getword_conf rules (quotes removed, escapes applied).
//
// Pos.Line is the directive's line as Apache reports it (the last physical
// line of a continued line); Pos.Col is the column of the word's first byte
// (its opening quote if quoted) in the physical line where the word starts.
// A word produced by ${VAR} substitution points at the '$'.
type Arg struct {
	Value  string
	Quoted bool // the word was written in single or double quotes
	Pos    Pos
}

// Directive is one directive or one section of a configuration.
//
// A section (<Location /x> ... </Location>) is a Directive with IsSection set;
// its Name has no angle brackets ("Location"), Args are the opener's arguments
// and Block holds the directives inside it.
type Directive struct {
	Pos  Pos
	Name string // as written, without '<' for sections; compare case-insensitively
	Args []Arg
	// Raw is the argument text after ${VAR} substitution and before
	// tokenising, with surrounding whitespace removed. Directives that Apache
	// declares RAW_ARGS (ProxyPass, Header, section openers, ...) split it
	// themselves; most code should use Args. For a section, Raw is the
	// opener's text up to its last '>' (Apache ignores anything after it).
	Raw string

	IsSection bool
	Block     []*Directive // children of a section, in file order
	End       Pos          // position of the closing tag of a section

	// IncludedFrom is the chain of Include directives (outermost first)
	// through which this directive's file was read; empty for the main file.
	IncludedFrom []Pos
}

// ArgValues returns the argument values as plain strings.
func (d *Directive) ArgValues() []string {
	out := make([]string, len(d.Args))
	for i, a := range d.Args {
		out[i] = a.Value
	}
	return out
}

// Severity classifies a Diagnostic.
type Severity int

// Severities, from least to most serious.
const (
	Info Severity = iota
	Warning
	Error
)

// String returns "info", "warning" or "error".
func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	default:
		return "error"
	}
}

// Diagnostic is one finding about a configuration: a syntax error, a
// directive Apache would reject, or a lint warning. Diagnostics are values;
// they are formatted only when printed.
type Diagnostic struct {
	Pos       Pos
	Severity  Severity
	Code      string // stable identifier, e.g. "syntax", "unclosed-section", "sticky-cookie-unset"
	Directive string // directive or section name the finding is about, if any
	Message   string // says what is wrong and how to fix it

	// IncludedFrom is the chain of Include directives (outermost first)
	// through which Pos.File was read; empty for the main file. It lets a
	// caller print Apache's nested "Syntax error on line N of FILE:"
	// prefixes.
	IncludedFrom []Pos

	// Apache is Apache's own text for this problem, without balancerd's
	// hint (Message starts with it, usually); empty when Apache has no
	// such message. See ApacheError.
	Apache string

	// ReadPhase marks errors Apache detects while reading the files
	// (sections, Include, Define, conditional sections). They stop Apache
	// before any directive is processed, so they win over every
	// processing-phase error.
	ReadPhase bool
}

// String formats the diagnostic as FILE:LINE:COL: severity: message [code].
func (d Diagnostic) String() string {
	s := fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Message)
	if d.Code != "" {
		s += " [" + d.Code + "]"
	}
	return s
}

// Diagnostics is a list of findings.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic is an Error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}
