package parser

import (
	"testing"
	"testing/fstest"
)

func TestEscapeLog(t *testing.T) {
	tests := map[string]string{
		"plain text":        "plain text",
		`b\c`:               `b\\c`,
		"a\nb\tc":           `a\nb\tc`,
		"\xef\xbb\xbfName":  `\xef\xbb\xbfName`,
		"quote \" kept":     "quote \" kept",
		"\x01\x7f":          `\x01\x7f`,
		"\r\v\b":            `\r\v\b`,
		"mixed \\ \xe9 end": `mixed \\ \xe9 end`,
	}
	for in, want := range tests {
		if got := EscapeLog(in); got != want {
			t.Errorf("EscapeLog(%q) = %q, want %q", in, got, want)
		}
	}
}

// ApacheError without a real Apache: the formats TestApacheDifferential
// checks byte for byte against apache2 -t.
func TestApacheErrorFormat(t *testing.T) {
	fsys := mapFS{fstest.MapFS{
		"srv/a.conf": {Data: []byte("\nInclude b.conf\n")},
		"srv/b.conf": {Data: []byte("<VirtualHost *>\n<Location /a>\n")},
	}}
	tests := []struct {
		name string
		src  string
		opts Options
		want string
	}{
		{"unclosed through includes", "A\nInclude a.conf\n", Options{ServerRoot: "/srv", fsys: fsys},
			`apache2: Syntax error on line 2 of /srv/main.conf: Syntax error on line 2 of /srv/a.conf: Syntax error on line 1 of /srv/b.conf: /srv/b.conf:2: <Location> was not closed.\n/srv/b.conf:1: <VirtualHost> was not closed.`},
		{"read phase wins over an earlier processing error", "<Location /a\n</Location>\n</Proxy>\n", Options{},
			"apache2: Syntax error on line 3 of /srv/main.conf: </Proxy> without matching <Proxy> section"},
		{"processing phase", "\xef\xbb\xbfA b\\c\n", Options{},
			"AH00526: Syntax error on line 1 of /srv/main.conf:\nInvalid command '\\xef\\xbb\\xbfA', perhaps misspelled or defined by a module not included in the server configuration"},
		{"-C directive", "A\n", Options{Before: []string{"</Location>"}},
			"apache2: Syntax error in -C/-c directive: </Location> without matching <Location> section"},
		{"-C unclosed", "A\n", Options{Before: []string{"<Location /x>"}},
			"apache2: Syntax error in -C/-c directive: -c/-C directives:1: <Location> was not closed."},
		{"-c read phase", "A\n", Options{After: []string{"Define a:b"}},
			"apache2: Syntax error in -C/-c directive: Variable name must not contain ':'"},
		{"-C processing phase", "A\n", Options{Before: []string{"<Location /x", "</Location>"}},
			"AH00526: Syntax error on line 1 of -c/-C directives:\n<Location> directive missing closing '>'"},
		{"warnings only", "A ${NOPE}\n", Options{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ParseBytes("/srv/main.conf", []byte(tt.src), tt.opts)
			got, ok := ApacheError("apache2", r.Diags)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("ApacheError =\n %q, %v\nwant\n %q", got, ok, tt.want)
			}
		})
	}
	r := ParseFile("/nonexistent.conf", Options{})
	if got, _ := ApacheError("httpd", r.Diags); got != "httpd: Could not open configuration file /nonexistent.conf: No such file or directory" {
		t.Errorf("missing main file: %q", got)
	}
}
