package access

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	htpasswd "github.com/tg123/go-htpasswd"
)

// Password files (mod_authn_file, spec 6.6). Apache re-reads the file on
// every request; balancerd keeps the parsed file and re-reads it whenever
// its modification time, size or identity changes, which sees every edit
// htpasswd makes.

// maxLine is Apache's MAX_STRING_LEN for config-style line reading.
const maxLine = 8192

// Verifier checks a password against one stored hash (in constant time
// for the comparison itself).
type Verifier interface {
	// MatchesPassword reports whether pw is the password.
	MatchesPassword(pw string) bool
}

// never matches: for hashes Apache on Unix would not accept (plaintext,
// {SSHA}, malformed).
type never struct{}

func (never) MatchesPassword(string) bool { return false }

type desHash string

func (h desHash) MatchesPassword(pw string) bool {
	got := desCrypt(pw, string(h[:2]))
	return subtle.ConstantTimeCompare([]byte(got), []byte(h)) == 1
}

// bcryptHash truncates passwords to 72 bytes as crypt_blowfish does.
type bcryptHash struct{ v htpasswd.EncodedPasswd }

func (h bcryptHash) MatchesPassword(pw string) bool {
	if len(pw) > 72 {
		pw = pw[:72]
	}
	return h.v.MatchesPassword(pw)
}

// ParseHash returns a Verifier for a stored hash, accepting exactly the
// formats apr_password_validate accepts on Linux: $apr1$ (APR MD5), $1$
// (MD5-crypt), $2a$/$2b$/$2y$ (bcrypt), {SHA}, $5$/$6$ (SHA-crypt) and
// 13-character DES crypt. ok is false for anything else (plaintext
// included): such entries never match, as on Apache for Unix.
func ParseHash(hash string) (v Verifier, ok bool) {
	var p htpasswd.PasswdParser
	switch {
	case strings.HasPrefix(hash, "$apr1$"), strings.HasPrefix(hash, "$1$"):
		p = htpasswd.AcceptMd5
	case strings.HasPrefix(hash, "{SHA}"):
		p = htpasswd.AcceptSha
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		e, err := htpasswd.AcceptBcrypt(hash)
		if err != nil || e == nil {
			return never{}, false
		}
		return bcryptHash{e}, true
	case strings.HasPrefix(hash, "$5$"), strings.HasPrefix(hash, "$6$"):
		p = htpasswd.AcceptCryptSha
	case isDESHash(hash):
		return desHash(hash), true
	default:
		return never{}, false
	}
	e, err := p(hash)
	if err != nil || e == nil {
		return never{}, false
	}
	return e, true
}

// PasswdEntry is one user line of a password file.
type PasswdEntry struct {
	User string
	Hash string
	// Line is the (last physical) line number, for lint messages.
	Line int
}

// ReadConfigLines reads a file the way ap_cfg_getline does: lines are
// trimmed of surrounding whitespace, a trailing backslash joins the next
// line, and each logical line is cut at 8192 bytes. fn gets each logical
// line with the number of its last physical line.
func ReadConfigLines(r io.Reader, fn func(line string, n int)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var buf strings.Builder
	n := 0
	for sc.Scan() {
		n++
		l := strings.TrimRight(sc.Text(), " \t\r\n\v\f")
		if strings.HasSuffix(l, "\\") {
			buf.WriteString(l[:len(l)-1])
			continue
		}
		buf.WriteString(l)
		line := strings.TrimLeft(buf.String(), " \t\r\n\v\f")
		buf.Reset()
		if len(line) > maxLine-1 {
			line = line[:maxLine-1]
		}
		fn(line, n)
	}
	if buf.Len() > 0 {
		fn(strings.TrimSpace(buf.String()), n)
	}
	return sc.Err()
}

// getword is ap_getword: the text up to stop, then skip every stop.
func getword(s string, stop byte) (word, rest string) {
	i := strings.IndexByte(s, stop)
	if i < 0 {
		return s, ""
	}
	word, rest = s[:i], s[i:]
	for len(rest) > 0 && rest[0] == stop {
		rest = rest[1:]
	}
	return word, rest
}

// ParsePasswdFile reads user:hash lines like mod_authn_file: blank lines
// and lines starting with '#' are skipped, fields after a second ':' are
// ignored. Every line is returned, duplicates included (the first one is
// the one Apache uses).
func ParsePasswdFile(r io.Reader) ([]PasswdEntry, error) {
	var out []PasswdEntry
	err := ReadConfigLines(r, func(l string, n int) {
		if l == "" || l[0] == '#' {
			return
		}
		user, rest := getword(l, ':')
		hash, _ := getword(rest, ':')
		out = append(out, PasswdEntry{User: user, Hash: hash, Line: n})
	})
	return out, err
}

// passwdTable is a parsed password file: first line per user wins.
type passwdTable map[string]Verifier

func buildPasswdTable(entries []PasswdEntry) passwdTable {
	t := make(passwdTable, len(entries))
	for _, e := range entries {
		if _, dup := t[e.User]; dup {
			continue
		}
		v, _ := ParseHash(e.Hash)
		t[e.User] = v
	}
	return t
}

// fileStamp identifies a version of a file on disk.
type fileStamp struct {
	mod  time.Time
	size int64
	sys  os.FileInfo
}

func (a fileStamp) same(b os.FileInfo) bool {
	return a.sys != nil && a.mod.Equal(b.ModTime()) && a.size == b.Size() && os.SameFile(a.sys, b)
}

type cachedFile struct {
	mu    sync.Mutex
	stamp fileStamp
	value any
}

// FileCache holds parsed password and group files, re-reading a file
// whenever it changed on disk. The zero value is ready to use and safe for
// concurrent use.
type FileCache struct {
	mu    sync.Mutex
	files map[string]*cachedFile
}

// ErrOpen wraps a file that cannot be opened or read.
var ErrOpen = errors.New("could not open file")

// load returns the parsed form of path, parsing it with parse when it is
// new or changed.
func (c *FileCache) load(kind, path string, parse func([]byte) (any, error)) (any, error) {
	c.mu.Lock()
	if c.files == nil {
		c.files = map[string]*cachedFile{}
	}
	key := kind + "\x00" + path
	cf := c.files[key]
	if cf == nil {
		cf = &cachedFile{}
		c.files[key] = cf
	}
	c.mu.Unlock()

	fi, err := os.Stat(path)
	if err != nil || fi.IsDir() {
		return nil, ErrOpen
	}
	cf.mu.Lock()
	defer cf.mu.Unlock()
	if cf.stamp.same(fi) {
		return cf.value, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, ErrOpen
	}
	v, err := parse(data)
	if err != nil {
		return nil, ErrOpen
	}
	cf.stamp = fileStamp{mod: fi.ModTime(), size: fi.Size(), sys: fi}
	cf.value = v
	return v, nil
}

// authResult is the outcome of checking a password.
type authResult int

const (
	authGranted authResult = iota
	authDenied             // password mismatch
	authUserNotFound
	authGeneralError // file unreadable
)

// checkPassword looks user up in the password file at path and verifies pw.
func (c *FileCache) checkPassword(path, user, pw string) authResult {
	v, err := c.load("passwd", path, func(b []byte) (any, error) {
		entries, err := ParsePasswdFile(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return buildPasswdTable(entries), nil
	})
	if err != nil {
		return authGeneralError
	}
	t := v.(passwdTable)
	ver, ok := t[user]
	if !ok {
		return authUserNotFound
	}
	if !ver.MatchesPassword(pw) {
		return authDenied
	}
	return authGranted
}

// groupTable maps a group name to its members.
type groupTable map[string]map[string]bool

// ParseGroupFile reads an AuthGroupFile ("group: user1 user2 ...").
func ParseGroupFile(r io.Reader) (map[string][]string, error) {
	out := map[string][]string{}
	err := ReadConfigLines(r, func(l string, _ int) {
		if l == "" || l[0] == '#' {
			return
		}
		group, rest := getword(l, ':')
		out[group] = append(out[group], strings.Fields(rest)...)
	})
	return out, err
}

// groupsOf returns the groups of the AuthGroupFile at path, re-reading it
// when it changed.
func (c *FileCache) groupsOf(path string) (groupTable, error) {
	v, err := c.load("group", path, func(b []byte) (any, error) {
		g, err := ParseGroupFile(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		t := groupTable{}
		for name, users := range g {
			set := map[string]bool{}
			for _, u := range users {
				set[u] = true
			}
			t[name] = set
		}
		return t, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(groupTable), nil
}
