package parser

import (
	"testing"
)

// Define / UnDefine / ${VAR} (spec 1.4, 1.5).
func TestVariables(t *testing.T) {
	env := func(name string) (string, bool) {
		m := map[string]string{"PATH": "/bin", "APACHE_LOG_DIR": "/var/log/apache2", "SP": "a b"}
		v, ok := m[name]
		return v, ok
	}
	tests := []struct {
		name    string
		src     string
		defines []string
		tree    string
		diags   []string
		params  map[string]string
	}{
		{name: "define with value", src: "Define V x\nA ${V}\n", tree: "Define(V,x) A(x)", params: map[string]string{"V": "x"}},
		{name: "define without value is a parameter only", src: "Define V\nA ${V}\n", tree: "Define(V) A(${V})",
			diags:  []string{"2:3: warning: AH00111: Config variable ${V} is not defined (the text is kept literally; define it with Define or in the environment) [undefined-variable]"},
			params: map[string]string{"V": ""}},
		{name: "variable names are case-insensitive", src: "Define Foo x\nA ${FOO} ${foo}\n", tree: "Define(Foo,x) A(x,x)"},
		{name: "undefine is case-insensitive for variables", src: "Define Foo x\nUnDefine FOO\nA ${Foo}\n", tree: "Define(Foo,x) UnDefine(FOO) A(${Foo})",
			diags:  []string{"3:3: warning: AH00111: Config variable ${Foo} is not defined (the text is kept literally; define it with Define or in the environment) [undefined-variable]"},
			params: map[string]string{"Foo": ""}},
		{name: "undefine removes parameter by exact name", src: "Define Foo x\nUnDefine Foo\n", tree: "Define(Foo,x) UnDefine(Foo)", params: map[string]string{}},
		{name: "environment fallback", src: "ErrorLog ${APACHE_LOG_DIR}/error.log\n", tree: "ErrorLog(/var/log/apache2/error.log)"},
		{name: "environment is case-sensitive", src: "A ${path}\n", tree: "A(${path})",
			diags: []string{"1:3: warning: AH00111: Config variable ${path} is not defined (the text is kept literally; define it with Define or in the environment) [undefined-variable]"}},
		{name: "define wins over environment", src: "Define PATH \"from define\"\nA \"${PATH}\"\n", tree: "Define(PATH,from define) A(from define)"},
		{name: "substitution before tokenising splits words", src: "Define V \"a b\"\nHeader set X-A ${V}\n", tree: "Define(V,a b) Header(set,X-A,a,b)"},
		{name: "quoted reference keeps one word", src: "Header set X-A \"${SP}\"\n", tree: "Header(set,X-A,a b)"},
		{name: "dollar without brace is literal", src: "A $notavar $ ${ x\n", tree: "A($notavar,$,${,x)"},
		{name: "colon names are silent", src: "A ${env:X}\n", tree: "A(${env:X})"},
		{name: "empty name", src: "A ${}\n", tree: "A(${})",
			diags: []string{"1:3: warning: AH00111: Config variable ${} is not defined (the text is kept literally; define it with Define or in the environment) [undefined-variable]"}},
		{name: "not recursive", src: "Define A ${B}\nDefine B x\nV ${A}\n", tree: "Define(A,${B}) Define(B,x) V(${B})",
			diags: []string{"1:10: warning: AH00111: Config variable ${B} is not defined (the text is kept literally; define it with Define or in the environment) [undefined-variable]"}},
		{name: "name with colon is an error", src: "Define X:Y 1\nA ${X:Y}\n", tree: "Define(X:Y,1) A(${X:Y})",
			diags: []string{"1:1: error: Variable name must not contain ':' (use letters, digits and '_' in Define names) [syntax]"}},
		{name: "undefine with colon", src: "UnDefine a:b\n", tree: "UnDefine(a:b)",
			diags: []string{"1:1: error: Variable name must not contain ':' (use letters, digits and '_' in UnDefine names) [syntax]"}},
		{name: "define argument count", src: "Define\nDefine A b c\nUnDefine\nUnDefine a b\n", tree: "Define() Define(A,b,c) UnDefine() UnDefine(a,b)",
			diags: []string{
				"1:1: error: Define takes 1-2 arguments, Define a variable, optionally to a value.  Same as passing -D to the command line. [syntax]",
				"2:1: error: Define takes 1-2 arguments, Define a variable, optionally to a value.  Same as passing -D to the command line. [syntax]",
				"3:1: error: UnDefine takes one argument, Undefine the existence of a variable. Undo a Define. [syntax]",
				"4:1: error: UnDefine takes one argument, Undefine the existence of a variable. Undo a Define. [syntax]",
			}, params: map[string]string{}},
		{name: "comments are not substituted", src: "# ${NOPE}\n", tree: ""},
		{name: "-D parameters", src: "<IfDefine SSL>\nA ${PORT}\n</IfDefine>\n", defines: []string{"SSL", "PORT=443"}, tree: "A(443)",
			params: map[string]string{"SSL": "", "PORT": "443"}},
		{name: "substituted opener", src: "Define S \"<Location\"\n${S} /x>\n</Location>\n", tree: "Define(S,<Location) Location(/x){}"},
		{name: "define takes effect in file order", src: "A ${V}\nDefine V x\n", tree: "A(${V}) Define(V,x)",
			diags: []string{"1:3: warning: AH00111: Config variable ${V} is not defined (the text is kept literally; define it with Define or in the environment) [undefined-variable]"}},
		{name: "arg positions after substitution", src: "Define L /var/log/a-long-path\nErrorLog ${L}/e.log x\n", tree: "Define(L,/var/log/a-long-path) ErrorLog(/var/log/a-long-path/e.log,x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := parseStr(tt.src, Options{Env: env, Defines: tt.defines})
			if got := tree(r.Directives); got != tt.tree {
				t.Errorf("tree:\n got %s\nwant %s", got, tt.tree)
			}
			eqLines(t, "diags", diagLines(r), tt.diags)
			if tt.params != nil {
				if len(r.Defines) != len(tt.params) {
					t.Errorf("Defines = %v, want %v", r.Defines, tt.params)
				}
				for k, v := range tt.params {
					if got, ok := r.Defines[k]; !ok || got != v {
						t.Errorf("Defines[%q] = %q,%v want %q", k, got, ok, v)
					}
				}
			}
		})
	}
}

// Arguments produced by a substitution point at the '$' of the reference;
// text after it keeps its own column.
func TestSubstitutionPositions(t *testing.T) {
	r := parseStr("Define L /var/log/a-long-path\nErrorLog ${L}/e.log x\n", Options{})
	d := r.Directives[1]
	eqLines(t, "arg cols", []string{posOf(d.Args[0].Pos), posOf(d.Args[1].Pos)}, []string{"2:10", "2:21"})
}

func TestSrcOffset(t *testing.T) {
	d := newDefines()
	v := "LONGER"
	d.define("A", &v)
	out, subs, _ := substitute("x ${A} y ${A}z", d, nil)
	if out != "x LONGER y LONGERz" {
		t.Fatalf("out %q", out)
	}
	for _, c := range []struct{ out, src int }{{0, 0}, {2, 2}, {5, 2}, {9, 7}, {11, 9}, {17, 13}} {
		if got := srcOffset(c.out, subs); got != c.src {
			t.Errorf("srcOffset(%d) = %d, want %d", c.out, got, c.src)
		}
	}
}
