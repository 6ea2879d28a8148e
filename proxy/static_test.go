package proxy

import (
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// staticRoot builds a DocumentRoot: files with and without known
// extensions, a directory with an index, one without, a symbolic link to a
// file outside the root, an .htpasswd and a file next to the root.
func staticRoot(t *testing.T) string {
	t.Helper()
	top := t.TempDir()
	root := filepath.Join(top, "www")
	files := map[string]string{
		"www/index.html":     "<p>home</p>\n",
		"www/data.json":      `{"a":1}`,
		"www/README":         "plain words",
		"www/f.weird":        "x",
		"www/sub/index.html": "sub index",
		"www/empty/x.txt":    "in empty",
		"www/.htpasswd":      "admin:secret",
		"www/digits.txt":     "0123456789",
		"secret.txt":         "outside the root",
	}
	for name, body := range files {
		p := filepath.Join(top, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(filepath.Join(root, "empty", "x.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(top, "secret.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	return root
}

func staticServer(t *testing.T, root string, modules ...string) string {
	t.Helper()
	vh := vhostCfg("front.test")
	vh.DocumentRoot = root
	vh.ProxyPass = []*model.ProxyPassRule{pass("/app/", backend(t, "app").URL+"/")}
	cfg := config(vh)
	cfg.Modules = append([]string{"core_module", "proxy_module"}, modules...)
	sort.Strings(cfg.Modules)
	_, base := start(t, cfg, Options{})
	return base
}

// TestStaticFiles: GET/HEAD/POST of files, mod_dir's redirect and index,
// mod_mime's types, Apache's method answers, as observed on Apache 2.4
// with mod_dir, mod_mime and mod_autoindex loaded.
func TestStaticFiles(t *testing.T) {
	root := staticRoot(t)
	base := staticServer(t, root, "dir_module", "mime_module", "autoindex_module")
	absent := "-"
	tests := []struct {
		method, target string
		hdr            []string
		status         int
		ctype          string // "-" = no Content-Type header
		body           string // "" = not checked
		location       string
		allow          bool
	}{
		{"GET", "/index.html", nil, 200, "text/html", "<p>home</p>\n", "", false},
		{"HEAD", "/index.html", nil, 200, "text/html", "", "", false},
		{"POST", "/data.json", nil, 200, "application/json", `{"a":1}`, "", false},
		{"GET", "/README", nil, 200, absent, "plain words", "", false},
		{"GET", "/f.weird", nil, 200, absent, "x", "", false},
		{"GET", "/", nil, 200, "text/html", "<p>home</p>\n", "", false},
		{"GET", "/sub/", nil, 200, "text/html", "sub index", "", false},
		{"GET", "/sub", nil, 301, "text/html; charset=iso-8859-1", "", "http://front.test/sub/", false},
		{"GET", "/sub?a=b", nil, 301, "text/html; charset=iso-8859-1", "", "http://front.test/sub/?a=b", false},
		{"GET", "/empty/", nil, 403, "text/html; charset=iso-8859-1", "", "", false},
		{"GET", "/missing", nil, 404, "text/html; charset=iso-8859-1", "", "", false},
		{"POST", "/missing", nil, 404, "text/html; charset=iso-8859-1", "", "", false},
		{"GET", "/index.html/", nil, 404, "text/html; charset=iso-8859-1", "", "", false},
		{"GET", "/.htpasswd", nil, 403, "text/html; charset=iso-8859-1", "", "", false},
		{"GET", "/link.txt", nil, 200, "text/plain", "outside the root", "", false},
		{"PUT", "/data.json", nil, 405, "text/html; charset=iso-8859-1", "", "", true},
		{"DELETE", "/missing", nil, 405, "text/html; charset=iso-8859-1", "", "", true},
		{"OPTIONS", "/data.json", nil, 200, "application/json", "", "", true},
		{"FOO", "/data.json", nil, 501, "text/html; charset=iso-8859-1", "<p>FOO not supported for current URL.<br />\n</p>\n", "", true},
		{"GET", "/digits.txt", []string{"Range", "bytes=2-4"}, 206, "text/plain", "234", "", false},
		{"GET", "/digits.txt", []string{"Range", "bytes=50-60"}, 416, "text/html; charset=iso-8859-1", "<h1>Requested Range Not Satisfiable</h1>", "", false},
	}
	for _, tc := range tests {
		res := get(t, nil, tc.method, base+tc.target, "front.test", tc.hdr...)
		body := drain(res)
		name := tc.method + " " + tc.target
		if res.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d (%q)", name, res.StatusCode, tc.status, body)
			continue
		}
		ct, has := res.Header["Content-Type"]
		switch {
		case tc.ctype == absent && has:
			t.Errorf("%s: Content-Type %q, want none", name, ct)
		case tc.ctype != absent && (len(ct) != 1 || ct[0] != tc.ctype):
			t.Errorf("%s: Content-Type %q, want %q", name, ct, tc.ctype)
		}
		if tc.body != "" && !strings.Contains(body, tc.body) {
			t.Errorf("%s: body %q, want %q", name, body, tc.body)
		}
		if got := res.Header.Get("Location"); got != tc.location {
			t.Errorf("%s: Location %q, want %q", name, got, tc.location)
		}
		if got := res.Header.Get("Allow"); tc.allow != (got == staticAllow) {
			t.Errorf("%s: Allow %q", name, got)
		}
		if tc.method == "HEAD" && body != "" {
			t.Errorf("%s: body %q on HEAD", name, body)
		}
	}
	// Proxied paths are still proxied.
	if s := decode(t, get(t, nil, "GET", base+"/app/x", "front.test")); s.URI != "/x" {
		t.Fatalf("proxied request: %+v", s)
	}
}

// TestStaticConditional: ETag and Last-Modified validators answer 304,
// a failing If-Match 412.
func TestStaticConditional(t *testing.T) {
	root := staticRoot(t)
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(root, "data.json"), old, old); err != nil {
		t.Fatal(err)
	}
	base := staticServer(t, root, "mime_module")
	res := get(t, nil, "GET", base+"/data.json", "front.test")
	drain(res)
	etag, lm := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
	if !strings.HasPrefix(etag, `"7-`) || lm == "" || res.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("validators: ETag %q Last-Modified %q Accept-Ranges %q", etag, lm, res.Header.Get("Accept-Ranges"))
	}
	for _, h := range [][]string{{"If-None-Match", etag}, {"If-Modified-Since", lm}} {
		res := get(t, nil, "GET", base+"/data.json", "front.test", h...)
		if drain(res); res.StatusCode != http.StatusNotModified {
			t.Errorf("%s: %d, want 304", h[0], res.StatusCode)
		}
	}
	// A date after the request is ignored (Apache's ap_meets_conditions).
	res = get(t, nil, "GET", base+"/data.json", "front.test", "If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT")
	if body := drain(res); res.StatusCode != 200 || body != `{"a":1}` {
		t.Errorf("future If-Modified-Since: %d %q, want 200 and the file", res.StatusCode, body)
	}
	res = get(t, nil, "GET", base+"/data.json", "front.test", "If-Match", `"nope"`)
	if body := drain(res); res.StatusCode != http.StatusPreconditionFailed || body != "" {
		t.Errorf("If-Match: %d %q, want 412 and no body", res.StatusCode, body)
	}
}

// TestStaticWithoutModules: without mod_dir and mod_mime (the conformance
// harness's Apache) a directory is the core's 404 and no file has a
// Content-Type, not even a sniffed one.
func TestStaticWithoutModules(t *testing.T) {
	base := staticServer(t, staticRoot(t))
	for target, want := range map[string]int{"/sub": 404, "/sub/": 404, "/": 404, "/index.html": 200, "/empty/": 404} {
		res := get(t, nil, "GET", base+target, "front.test")
		drain(res)
		if res.StatusCode != want {
			t.Errorf("%s: %d, want %d", target, res.StatusCode, want)
		}
		if ct := res.Header["Content-Type"]; want == 200 && ct != nil {
			t.Errorf("%s: Content-Type %q without mod_mime", target, ct)
		}
	}
}

// TestStaticNoEscape: ".." and its encodings never leave DocumentRoot.
func TestStaticNoEscape(t *testing.T) {
	base := staticServer(t, staticRoot(t), "dir_module", "mime_module")
	for _, target := range []string{"/../secret.txt", "/%2e%2e/secret.txt", "/sub/../../secret.txt", "/..%2fsecret.txt", "/.%2e/secret.txt"} {
		res := rawGet(t, base, target, "front.test")
		body := drain(res)
		if res.StatusCode == 200 || strings.Contains(body, "outside the root") {
			t.Errorf("%s: %d %q escaped the root", target, res.StatusCode, body)
		}
	}
}

// TestStaticNoRoot: a server without DocumentRoot answers 404.
func TestStaticNoRoot(t *testing.T) {
	cfg := config(vhostCfg("front.test"))
	_, base := start(t, cfg, Options{})
	res := get(t, nil, "GET", base+"/index.html", "front.test")
	if drain(res); res.StatusCode != 404 {
		t.Fatalf("no DocumentRoot: %d", res.StatusCode)
	}
}

type fakeInfo struct {
	fs.FileInfo
	size int64
	mt   time.Time
}

func (f fakeInfo) Size() int64        { return f.size }
func (f fakeInfo) ModTime() time.Time { return f.mt }

func TestFileETag(t *testing.T) {
	mt := time.UnixMicro(0x6612a677c9fca)
	if got := fileETag(fakeInfo{size: 3, mt: mt}, mt.Add(time.Hour)); got != `"3-6612a677c9fca"` {
		t.Errorf("etag %s", got)
	}
	if got := fileETag(fakeInfo{size: 3, mt: mt}, mt.Add(time.Second/2)); got != `W/"3-6612a677c9fca"` {
		t.Errorf("fresh etag %s", got)
	}
}

func TestMIMEType(t *testing.T) {
	for name, want := range map[string]string{
		"a.html": "text/html", "A.HTML": "text/html", "x.json": "application/json",
		"a.html.weird": "text/html", "README": "", "a.weird": "", "a.txt.css": "text/css",
	} {
		if got := mimeType(name); got != want {
			t.Errorf("mimeType(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestStaticETagSpelling: the header goes out as Apache spells it
// ("ETag"), not Go's canonical "Etag".
func TestStaticETagSpelling(t *testing.T) {
	base := staticServer(t, staticRoot(t))
	c := dialRaw(t, base)
	if _, err := c.Write([]byte("HEAD /data.json HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	raw, _ := io.ReadAll(c)
	if !strings.Contains(string(raw), "\r\nETag: ") {
		t.Fatalf("no ETag header in %q", raw)
	}
}

// TestErrorDocumentFile: a local-path ErrorDocument is the DocumentRoot
// file sent with the error status (the maintenance page of a balancer
// whose members are down); a missing one adds Apache's "Additionally"
// paragraph; one that ProxyPass would take falls back to the built-in page.
func TestErrorDocumentFile(t *testing.T) {
	root := staticRoot(t)
	if err := os.WriteFile(filepath.Join(root, "down.html"), []byte("<h1>down</h1>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dead := backend(t, "dead")
	dead.Close()
	vh := vhostCfg("front.test")
	vh.DocumentRoot = root
	vh.Dir.ErrorDocuments = map[int]string{503: "/down.html", 404: "/nope.html", 403: "/app/err"}
	vh.ProxyPass = []*model.ProxyPassRule{pass("/down.html", "!"), pass("/dead/", dead.URL+"/"), pass("/app/", backend(t, "app").URL+"/")}
	cfg := config(vh)
	cfg.Modules = []string{"mime_module"}
	_, base := start(t, cfg, Options{})

	res := get(t, nil, "GET", base+"/dead/x", "front.test")
	if body := drain(res); res.StatusCode != 503 || body != "<h1>down</h1>\n" || res.Header.Get("Content-Type") != "text/html" {
		t.Errorf("503 with ErrorDocument file: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	res = get(t, nil, "GET", base+"/missing", "front.test")
	if body := drain(res); res.StatusCode != 404 || !strings.Contains(body, "<p>Additionally, a 404 Not Found\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n</body></html>\n") {
		t.Errorf("missing ErrorDocument file: %d %q", res.StatusCode, body)
	}
	res = get(t, nil, "GET", base+"/.htpasswd", "front.test")
	if body := drain(res); res.StatusCode != 403 || strings.Contains(body, "Additionally") || !strings.Contains(body, "<h1>Forbidden</h1>") {
		t.Errorf("proxied ErrorDocument path: %d %q", res.StatusCode, body)
	}
}

// TestExplainStaticMatchesServing: explain's status for DocumentRoot
// paths is the status a GET gets.
func TestExplainStaticMatchesServing(t *testing.T) {
	root := staticRoot(t)
	vh := vhostCfg("front.test")
	vh.DocumentRoot = root
	cfg := config(vh)
	cfg.Modules = []string{"autoindex_module", "dir_module", "mime_module"}
	s, base := start(t, cfg, Options{})
	for _, p := range []string{"/index.html", "/", "/sub", "/sub/", "/empty/", "/missing", "/index.html/", "/.htpasswd", "/link.txt"} {
		ex, err := s.ExplainURL("GET", base+p, []string{"Host: front.test"})
		if err != nil {
			t.Fatal(err)
		}
		res := get(t, nil, "GET", base+p, "front.test")
		drain(res)
		if ex.Outcome != "file" || ex.Status != res.StatusCode || ex.Reason == "" {
			t.Errorf("%s: explain %s %d (%s), served %d", p, ex.Outcome, ex.Status, ex.Reason, res.StatusCode)
		}
	}
}

// TestDirectoryIndexList: the innermost level's list is tried in order,
// the main server's applies to virtual hosts, "disabled" turns it off.
func TestDirectoryIndexList(t *testing.T) {
	root := staticRoot(t)
	if err := os.WriteFile(filepath.Join(root, "sub", "home.htm"), []byte("home"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "..", "index.html"), []byte("escaped"), 0o644); err != nil {
		t.Fatal(err)
	}
	vh := vhostCfg("front.test")
	vh.DocumentRoot = root
	vh.Directories = []*model.Section{{Kind: "Directory", Path: filepath.Join(root, "empty"), Dir: &model.DirConfig{DirectoryIndex: []string{}}}}
	cfg := config(vh)
	cfg.Main.Dir.DirectoryIndex = []string{"../index.html", "nope.html", "home.htm", "index.html"}
	cfg.Modules = []string{"autoindex_module", "dir_module"}
	_, base := start(t, cfg, Options{})
	for p, want := range map[string]string{"/sub/": "200 home", "/": "200 <p>home</p>", "/empty/": "403 "} {
		res := get(t, nil, "GET", base+p, "front.test")
		body := drain(res)
		if got := strconv.Itoa(res.StatusCode) + " " + body; !strings.HasPrefix(got, want) || (res.StatusCode == 403 && strings.Contains(body, "home")) {
			t.Errorf("%s: %.40q, want %q", p, got, want)
		}
	}
}

// FuzzStaticPath: whatever the request path and AllowEncodedSlashes mode,
// the file a request maps to stays under DocumentRoot.
func FuzzStaticPath(f *testing.F) {
	for _, s := range []string{"/a/../../b", "/%2e%2e/x", "/a%2F..%2F..%2Fx", "/..%2f..%2fetc", "/./.%2e/", "/x/%2E%2E%2F%2E%2E/y"} {
		f.Add(s)
	}
	const root = "/srv/www"
	f.Fuzz(func(t *testing.T, raw string) {
		for _, mode := range []string{slashesOff, slashesOn, slashesNoDecode} {
			u, st := cleanURIMode(raw, mode)
			if st != 0 {
				continue
			}
			if p := path.Join(root, u); p != root && !strings.HasPrefix(p, root+"/") {
				t.Fatalf("%q (%s) -> uri %q -> file %q outside %s", raw, mode, u, p, root)
			}
		}
	})
}
