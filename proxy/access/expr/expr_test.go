package expr

import (
	"strings"
	"testing"
)

type vars map[string]string

func (v vars) Var(n string) string    { return v[n] }
func (v vars) Header(n string) string { return v["H:"+strings.ToLower(n)] }
func (v vars) Env(n string) string    { return v["E:"+n] }

func TestEval(t *testing.T) {
	v := vars{"REQUEST_URI": "/admin/x", "REMOTE_ADDR": "10.1.2.3", "HTTP_HOST": "www.example.com", "REQUEST_METHOD": "POST",
		"H:user-agent": "curl/8.0", "E:FOO": "bar", "QUERY_STRING": "a=1"}
	tests := []struct {
		src  string
		want bool
	}{
		{`true`, true},
		{`false`, false},
		{`!false`, true},
		{`%{REQUEST_URI} =~ m#^/admin#`, true},
		{`%{REQUEST_URI} !~ /^\/admin/`, false},
		{`%{HTTP_HOST} == 'www.example.com'`, true},
		{`%{HTTP_HOST} == "www.%{QUERY_STRING}"`, false},
		{`"x%{QUERY_STRING}" == 'xa=1'`, true},
		{`%{REQUEST_METHOD} in {'GET', 'POST'}`, true},
		{`%{REQUEST_METHOD} in {'GET'}`, false},
		{`-R '10.0.0.0/8'`, true},
		{`%{REMOTE_ADDR} -ipmatch '192.168.0.0/16'`, false},
		{`%{HTTP_USER_AGENT} =~ /CURL/i`, true},
		{`%{HTTP:User-Agent} -strmatch 'curl/*'`, true},
		{`tolower(%{HTTP_HOST}) == 'www.example.com' && %{ENV:FOO} == 'bar'`, true},
		{`req('User-Agent') == 'x' || env('FOO') == 'bar'`, true},
		{`(%{QUERY_STRING} == 'a=2' || -n %{QUERY_STRING}) && !(-z %{REQUEST_URI})`, true},
		{`5 -gt 3 && 2 -le 2`, true},
		{`%{HTTPS} == 'on'`, false},
	}
	for _, tt := range tests {
		e, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		if got := e.Eval(v); got != tt.want {
			t.Errorf("%q = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, src := range []string{``, `%{A}`, `%{A} ==`, `%{A} =~ 'x'`, `(true`, `true true`, `foo(%{A}) == 'x'`, `%{A} =~ /(/`, `'unterminated`, `%{A} in {'a' 'b'}`, `%{A} === 'x'`} {
		if _, err := Parse(src); err == nil {
			t.Errorf("Parse(%q) accepted", src)
		}
	}
}

func TestStringExpr(t *testing.T) {
	e, err := ParseString("ip=%{REMOTE_ADDR} host=%{req:Host}")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Eval(vars{"REMOTE_ADDR": "1.2.3.4", "H:host": "h"}); got != "ip=1.2.3.4 host=h" {
		t.Errorf("got %q", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`%{REQUEST_URI} =~ m#^/admin# && -R '10.0.0.0/8'`)
	f.Add(`!(%{QUERY_STRING} =~ /secret/) || %{A} in {'x', "y%{B}"}`)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			return
		}
		_ = e.Eval(vars{})
	})
}
