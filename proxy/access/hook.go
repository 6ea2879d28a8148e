package access

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
)

// Hook adapts a Checker to the proxy's AccessChecker: it collects the
// per-directory levels of a request (with the .htaccess files of a request
// served from the file system, interleaved with <Directory> sections as
// Apache merges them), compiles them and checks the request.
type Hook struct {
	Checker *Checker
	// HTAccess loads one .htaccess file under the AllowOverride words
	// (nil = never set); it returns (nil, nil) when there is none, and an
	// error worded as Apache's log ("/p/.htaccess: X not allowed here")
	// that makes the request fail with 500. Wire it to
	// (*directives.HTAccessLoader).Load. Nil: .htaccess files are ignored.
	HTAccess func(path string, allow []string) (*model.DirConfig, error)
	// AccessFileName is the .htaccess file name (AccessFileName); "" means
	// ".htaccess".
	AccessFileName string
	// Logf receives Apache-style error-log messages ("AH01630: client
	// denied ..."); nil discards them. Secrets are never part of them.
	Logf func(r *http.Request, format string, args ...any)

	once     sync.Once
	mu       sync.Mutex
	policies map[policyKey]*Policy
}

// policyKey identifies a list of up to 8 access levels by identity.
type policyKey [8]*model.Access

// policy returns the compiled policy of accs, cached by the identity of
// the levels (the model is immutable once built).
func (h *Hook) policy(accs []*model.Access) *Policy {
	if len(accs) > len(policyKey{}) {
		return Compile(accs...)
	}
	var k policyKey
	copy(k[:], accs)
	h.mu.Lock()
	p, ok := h.policies[k]
	h.mu.Unlock()
	if ok {
		return p
	}
	p = Compile(accs...)
	h.mu.Lock()
	// Edited .htaccess files bring new levels; keep the cache bounded.
	if h.policies == nil || len(h.policies) >= 4096 {
		h.policies = map[policyKey]*Policy{}
	}
	h.policies[k] = p
	h.mu.Unlock()
	return p
}

var _ proxy.AccessChecker = (*Hook)(nil)

// Check implements proxy.AccessChecker.
func (h *Hook) Check(r *http.Request, in *proxy.AccessInput) proxy.AccessResult {
	h.once.Do(func() {
		if h.Checker == nil {
			h.Checker = &Checker{Resolver: DefaultResolver}
		}
	})
	levels, err := h.levels(in)
	if err != nil {
		h.logf(r, "%s", err.Error())
		return proxy.AccessResult{Status: http.StatusInternalServerError}
	}
	var accs []*model.Access
	for _, d := range levels {
		if d != nil && d.Access != nil {
			accs = append(accs, d.Access)
		}
	}
	p := h.policy(accs)
	if p.Empty() {
		return proxy.AccessResult{}
	}
	req := FromHTTP(r)
	req.URI = in.URI
	if in.Server != nil {
		vars := req.Vars
		req.Vars = func(name string) string {
			if name == "DOCUMENT_ROOT" {
				return in.Server.DocumentRoot
			}
			return vars(name)
		}
	}
	switch {
	case in.BackendURL != "":
		req.Filename = "proxy:" + in.BackendURL
	case in.FilePath != "":
		req.Filename = in.FilePath
	}
	env := in.Env
	req.Env = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	res := h.Checker.Check(r.Context(), p, &req)
	if res.Log != "" {
		h.logf(r, "%s", res.Log)
	}
	return proxy.AccessResult{Status: res.Status, Header: res.Header, User: res.User}
}

func (h *Hook) logf(r *http.Request, format string, args ...any) {
	if h.Logf != nil {
		h.Logf(r, format, args...)
	}
}

// levels returns the DirConfigs to merge: in.Dirs with the .htaccess files
// of the directories on in.FilePath inserted after the <Directory>
// sections of their directory (spec 6.8).
func (h *Hook) levels(in *proxy.AccessInput) ([]*model.DirConfig, error) {
	if h.HTAccess == nil || in.FilePath == "" || in.Server == nil {
		return in.Dirs, nil
	}
	var base []*model.DirConfig
	rest := in.Dirs
	if len(rest) > 0 && in.Server.Dir == rest[0] {
		base, rest = rest[:1], rest[1:]
	}
	// Split the matched sections into non-regex <Directory> (by path),
	// and the rest (DirectoryMatch, Location, ...) which merge later.
	byDir := map[string][]*model.DirConfig{}
	var later []*model.DirConfig
	for i, d := range rest {
		var sec *model.Section
		if i < len(in.Sections) {
			sec = in.Sections[i]
		}
		if sec != nil && sec.Kind == "Directory" && sec.Regex == nil {
			p := filepath.Clean(sec.Path)
			byDir[p] = append(byDir[p], d)
			continue
		}
		later = append(later, d)
	}
	out := append([]*model.DirConfig(nil), base...)
	name := h.AccessFileName
	if name == "" {
		name = ".htaccess"
	}
	for _, dir := range dirChain(in.FilePath) {
		out = append(out, byDir[dir]...)
		delete(byDir, dir)
		allow, none := allowOverrideFor(in.Server, dir)
		if none {
			continue
		}
		d, err := h.HTAccess(filepath.Join(dir, name), allow)
		if err != nil {
			return nil, err
		}
		if d != nil {
			out = append(out, d)
		}
	}
	for _, ds := range byDir { // <Directory> sections below the deepest existing directory
		out = append(out, ds...)
	}
	return append(out, later...), nil
}

// dirChain lists "/" and every directory on the way to the deepest
// existing directory of p, outermost first.
func dirChain(p string) []string {
	p = filepath.Clean(p)
	var chain []string
	for d := p; ; d = filepath.Dir(d) {
		chain = append(chain, d)
		if d == "/" || d == "." {
			break
		}
	}
	var out []string
	for i := len(chain) - 1; i >= 0; i-- {
		fi, err := os.Stat(chain[i])
		if err != nil || !fi.IsDir() {
			break
		}
		out = append(out, chain[i])
	}
	return out
}

// allowOverrideFor returns the AllowOverride in effect for dir: that of
// the deepest non-regex <Directory> containing it that sets one. none is
// true for AllowOverride None (the file is not read); a nil allow with
// none false means it was never set (Apache 2.4 still reads the file and
// rejects every directive in it).
func allowOverrideFor(s *model.Server, dir string) (allow []string, none bool) {
	best := -1
	for _, sec := range s.Directories {
		if sec.Kind != "Directory" || sec.Regex != nil || sec.Dir == nil || !sec.Dir.AllowOverrideSet {
			continue
		}
		p := filepath.Clean(sec.Path)
		if p != "/" && dir != p && !strings.HasPrefix(dir, p+"/") {
			continue
		}
		if len(p) > best {
			best, allow = len(p), sec.Dir.AllowOverride
		}
	}
	if best < 0 {
		return nil, false
	}
	for _, w := range allow {
		if !strings.EqualFold(w, "None") {
			return allow, false
		}
	}
	return nil, true
}
