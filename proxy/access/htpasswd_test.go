package access

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const testPasswd = "../../testdata/auth/htpasswd"

func TestParseHashFormats(t *testing.T) {
	// Vectors produced by Debian's htpasswd/openssl (spec 6.6).
	tests := []struct {
		user, pw string
		want     authResult
	}{
		{"md5user", "pw1", authGranted},
		{"md5user", "pw3", authDenied}, // second md5user line is never consulted
		{"bcuser", "pw2", authGranted},
		{"bcuser", "pw1", authDenied},
		{"shauser", "pw3", authGranted},
		{"cryptuser", "pw4", authGranted},
		{"cryptuser", "pw4extra", authDenied},
		{"sha256user", "pw6", authGranted},
		{"md5crypt", "pw5", authGranted},
		{"sha512user", "pw7", authGranted},
		{"sha512user", "pw6", authDenied},
		{"bcb", "pw8", authGranted},
		{"shab", "p:w", authGranted},
		{"desu", "abcdefgh", authGranted},
		{"desu", "abcdefghXYZ", authGranted}, // DES uses 8 characters only
		{"desu", "abcdefg", authDenied},
		{"plainu", "pw9", authDenied}, // plaintext is refused on Unix
		{"spaced", "pw1", authGranted},
		{"split", "pw1", authGranted}, // backslash continuation
		{"extra", "pw3", authGranted},
		{"nosuch", "pw1", authUserNotFound},
		{"MD5USER", "pw1", authUserNotFound}, // user names are case-sensitive
		{"", "", authUserNotFound},
	}
	var c FileCache
	for _, tt := range tests {
		if got := c.checkPassword(testPasswd, tt.user, tt.pw); got != tt.want {
			t.Errorf("checkPassword(%q, %q) = %v, want %v", tt.user, tt.pw, got, tt.want)
		}
	}
	if got := c.checkPassword("/nonexistent/htpasswd", "a", "b"); got != authGeneralError {
		t.Errorf("missing file: got %v", got)
	}
}

func TestParseHashRejects(t *testing.T) {
	for _, h := range []string{"pw9", "{SSHA}abcd", "$2x$05$4H5PRoW338JlGce9L7YcF.PhhCOftipfJgVconpyOW5rLMU76Ta96", "$apr1$nosalt", "", "{PLAIN}pw"} {
		if v, ok := ParseHash(h); ok || v.MatchesPassword(h) {
			t.Errorf("ParseHash(%q) accepted", h)
		}
	}
}

func TestDESCryptVectors(t *testing.T) {
	// From perl's crypt() (glibc) on this machine.
	for _, v := range []struct{ pw, salt, want string }{
		{"pw4", "YY", "YYVtR4wqqmHRg"},
		{"abcdefghij", "to", "to4tuu4iG6lgc"},
	} {
		if got := desCrypt(v.pw, v.salt); got != v.want {
			t.Errorf("desCrypt(%q,%q) = %q, want %q", v.pw, v.salt, got, v.want)
		}
	}
}

// TestDESCryptMatchesSystemCrypt compares desCrypt with the system's
// crypt(3) (through perl) on varied passwords and every salt character.
func TestDESCryptMatchesSystemCrypt(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed")
	}
	const saltChars = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var pws, salts []string
	for i := 0; i < 64; i++ {
		pw := strings.Repeat(string(rune('!'+i)), i%11) + "x" + strconv.Itoa(i*7919)
		pws = append(pws, pw)
		salts = append(salts, string(saltChars[i])+string(saltChars[(i*29)%64]))
	}
	script := `while (<STDIN>) { chomp; my ($s, $p) = split(/ /, $_, 2); print crypt($p, $s), "\n"; }`
	cmd := exec.Command(perl, "-e", script)
	var in strings.Builder
	for i := range pws {
		in.WriteString(salts[i] + " " + pws[i] + "\n")
	}
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	want := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(want) != len(pws) {
		t.Fatalf("perl gave %d lines", len(want))
	}
	for i := range pws {
		if got := desCrypt(pws[i], salts[i]); got != want[i] {
			t.Errorf("desCrypt(%q, %q) = %q, system crypt %q", pws[i], salts[i], got, want[i])
		}
	}
}

func TestFileCacheReloadsOnChange(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(p, []byte("u:{SHA}Z/q5KhbWJGlg/C2XbiLEJnMKKr8=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var c FileCache
	if got := c.checkPassword(p, "u", "pw3"); got != authGranted {
		t.Fatalf("first read: %v", got)
	}
	// New password (pw1's SHA is not known; use the md5 entry) and a new
	// mtime, as htpasswd would leave it.
	if err := os.WriteFile(p, []byte("u:$apr1$8vDRUU0H$.Bdrbs9IYbXgxM904qL.B.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(p, future, future); err != nil {
		t.Fatal(err)
	}
	if got := c.checkPassword(p, "u", "pw3"); got != authDenied {
		t.Errorf("after change, old password: %v", got)
	}
	if got := c.checkPassword(p, "u", "pw1"); got != authGranted {
		t.Errorf("after change, new password: %v", got)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if got := c.checkPassword(p, "u", "pw1"); got != authGeneralError {
		t.Errorf("after removal: %v", got)
	}
}

func TestParseGroupFile(t *testing.T) {
	f, err := os.Open("../../testdata/auth/groups")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := ParseGroupFile(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(g["ops"], ","); got != "shauser,cryptuser" {
		t.Errorf("ops = %q", got)
	}
	if got := strings.Join(g["admins"], ","); got != "md5user,bcuser" {
		t.Errorf("admins = %q", got)
	}
}

func FuzzParsePasswdFile(f *testing.F) {
	data, _ := os.ReadFile(testPasswd)
	f.Add(string(data))
	f.Add("a:b:c\\\n\\\n#x\n")
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParsePasswdFile(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, e := range entries {
			if strings.Contains(e.User, ":") || strings.Contains(e.Hash, ":") {
				t.Fatalf("field with colon: %+v", e)
			}
			v, ok := ParseHash(e.Hash)
			// bcrypt and SHA-crypt costs come from the file; a fuzzed
			// cost would make one comparison take hours.
			if !ok || strings.HasPrefix(e.Hash, "$2") || strings.Contains(e.Hash, "rounds=") {
				continue
			}
			_ = v.MatchesPassword("x")
		}
	})
}
