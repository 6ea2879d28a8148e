package directives

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/parser"
)

func TestCheckHTPasswd(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string // code@line
	}{
		{"apache test vectors", "md5user:$apr1$8vDRUU0H$.Bdrbs9IYbXgxM904qL.B.\nbcuser:$2y$05$4H5PRoW338JlGce9L7YcF.PhhCOftipfJgVconpyOW5rLMU76Ta96\nshauser:{SHA}Z/q5KhbWJGlg/C2XbiLEJnMKKr8=\nsha256user:$5$WaB.66RKmF2JA6hT$.FnbPBcG8m52X5wDU5VWBy7YbkfV2vxb9qjOXJOaa15\n", nil},
		{"comments, blank lines, spaces, extra fields", "# users\n\n  md5user:$apr1$8vDRUU0H$.Bdrbs9IYbXgxM904qL.B.:extra  \n", nil},
		{"plaintext", "admin:secret\n", []string{"htpasswd-plaintext@1"}},
		{"des crypt", "cryptuser:YYVtR4wqqmHRg\n", []string{"htpasswd-unverifiable@1"}},
		{"ssha", "u:{SSHA}PyvnJkV5dCDxSkyNxxpJM2pqYIozTA==\n", []string{"htpasswd-unsupported-hash@1"}},
		{"duplicate user", "a:$apr1$8vDRUU0H$.Bdrbs9IYbXgxM904qL.B.\na:$apr1$8vDRUU0H$.Bdrbs9IYbXgxM904qL.B.\n", []string{"htpasswd-duplicate-user@2"}},
		{"no colon", "admin\n", []string{"htpasswd-malformed@1", "htpasswd-empty@0"}},
		{"empty", "", []string{"htpasswd-empty@0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range CheckHTPasswd([]byte(tt.file)) {
				got = append(got, fmt.Sprintf("%s@%d", f.Code, f.Line))
				if strings.Contains(f.Message, "secret") || strings.Contains(f.Message, "YYVtR4") {
					t.Errorf("message leaks the password: %s", f.Message)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLintHTPasswdUnreadable(t *testing.T) {
	dir := t.TempDir()
	res := parser.ParseBytes(filepath.Join(dir, "lb.conf"), []byte("AuthUserFile "+dir+"\nAuthUserFile missing.htpasswd\n"), parser.Options{})
	cfg := tConfig()
	cfg.ServerRoot = dir
	checkCodes(t, Lint(cfg, res, LintOptions{}), "htpasswd-unreadable@1", "htpasswd-missing@2")
}

func FuzzCheckHTPasswd(f *testing.F) {
	for _, s := range []string{"admin:$2y$05$vw2QFSwe1ssmXiX.XDlok.EjwFrVXcA/amrcdo2w.m8RSG53TgLLq\n", "a:secretpassword\n# c\n\n b:YYVtR4wqqmHRg:x\n", "nocolon\n", ":x\n", "a:b\na:c\n"} {
		f.Add([]byte(s))
	}
	// Message templates may contain words that also appear in an input
	// ("password"); only text absent from the source can be a leak.
	src, err := os.ReadFile("lint_htpasswd.go")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := strings.Count(string(data), "\n") + 1
		for _, fd := range CheckHTPasswd(data) {
			if fd.Line < 0 || fd.Line > lines+1 || fd.Code == "" || fd.Message == "" {
				t.Fatalf("bad finding %+v for %q", fd, data)
			}
			// Never echo a password or hash: no 8+ byte field of the
			// input after a ':' may appear in a message, once the user
			// names (which messages do show) are removed.
			msg := fd.Message
			for _, l := range strings.Split(string(data), "\n") {
				if user, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && user != "" {
					msg = strings.ReplaceAll(strings.ReplaceAll(msg, strconv.Quote(user), ""), user, "")
				}
			}
			for _, l := range strings.Split(string(data), "\n") {
				_, secret, ok := strings.Cut(strings.TrimSpace(l), ":")
				if ok && len(secret) >= 8 && !strings.Contains(string(src), secret) && strings.Contains(msg, secret) {
					t.Fatalf("message leaks %q: %s", secret, fd.Message)
				}
			}
		}
	})
}
