package parser

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/apachetest"
)

// Modules compiled into Debian's apache2 (apache2 -l) plus the MPM the
// wrapper loads: what <IfModule> sees in the differential runs.
var apacheStatic = map[string]bool{
	"core.c": true, "mod_so.c": true, "mod_watchdog.c": true, "http_core.c": true, "mod_log_config.c": true,
	"mod_logio.c": true, "mod_version.c": true, "mod_unixd.c": true, "event.c": true,
	"core_module": true, "so_module": true, "watchdog_module": true, "http_module": true, "log_config_module": true,
	"logio_module": true, "version_module": true, "unixd_module": true, "mpm_event_module": true,
}

// apacheEnvVars is the whole environment apache2 runs with.
var apacheEnvVars = map[string]string{"PATH": "/usr/sbin:/usr/bin:/bin", "LANG": "C"}

func apacheEnv(name string) (string, bool) {
	v, ok := apacheEnvVars[name]
	return v, ok
}

// apacheVerdict is what apache2 -t said about body.conf.
type apacheVerdict struct {
	ok      bool
	line    int    // innermost "line N of .../body.conf"
	message string // text after the innermost "FILE:" prefix
	out     string
}

var reLineOf = regexp.MustCompile(`line (\d+) of ([^:\n]+):`)

// runApache writes body (plus extra files) into a fresh directory, includes
// it from a minimal main config and runs apache2 -t.
func runApache(t *testing.T, bin, dir, body string) apacheVerdict {
	t.Helper()
	logs := filepath.Join(dir, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	main := strings.Join([]string{
		"ServerRoot " + dir,
		"ServerName localhost",
		"ErrorLog " + logs + "/error.log",
		"PidFile " + logs + "/pid",
		"Mutex file:" + logs,
		"DefaultRuntimeDir " + logs,
		"LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so",
		"Include " + dir + "/body.conf",
		"",
	}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "main.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "body.conf"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-t", "-f", filepath.Join(dir, "main.conf"))
	for k, v := range apacheEnvVars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	v := apacheVerdict{ok: err == nil, out: string(out)}
	text := strings.TrimSpace(string(out))
	if v.ok {
		return v
	}
	ms := reLineOf.FindAllStringSubmatchIndex(text, -1)
	if len(ms) == 0 {
		t.Fatalf("cannot read apache output:\n%s", text)
	}
	m := ms[len(ms)-1]
	v.line, _ = strconv.Atoi(text[m[2]:m[3]])
	v.message = strings.TrimSpace(text[m[1]:])
	return v
}

// TestApacheDifferential runs real apache2 -t on inputs with read-phase
// errors and on conditional sections, and checks that balancerd reports the
// first error on Apache's line with Apache's message, and evaluates
// conditions the same way (a body that Apache reads contains an "Error
// ACTIVE" directive, which Apache reports when it processes it).
func TestApacheDifferential(t *testing.T) {
	bin := apachetest.Binary(t)
	cases := []struct {
		name  string
		body  string
		files map[string]string
	}{
		{"unclosed", "<Location /x>\nRequire all granted\n", nil},
		{"unclosed nested", "<VirtualHost *:80>\n  <Directory /a>\n    <Files x>\n", nil},
		{"mismatched", "<VirtualHost *:80>\n<Location /a>\n</VirtualHost>\n", nil},
		{"stray closer", "ServerAdmin a@b\n</Location>\n", nil},
		{"closer missing >", "<Location /x>\n</Location >\n", nil},
		{"opener missing >", "\n<Location /x\n</Location>\n", nil},
		{"continued opener unclosed", "\n<Location \\\n  /x>\n", nil},
		{"conditional missing >", "<IfModule mod_version.c\n</IfModule>\n", nil},
		{"conditional without argument", "<IfDefine>\n</IfDefine>\n", nil},
		{"skipped mismatch", "<IfModule mod_nope.c>\n<Location /a>\n</IfModule>\n", nil},
		{"skipped eof", "ServerAdmin a@b\n<IfDefine NOPE>\n<Location /a>\n", nil},
		{"true conditional unclosed is accepted", "<IfModule mod_version.c>\n<Location /a>\n", nil},
		{"true conditional spaced closer", "<IfModule mod_version.c>\n</IfModule >\n", nil},
		{"define colon", "Define a:b 1\n", nil},
		{"define too many", "Define a b c\n", nil},
		{"define none", "\nDefine\n", nil},
		{"undefine two", "UnDefine a b\n", nil},
		{"include missing file", "Include nope.conf\n", nil},
		{"include no wildcard match", "Include conf.d/*.conf\n", map[string]string{"conf.d/x.txt": "A\n"}},
		{"include missing dir", "IncludeOptional conf.d/*.conf\nInclude nodir/*.conf\n", nil},
		{"include optional missing ok", "IncludeOptional nope.conf\nIncludeOptional nodir/*.conf\n", nil},
		{"include error inside", "Include inc/a.conf\n", map[string]string{"inc/a.conf": "\n\n<Proxy *>\n"}},
		{"include wildcard order", "Include conf.d/*.conf\n", map[string]string{"conf.d/10.conf": "Error ACTIVE-10\n", "conf.d/9.conf": "Error ACTIVE-9\n", "conf.d/.a.conf": "Error ACTIVE-dot\n"}},
		{"include directory with dotfile", "Include conf.d\n", map[string]string{"conf.d/b.conf": "Error ACTIVE-b\n", "conf.d/.a": "Error ACTIVE-dot\n"}},
		{"include args", "Include a b\n", nil},
		{"bom", "\xef\xbb\xbfServerAdmin a@b\n", nil},
		{"bom comment", "\xef\xbb\xbf# hello\n", nil},
		{"ifversion ge", "<IfVersion >= 2.4>\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion lt", "<IfVersion < 2.4>\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion eq", "<IfVersion 2.4.67>\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion ==", "<IfVersion == 2.4>\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion not gt", "<IfVersion !> 2.4.66>\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion le", "<IfVersion <= 2.4.67>\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion regex", "<IfVersion ~ ^2\\.4>\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion slash regex", "<IfVersion /^2\\.2/>\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion eq slash regex", "<IfVersion = /67$/>\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion quoted", "<IfVersion >= \"2.4\" >\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion quoted no op", "<IfVersion \"2.4.67\" >\nError ACTIVE\n</IfVersion>\n", nil},
		{"ifversion bad", "<IfVersion >= 2.x>\n</IfVersion>\n", nil},
		{"ifversion bad op", "<IfVersion => 2.4>\n</IfVersion>\n", nil},
		{"ifversion too many", "<IfVersion >= 2.4 x y>\n</IfVersion>\n", nil},
		{"ifversion missing >", "<IfVersion >= 2.4\n</IfVersion>\n", nil},
		{"ifversion slash", "<IfVersion = /2.4>\n</IfVersion>\n", nil},
		{"ifmodule quoted", "<IfModule \"mod_version.c\">\nError ACTIVE\n</IfModule>\n", nil},
		{"ifmodule quoted bang", "<IfModule \"!mod_nope.c\">\nError ACTIVE\n</IfModule>\n", nil},
		{"ifmodule bang space", "<IfModule ! mod_version.c>\nError ACTIVE\n</IfModule>\n", nil},
		{"ifmodule double bang", "<IfModule !!mod_version.c>\nError ACTIVE\n</IfModule>\n", nil},
		{"ifmodule identifier", "<IfModule version_module>\nError ACTIVE\n</IfModule>\n", nil},
		{"ifmodule lower case", "<ifmodule mod_version.c>\nError ACTIVE\n</IFMODULE>\n", nil},
		{"ifdefine case", "Define CaseP\n<IfDefine CASEP>\nError ACTIVE\n</IfDefine>\n", nil},
		{"ifdefine", "Define CaseP\n<IfDefine CaseP>\nError ACTIVE\n</IfDefine>\n", nil},
		{"iffile relative", "<IfFile body.conf>\nError ACTIVE\n</IfFile>\n", nil},
		{"iffile missing", "<IfFile !nope.conf>\nError ACTIVE\n</IfFile>\n", nil},
		{"ifdirective", "<IfDirective ServerName>\nError ACTIVE\n</IfDirective>\n", nil},
		{"ifsection", "<IfSection Location>\nError ACTIVE\n</IfSection>\n", nil},
		{"undefined variable", "ServerAdmin ${NOPE_X}\nServerAdmin ${a:b}\n", nil},
		{"variable splits words", "Define V \"a b\"\nError ${V}\n", nil},
		{"comment swallows line", "# x \\\nError ACTIVE\n", nil},
		{"backslash space", "Error a \\ \nError ACTIVE\n", nil},
		{"closer case", "<location /a>\n</LOCATION>\nError ACTIVE\n", nil},
		{"opener quoted name", "\"<Location\" /a>\n</Location>\nError ACTIVE\n", nil},
		{"iffile quoted with space", "<IfFile \"a b.conf\">\nError ACTIVE\n</IfFile>\n", map[string]string{"a b.conf": ""}},
		{"ifdefine bang quoted", "<IfDefine !\"NOPE\">\nError ACTIVE\n</IfDefine>\n", nil},
		{"substituted opener", "Define S \"<IfDefine\"\n${S} NOPE>\nError SKIPPED\n</IfDefine>\nError ACTIVE\n", nil},
		{"wildcard matching a directory", "Include d*\n", map[string]string{"d1/x.conf": "Error ACTIVE-d1\n", "d2/.y": "Error ACTIVE-dot\n"}},
		{"intermediate wildcard", "Include s*/*.conf\n", map[string]string{"s1/a.conf": "ServerAdmin a@b\n", "s2/b.conf": "<Proxy *>\n"}},
		{"nested true conditionals", "<IfModule mod_version.c>\n<IfDefine !X>\n<IfVersion > 2>\nError ACTIVE\n</IfVersion>\n</IfDefine>\n</IfModule>\n", nil},
		{"true conditional inside section unclosed", "<Location /a>\n<IfModule mod_version.c>\n", nil},
		{"skipped nested conditional", "<IfDefine NOPE>\n<IfModule mod_version.c>\nError SKIPPED\n</IfModule>\n</IfDefine>\nError ACTIVE\n", nil},
		{"trailing > stripped from a name", "Error> gt-stripped\n", nil},
		{"environment fallback", "Error ${LANG}-${lang}\n", nil},
		{"continuation inside skipped body", "<IfDefine NOPE>\n<Location \\\n /a>\n</Location>\n</IfDefine>\nError ACTIVE\n", nil},
		{"closer in included file", "<IfModule mod_version.c>\nInclude c.conf\n</IfModule>\n", map[string]string{"c.conf": "ServerAdmin a@b\n</IfModule>\n"}},
		{"include chain error", "Include a.conf\n", map[string]string{"a.conf": "\nInclude b.conf\n", "b.conf": "\n\n</Location>\n"}},
	}
	known := func(n string) bool { return strings.EqualFold(n, "ServerName") || strings.EqualFold(n, "Error") }
	sections := func(n string) bool { return strings.EqualFold(n, "Location") || strings.EqualFold(n, "VirtualHost") }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range c.files {
				p := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			v := runApache(t, bin, dir, c.body)
			r := ParseFile(filepath.Join(dir, "main.conf"), Options{ModuleBuiltin: func(n string) bool { return apacheStatic[n] },
				DirectiveKnown: known, SectionKnown: sections, Env: apacheEnv})
			checkAgainstApache(t, v, r)
		})
	}
}

// checkAgainstApache compares a parse of the same main.conf with Apache's
// verdict: the same warnings count, and either both accept it or the error
// Apache prints is exactly what ApacheError formats from our diagnostics (or,
// when Apache stopped at an "Error TEXT" directive, that directive is the
// first one we kept, on the same line).
func checkAgainstApache(t *testing.T, v apacheVerdict, r *Result) {
	t.Helper()
	var errs []Diagnostic
	for _, d := range r.Diags {
		if d.Severity == Error {
			errs = append(errs, d)
		}
	}
	var firstError *Directive
	var find func(ds []*Directive)
	find = func(ds []*Directive) {
		for _, d := range ds {
			if firstError == nil && strings.EqualFold(d.Name, "Error") {
				firstError = d
			}
			find(d.Block)
		}
	}
	find(r.Directives)
	warns := strings.Count(v.out, "AH00111")
	got := 0
	for _, d := range r.Diags {
		if d.Code == "undefined-variable" {
			got++
		}
	}
	if warns != got {
		t.Errorf("Apache printed %d AH00111 warnings, we have %d", warns, got)
	}
	if v.ok {
		if len(errs) > 0 {
			t.Errorf("Apache: Syntax OK; we report %v", errs)
		}
		if firstError != nil {
			t.Errorf("we kept %v at %v but Apache skipped it", firstError.ArgValues(), firstError.Pos)
		}
		return
	}
	// Apache's error: from its first "apache2:" or "AH00526:" line on
	// (warnings in error-log format come before it).
	lines := strings.Split(strings.TrimSpace(v.out), "\n")
	for len(lines) > 1 && !strings.HasPrefix(lines[0], "apache2:") && !strings.HasPrefix(lines[0], "AH00526:") {
		lines = lines[1:]
	}
	out := strings.Join(lines, "\n")
	ours, ok := ApacheError("apache2", r.Diags)
	readPhase := ok && strings.HasPrefix(ours, "apache2:")
	switch {
	case readPhase || (ok && firstError == nil):
		if ours != out {
			t.Errorf("error output differs:\n got: %q\nwant: %q", ours, out)
		}
	case firstError != nil:
		msg := EscapeLog(strings.Join(firstError.ArgValues(), " "))
		if v.line != firstError.Pos.Line || v.message != msg {
			t.Errorf("Apache stopped at line %d with %q; our first Error directive is %q at line %d", v.line, v.message, msg, firstError.Pos.Line)
		}
	default:
		// A processing-phase error balancerd's parser does not own.
		if !strings.HasPrefix(out, "AH00526") {
			t.Errorf("Apache failed in the read phase but we report nothing:\n%s", v.out)
		}
	}
}
