package proxy

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/directives/model"
)

func TestCleanURIEncodedSlashes(t *testing.T) {
	tests := []struct {
		raw, mode, want string
		st              int
	}{
		{"/a%2Fb", slashesOff, "", 404},
		{"/a%2fb", slashesOff, "", 404},
		{"/a%2Fb", slashesOn, "/a/b", 0},
		{"/x%2F..%2Findex.html", slashesOn, "/index.html", 0},
		{"/x%2F..%2F..%2Fetc", slashesOn, "", 404},
		{"/a%2F%2Fb", slashesOn, "/a/b", 0},
		{"/a%2Fb", slashesNoDecode, "/a%2Fb", 0},
		{"/a%2fb", slashesNoDecode, "/a%2Fb", 0}, // escapes are uppercased first
		{"/x%2F..%2F..%2Fetc", slashesNoDecode, "/x%2F..%2F..%2Fetc", 0},
		{"/a%00b", slashesNoDecode, "", 404},
		{"/a%00b", slashesOn, "", 404},
		{"/a%zz", slashesOn, "", 400},
		{"/a%20b", slashesNoDecode, "/a b", 0},
	}
	for _, tc := range tests {
		got, st := cleanURIMode(tc.raw, tc.mode)
		if got != tc.want || st != tc.st {
			t.Errorf("cleanURIMode(%q, %q) = %q, %d; want %q, %d", tc.raw, tc.mode, got, st, tc.want, tc.st)
		}
	}
	for p, want := range map[string]string{"a%2Fb": "a%2Fb", "a%2fb c": "a%2fb%20c", "a%41": "a%2541", "a%2": "a%252"} {
		if got := canonPathMode(p, true); got != want {
			t.Errorf("canonPathMode(%q, true) = %q, want %q", p, got, want)
		}
	}
	if got := canonPathMode("a%2Fb", false); got != "a%252Fb" {
		t.Errorf("canonPathMode without NoDecode = %q", got)
	}
}

// TestAllowEncodedSlashesServing: per virtual host, inherited from the
// main server; NoDecode forwards %2F untouched.
func TestAllowEncodedSlashesServing(t *testing.T) {
	b := backend(t, "b")
	off, nodec, on := vhostCfg("off.test"), vhostCfg("nodecode.test"), vhostCfg("on.test")
	nodec.AllowEncodedSlashes, on.AllowEncodedSlashes = "nodecode", "on"
	for _, vh := range []*model.Server{off, nodec, on} {
		vh.ProxyPass = []*model.ProxyPassRule{pass("/pub/", b.URL+"/pub/")}
	}
	_, base := start(t, config(off, nodec, on), Options{})
	res := rawGet(t, base, "/pub/a%2Fb", "off.test")
	if drain(res); res.StatusCode != 404 {
		t.Errorf("Off: %d, want 404", res.StatusCode)
	}
	if s := decode(t, rawGet(t, base, "/pub/a%2Fb", "nodecode.test")); s.URI != "/pub/a%2Fb" {
		t.Errorf("NoDecode: backend got %q", s.URI)
	}
	if s := decode(t, rawGet(t, base, "/pub/a%2Fb", "on.test")); s.URI != "/pub/a/b" {
		t.Errorf("On: backend got %q", s.URI)
	}
	// Inherited from the main server.
	inh := vhostCfg("inh.test")
	inh.ProxyPass = []*model.ProxyPassRule{pass("/pub/", b.URL+"/pub/")}
	cfg := config(inh)
	cfg.Main.AllowEncodedSlashes = "nodecode"
	_, base2 := start(t, cfg, Options{})
	if s := decode(t, rawGet(t, base2, "/pub/a%2Fb", "inh.test")); s.URI != "/pub/a%2Fb" {
		t.Errorf("inherited NoDecode: backend got %q", s.URI)
	}
}

// TestErrorOverridePerLocation: ProxyErrorOverride in a <Location>
// replaces backend error pages there only; an inner section can turn it
// off again.
func TestErrorOverridePerLocation(t *testing.T) {
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-From", "backend")
		switch {
		case strings.HasSuffix(r.URL.Path, "/missing"):
			http.Error(w, "backend 404", 404)
		case strings.HasSuffix(r.URL.Path, "/teapot"):
			http.Error(w, "backend 418", http.StatusTeapot)
		default:
			_, _ = w.Write([]byte("fine"))
		}
	}))
	defer b.Close()
	vh := vhostCfg("front.test")
	vh.ProxyPass = []*model.ProxyPassRule{pass("/plain/", b.URL+"/"), pass("/over/", b.URL+"/"), pass("/codes/", b.URL+"/")}
	vh.Locations = []*model.Section{
		{Kind: "Location", Path: "/over/", Dir: &model.DirConfig{ErrorOverride: &model.ErrorOverride{On: true}}},
		{Kind: "Location", Path: "/over/inner/", Dir: &model.DirConfig{ErrorOverride: &model.ErrorOverride{}}},
		{Kind: "Location", Path: "/codes/", Dir: &model.DirConfig{ErrorOverride: &model.ErrorOverride{On: true, Codes: []int{418}}}},
	}
	_, base := start(t, config(vh), Options{})
	for _, tc := range []struct {
		path        string
		status      int
		fromBackend bool
	}{
		{"/plain/missing", 404, true},
		{"/over/missing", 404, false},
		{"/over/fine", 200, true},
		{"/over/inner/missing", 404, true},
		{"/codes/missing", 404, true},
		{"/codes/teapot", 418, false},
	} {
		res := get(t, nil, "GET", base+tc.path, "front.test")
		body := drain(res)
		if res.StatusCode != tc.status || (res.Header.Get("X-From") == "backend") != tc.fromBackend {
			t.Errorf("%s: %d X-From=%q body %.60q; want %d, backend page %v", tc.path, res.StatusCode, res.Header.Get("X-From"), body, tc.status, tc.fromBackend)
		}
	}
}

// FuzzCleanURIMode: under every AllowEncodedSlashes mode the path stays
// absolute and, once decoded (On), never has a ".." segment; Off never
// lets an encoded slash through.
func FuzzCleanURIMode(f *testing.F) {
	for _, s := range []string{"/a%2Fb", "/x%2F..%2F..%2Fetc", "/%2e%2e%2F", "/a%2F%2F.%2F", "/%2F"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
		f.Add(s, uint8(2))
	}
	modes := []string{slashesOff, slashesOn, slashesNoDecode}
	f.Fuzz(func(t *testing.T, raw string, m uint8) {
		mode := modes[int(m)%len(modes)]
		u, st := cleanURIMode(raw, mode)
		if st != 0 {
			return
		}
		if !strings.HasPrefix(u, "/") {
			t.Fatalf("%q (%s) -> %q not absolute", raw, mode, u)
		}
		if mode == slashesOn {
			for _, seg := range strings.Split(u, "/") {
				if seg == ".." && !strings.Contains(raw, "%25") {
					t.Fatalf("%q (on) -> %q has a .. segment", raw, u)
				}
			}
		}
		if mode == slashesOff && strings.Contains(strings.ToUpper(raw), "%2F") && !strings.Contains(raw, "%25") {
			t.Fatalf("%q (off) accepted an encoded slash: %q", raw, u)
		}
	})
}
