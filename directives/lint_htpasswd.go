package directives

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/parser"
)

// HashKind classifies one htpasswd entry's hash as Apache's
// apr_password_validate and balancerd (go-htpasswd) see it.
type HashKind int

// Hash kinds.
const (
	HashAPR1      HashKind = iota // $apr1$: APR MD5
	HashBcrypt                    // $2y$ / $2a$ / $2b$
	HashSHA1                      // {SHA}: unsalted SHA-1
	HashCryptMD5                  // $1$: MD5-crypt
	HashCryptSHA                  // $5$ / $6$: SHA-256/512-crypt
	HashDES                       // 13 characters: traditional DES crypt
	HashSSHA                      // {SSHA}: not accepted by Apache
	HashPlaintext                 // anything else: never matches on Unix
)

// ClassifyHash returns the kind of an htpasswd hash field.
func ClassifyHash(h string) HashKind {
	switch {
	case strings.HasPrefix(h, "$apr1$"):
		return HashAPR1
	case strings.HasPrefix(h, "$2y$"), strings.HasPrefix(h, "$2a$"), strings.HasPrefix(h, "$2b$"):
		return HashBcrypt
	case strings.HasPrefix(h, "{SHA}"):
		return HashSHA1
	case strings.HasPrefix(h, "{SSHA}"):
		return HashSSHA
	case strings.HasPrefix(h, "$1$"):
		return HashCryptMD5
	case strings.HasPrefix(h, "$5$"), strings.HasPrefix(h, "$6$"):
		return HashCryptSHA
	case len(h) == 13 && strings.Trim(h, "./0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == "":
		return HashDES
	}
	return HashPlaintext
}

// HTPasswdFinding is one problem of an htpasswd file.
type HTPasswdFinding struct {
	Line     int // 1-based, 0 for the whole file
	Severity parser.Severity
	Code     string
	Message  string // never contains a hash or password
}

// CheckHTPasswd reads an htpasswd file the way mod_authn_file does (spec
// 6.6: lines trimmed, blank and '#' lines skipped, user:hash[:ignored],
// first entry of a user wins) and reports entries that Apache on Unix
// would never accept (plaintext, {SSHA}), hashes balancerd cannot verify
// (DES crypt), duplicate users and files without any entry.
func CheckHTPasswd(data []byte) []HTPasswdFinding {
	var out []HTPasswdFinding
	users := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n, entries := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, rest, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			out = append(out, HTPasswdFinding{n, parser.Warning, "htpasswd-malformed",
				"this line is not user:hash, so nobody can log in with it; regenerate it with `htpasswd -B FILE USER`"})
			continue
		}
		hash, _, _ := strings.Cut(rest, ":")
		entries++
		if first, dup := users[user]; dup {
			out = append(out, HTPasswdFinding{n, parser.Warning, "htpasswd-duplicate-user",
				fmt.Sprintf("user %q already has an entry on line %d; Apache only uses the first one, so this one never applies; delete one of them", user, first)})
			continue
		}
		users[user] = n
		switch ClassifyHash(hash) {
		case HashPlaintext:
			out = append(out, HTPasswdFinding{n, parser.Error, "htpasswd-plaintext",
				fmt.Sprintf("the password of user %q is not hashed; Apache on Unix never accepts plaintext entries, so this user cannot log in; run `htpasswd -B FILE %s`", user, shellWord(user))})
		case HashSSHA:
			out = append(out, HTPasswdFinding{n, parser.Error, "htpasswd-unsupported-hash",
				fmt.Sprintf("user %q has a {SSHA} hash, which Apache does not accept (the user cannot log in there); run `htpasswd -B FILE %s`", user, shellWord(user))})
		case HashDES:
			out = append(out, HTPasswdFinding{n, parser.Error, "htpasswd-unverifiable",
				fmt.Sprintf("user %q has a DES crypt hash (only 8 password characters count), which balancerd cannot verify; run `htpasswd -B FILE %s`", user, shellWord(user))})
		}
	}
	if err := sc.Err(); err != nil {
		out = append(out, HTPasswdFinding{n + 1, parser.Error, "htpasswd-malformed",
			fmt.Sprintf("cannot read past line %d: %v", n, err)})
	}
	if entries == 0 {
		out = append(out, HTPasswdFinding{0, parser.Warning, "htpasswd-empty",
			"the file has no user:hash entry, so nobody can log in; add one with `htpasswd -B FILE USER`"})
	}
	return out
}

// lintHTPasswd checks every AuthUserFile of the configuration.
func lintHTPasswd(l *linter) {
	if l.opts.NoFiles || l.res == nil {
		return
	}
	lintWalk(l.res.Directives, func(d *parser.Directive, _ []*parser.Directive) {
		if !strings.EqualFold(d.Name, "AuthUserFile") || len(d.Args) == 0 {
			return
		}
		l.checkUserFile(d.Args[0].Value, d.Pos, d.Name)
	})
}

// checkUserFile reports problems of one AuthUserFile (p as written,
// relative paths against ServerRoot).
func (l *linter) checkUserFile(p string, at parser.Pos, directive string) {
	if p == "" || l.opts.NoFiles {
		return
	}
	if !filepath.IsAbs(p) && l.cfg.ServerRoot != "" {
		p = filepath.Join(l.cfg.ServerRoot, p)
	}
	host := l.hostPath(p)
	data, err := os.ReadFile(host)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		l.errorf("htpasswd-missing", at, directive,
			"AuthUserFile %s does not exist, so Apache answers 500 to every request that needs a login (AH01620); create it with `htpasswd -c -B %s USER`", p, p)
		return
	case err != nil:
		l.errorf("htpasswd-unreadable", at, directive,
			"AuthUserFile %s cannot be read (%v), so Apache answers 500 to every request that needs a login (AH01620); make it a file readable by the server user", p, errors.Unwrap(err))
		return
	}
	for _, f := range CheckHTPasswd(data) {
		pos := parser.Pos{File: host, Line: f.Line, Col: 1}
		f.Message = strings.ReplaceAll(f.Message, " FILE ", " "+shellWord(p)+" ")
		msg := f.Message + fmt.Sprintf(" (AuthUserFile at %s)", lintAt(at))
		if f.Line == 0 {
			pos = at
			msg = fmt.Sprintf("AuthUserFile %s: %s", p, f.Message)
		}
		l.report(f.Severity, f.Code, pos, "", "%s", msg)
	}
}

// shellWord returns s as a word safe to show in a suggested command: as is
// when it is plain printable text, else quoted.
func shellWord(s string) string {
	for _, r := range s {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("'\"\\`$;&|<>()*?", r) {
			return strconv.Quote(s)
		}
	}
	return s
}
