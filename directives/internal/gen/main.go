// Command gen regenerates directives/specs_gen.go from a real Apache httpd:
// it loads every module of /usr/lib/apache2/modules (with mpm_event only),
// lists the directives with `apache2 -L`, and probes each directive with
// `apache2 -t` to learn its argument shape and the contexts it is allowed
// in, with the exact kind of message Apache gives elsewhere.
//
// Run it with `go generate ./directives` on a machine with Debian's apache2.
// The generated table is committed; nothing depends on apache2 at build or
// test time.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
)

type entry struct {
	Name, Source, Module, Help string
	Category                   string // anywhere, outside, inside
	HTAccess                   bool
	Overrides                  []string // AllowOverride groups; ["All"] for "isn't None"
	Section                    bool
	Shape                      string
	Allowed                    []string // contexts where allowed
	NotIn                      []string // contexts where "cannot occur within"
	NotInMsg                   map[string]string
}

type module struct{ ID, Source, File string }

var (
	apacheBin = flag.String("apache", "/usr/sbin/apache2", "apache2 binary")
	modDir    = flag.String("modules", "/usr/lib/apache2/modules", "module directory")
	loadDir   = flag.String("loads", "/etc/apache2/mods-available", "Debian *.load files (module identifiers)")
	out       = flag.String("o", "specs_gen.go", "output file")
)

func main() {
	flag.Parse()
	tmp, err := os.MkdirTemp("", "balancerd-gen")
	check(err)
	defer os.RemoveAll(tmp)

	mods := modules()
	var base strings.Builder
	fmt.Fprintf(&base, "ServerRoot %s\nPidFile %s/pid\nErrorLog %s/error.log\nMutex file:%s\nServerName gen.test\n", tmp, tmp, tmp, tmp)
	for _, m := range mods {
		if m.File == "" || m.File == "mod_mpm_prefork.so" || m.File == "mod_mpm_worker.so" {
			continue
		}
		fmt.Fprintf(&base, "LoadModule %s %s\n", m.ID, filepath.Join(*modDir, m.File))
	}
	baseConf := base.String()
	baseLines := strings.Count(baseConf, "\n")

	conf := filepath.Join(tmp, "all.conf")
	check(os.WriteFile(conf, []byte(baseConf), 0o644))
	L, err := exec.Command(*apacheBin, "-f", conf, "-L").Output()
	check(err)
	entries := parseL(string(L))
	srcToID := map[string]string{}
	for _, m := range mods {
		srcToID[m.Source] = m.ID
	}
	for _, e := range entries {
		e.Module = srcToID[e.Source]
		if e.Module == "" {
			log.Fatalf("no module identifier for %s (%s)", e.Name, e.Source)
		}
	}

	probeWith := func(baseConf string, i int, snippet string) string {
		f := filepath.Join(tmp, fmt.Sprintf("p%d.conf", i))
		check(os.WriteFile(f, []byte(baseConf+snippet+"\n"), 0o644))
		outb, _ := exec.Command(*apacheBin, "-f", f, "-t").CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
		last := lines[len(lines)-1]
		_ = baseLines
		// Read-phase (EXEC_ON_READ) errors carry a one-line prefix.
		return readPrefix.ReplaceAllString(last, "")
	}

	probeAll := func(baseConf string, entries []*entry) {
		var wg sync.WaitGroup
		work := make(chan *entry)
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for e := range work {
					probeEntry(e, func(s string) string { return probeWith(baseConf, w, s) })
				}
			}(w)
		}
		for _, e := range entries {
			work <- e
		}
		close(work)
		wg.Wait()
	}
	probeAll(baseConf, entries)

	// The other MPMs' own directives (MinSpareServers, ...), probed with
	// that MPM loaded instead of event.
	known := map[string]bool{}
	for _, e := range entries {
		known[strings.ToLower(e.Name)] = true
	}
	eventLine := fmt.Sprintf("LoadModule mpm_event_module %s\n", filepath.Join(*modDir, "mod_mpm_event.so"))
	for _, mpm := range []struct{ id, file string }{{"mpm_prefork_module", "mod_mpm_prefork.so"}, {"mpm_worker_module", "mod_mpm_worker.so"}} {
		alt := strings.Replace(baseConf, eventLine, fmt.Sprintf("LoadModule %s %s\n", mpm.id, filepath.Join(*modDir, mpm.file)), 1)
		f := filepath.Join(tmp, mpm.id+".conf")
		check(os.WriteFile(f, []byte(alt), 0o644))
		L, err := exec.Command(*apacheBin, "-f", f, "-L").Output()
		check(err)
		var extra []*entry
		for _, e := range parseL(string(L)) {
			if known[strings.ToLower(e.Name)] {
				continue
			}
			known[strings.ToLower(e.Name)] = true
			e.Module = mpm.id
			extra = append(extra, e)
		}
		probeAll(alt, extra)
		entries = append(entries, extra...)
	}

	version, _ := exec.Command(*apacheBin, "-v").Output()
	emit(entries, mods, strings.SplitN(string(version), "\n", 2)[0])
}

var ctxWrap = []struct{ ctx, open, close string }{
	{"Server", "", ""},
	{"VHost", "<VirtualHost *:80>", "</VirtualHost>"},
	{"Directory", "<Directory /x>", "</Directory>"},
	{"Location", "<Location /x>", "</Location>"},
	{"Files", "<Files x>", "</Files>"},
	{"Proxy", "<Proxy http://x>", "</Proxy>"},
	{"If", "<If \"true\">", "</If>"},
	{"Limit", "<Directory /x>\n<Limit GET>", "</Limit>\n</Directory>"},
}

var shapes = []struct{ msg, shape string }{
	{" takes one argument", "Take1"},
	{" takes two arguments", "Take2"},
	{" takes 1-2 arguments", "Take12"},
	{" takes three arguments", "Take3"},
	{" takes two or three arguments", "Take23"},
	{" takes one, two or three arguments", "Take123"},
	{" takes one or three arguments", "Take13"},
	{" requires at least one argument", "Iterate"},
	{" requires at least two arguments", "Iterate2"},
	{" must be On or Off", "Flag"},
}

func wrap(ctx string, line string) string {
	for _, w := range ctxWrap {
		if w.ctx == ctx {
			if w.open == "" {
				return line
			}
			return w.open + "\n" + line + "\n" + w.close
		}
	}
	panic(ctx)
}

func probeEntry(e *entry, probe func(string) string) {
	name := e.Name
	home := "Server"
	if e.Category == "inside" {
		home = "Directory"
	}
	dummy := "x"
	if e.Section {
		e.Shape = "Raw"
	} else {
		msg := probe(wrap(home, name))
		e.Shape = ""
		for _, s := range shapes {
			// Only invoke_cmd's own message (with the help string) tells
			// the shape; a handler's look-alike text means RAW/TAKE_ARGV.
			want := name + s.msg
			if s.shape != "Flag" && e.Help != "" {
				want += ", " + e.Help
			}
			if msg == want {
				e.Shape = s.shape
			}
		}
		if e.Shape == "" {
			msg = probe(wrap(home, name+" x"))
			if strings.HasPrefix(msg, name+" takes no arguments") {
				e.Shape = "NoArgs"
			} else {
				e.Shape = "Raw"
			}
		}
		switch e.Shape {
		case "NoArgs":
			dummy = ""
		case "Flag":
			dummy = "On"
		case "Take2", "Take23", "Iterate2":
			dummy = "x x"
		case "Take3":
			dummy = "x x x"
		}
	}
	e.NotInMsg = map[string]string{}
	for _, w := range ctxWrap {
		line := strings.TrimSpace(name + " " + dummy)
		if e.Section {
			line = name + " x>\n</" + name[1:] + ">"
		}
		msg := probe(wrap(w.ctx, line))
		switch {
		case strings.HasPrefix(msg, name+" not allowed"):
		case strings.Contains(msg, " cannot occur within "):
			e.NotIn = append(e.NotIn, w.ctx)
			e.NotInMsg[w.ctx] = msg
		default:
			e.Allowed = append(e.Allowed, w.ctx)
		}
	}
}

var readPrefix = regexp.MustCompile(`^apache2: Syntax error on line \d+ of [^:]+: `)

var headRE = regexp.MustCompile(`^(\S+) \(([^)]+\.c)\)$`)

func parseL(s string) []*entry {
	var out []*entry
	var cur *entry
	var help []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := map[string]int{}
	for sc.Scan() {
		line := sc.Text()
		if m := headRE.FindStringSubmatch(line); m != nil {
			cur = &entry{Name: m[1], Source: m[2], Section: strings.HasPrefix(m[1], "<")}
			help = nil
			// A directive two modules define (AuthName, ScriptLog, ...):
			// Apache dispatches to the one listed last.
			if i, dup := seen[strings.ToLower(cur.Name)]; dup {
				log.Printf("duplicate %s, keeping the last (%s)", cur.Name, cur.Source)
				out[i] = cur
				continue
			}
			seen[strings.ToLower(cur.Name)] = len(out)
			out = append(out, cur)
			continue
		}
		if cur == nil {
			continue
		}
		t := strings.TrimPrefix(line, "\t")
		switch {
		case strings.HasPrefix(t, "Allowed in *.conf "):
			cur.Help = strings.Join(help, "\n")
			rest := strings.TrimPrefix(t, "Allowed in *.conf ")
			switch {
			case strings.HasPrefix(rest, "anywhere"):
				cur.Category = "anywhere"
			case strings.HasPrefix(rest, "only outside"):
				cur.Category = "outside"
			default:
				cur.Category = "inside"
			}
			cur.HTAccess = strings.Contains(rest, "and in .htaccess")
		case strings.HasPrefix(t, "when AllowOverride "):
			r := strings.TrimPrefix(t, "when AllowOverride ")
			if r == "isn't None" {
				cur.Overrides = []string{"All"}
			} else {
				r = strings.TrimPrefix(r, "includes ")
				for _, g := range strings.Split(r, " or ") {
					cur.Overrides = append(cur.Overrides, strings.TrimSpace(g))
				}
			}
		default:
			help = append(help, t)
		}
	}
	return out
}

// modules lists every module: the compiled-in ones and the shared objects.
func modules() []module {
	ids := map[string]string{} // file -> identifier
	if fs, _ := filepath.Glob(filepath.Join(*loadDir, "*.load")); fs != nil {
		for _, f := range fs {
			b, _ := os.ReadFile(f)
			for _, l := range strings.Split(string(b), "\n") {
				w := strings.Fields(l)
				if len(w) == 3 && strings.EqualFold(w[0], "LoadModule") {
					ids[filepath.Base(w[2])] = w[1]
				}
			}
		}
	}
	var out []module
	l, err := exec.Command(*apacheBin, "-l").Output()
	check(err)
	builtinIDs := map[string]string{"core.c": "core_module", "http_core.c": "http_module", "mod_so.c": "so_module"}
	for _, line := range strings.Split(string(l), "\n") {
		src := strings.TrimSpace(line)
		if !strings.HasSuffix(src, ".c") {
			continue
		}
		id := builtinIDs[src]
		if id == "" {
			id = strings.TrimSuffix(strings.TrimPrefix(src, "mod_"), ".c") + "_module"
		}
		out = append(out, module{ID: id, Source: src})
	}
	fs, err := filepath.Glob(filepath.Join(*modDir, "mod_*.so"))
	check(err)
	sort.Strings(fs)
	for _, f := range fs {
		file := filepath.Base(f)
		id := ids[file]
		if id == "" {
			id = strings.TrimSuffix(strings.TrimPrefix(file, "mod_"), ".so") + "_module"
		}
		src := strings.TrimSuffix(file, ".so") + ".c"
		switch file {
		case "mod_ldap.so":
			src = "util_ldap.c"
		case "mod_mpm_event.so":
			src = "event.c"
		case "mod_mpm_prefork.so":
			src = "prefork.c"
		case "mod_mpm_worker.so":
			src = "worker.c"
		}
		out = append(out, module{ID: id, Source: src, File: file})
	}
	return out
}

func emit(entries []*entry, mods []module, version string) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by directives/internal/gen from `apache2 -L` and `apache2 -t` probes of %s with every Debian module loaded. DO NOT EDIT.\n\n", strings.TrimSpace(version))
	b.WriteString("package directives\n\n")
	b.WriteString("// standardSpecs lists every directive and section of Apache's standard\n// modules, as the real server reports them.\n")
	b.WriteString("var standardSpecs = []Spec{\n")
	for _, e := range entries {
		name := strings.TrimPrefix(e.Name, "<")
		fmt.Fprintf(&b, "\t{Name: %q, Module: %q, Source: %q, Contexts: %s, NotIn: %s, HTAccess: %v, Override: %q, Shape: Shape%s, MinArgs: %d, MaxArgs: %d, Flag: %v, Section: %v, Help: %q},\n",
			name, e.Module, e.Source, ctxExpr(e.Allowed), ctxExpr(e.NotIn), e.HTAccess, strings.Join(e.Overrides, " "), e.Shape, minArgs(e.Shape), maxArgs(e.Shape), e.Shape == "Flag", e.Section, e.Help)
	}
	b.WriteString("}\n\n")
	b.WriteString("// standardModules lists the modules of a Debian apache2 build: compiled-in\n// ones have no File.\n")
	b.WriteString("var standardModules = []ModuleInfo{\n")
	for _, m := range mods {
		fmt.Fprintf(&b, "\t{ID: %q, Source: %q, File: %q},\n", m.ID, m.Source, m.File)
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		os.WriteFile(*out+".broken", b.Bytes(), 0o644)
		log.Fatal(err)
	}
	check(os.WriteFile(*out, src, 0o644))
}

func ctxExpr(cs []string) string {
	if len(cs) == 0 {
		return "0"
	}
	var parts []string
	for _, c := range cs {
		parts = append(parts, "Ctx"+c)
	}
	return strings.Join(parts, "|")
}

func minArgs(shape string) int {
	switch shape {
	case "Take1", "Take12", "Take123", "Take13", "Iterate", "Flag":
		return 1
	case "Take2", "Take23", "Iterate2":
		return 2
	case "Take3":
		return 3
	}
	return 0
}

func maxArgs(shape string) int {
	switch shape {
	case "NoArgs":
		return 0
	case "Take1", "Flag":
		return 1
	case "Take2", "Take12":
		return 2
	case "Take3", "Take23", "Take123", "Take13":
		return 3
	}
	return -1
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
