package proxy

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Static files: what Apache's core default handler, mod_dir and mod_mime
// do for a request that no ProxyPass, rewrite or SetHandler takes and
// that maps into DocumentRoot (observed on Debian's apache2 2.4):
//
//   - TRACE is echoed (TraceEnable On); an unknown method is 501, OPTIONS
//     is 200 with Allow, PUT, DELETE, PATCH and other known methods are
//     405 with Allow (even for a missing file); GET, HEAD and POST serve
//     the file.
//   - A directory without a trailing slash is a 301 to the slash form
//     when mod_dir is loaded (DirectorySlash On), with the query kept;
//     with the slash, the first DirectoryIndex file (default index.html)
//     is served. A directory with no index is 403 when mod_autoindex is
//     loaded (balancerd never lists directories: Options Indexes is
//     treated as off) and 404 otherwise, as the core's "Attempt to serve
//     directory".
//   - Content-Type comes from mod_mime's TypesConfig (/etc/mime.types)
//     when mod_mime is loaded, by the file's extensions (the last known
//     one wins); an unknown extension or no mod_mime means no
//     Content-Type at all (Apache 2.4 has no DefaultType).
//   - ETag is FileETag MTime Size ("size-mtime" in hex, weak within a
//     second of the modification); Last-Modified, conditional requests
//     and byte ranges are http.ServeContent's.
//   - The path is r->uri after normalisation, so ".." never leaves
//     DocumentRoot; symbolic links are followed (FollowSymLinks).
//     balancerd refuses files whose name starts with ".ht" (403), as
//     Debian's apache2.conf does with <FilesMatch "^\.ht">, even when the
//     configuration read lacks that section.

// staticAllow is the Allow header of the default handler.
const staticAllow = "HEAD,GET,POST,OPTIONS,TRACE"

// knownMethods are the methods Apache registers (others are M_INVALID).
var knownMethods = map[string]bool{
	"GET": true, "HEAD": true, "PUT": true, "POST": true, "DELETE": true, "CONNECT": true,
	"OPTIONS": true, "TRACE": true, "PATCH": true, "PROPFIND": true, "PROPPATCH": true,
	"MKCOL": true, "COPY": true, "MOVE": true, "LOCK": true, "UNLOCK": true,
	"VERSION-CONTROL": true, "CHECKOUT": true, "UNCHECKOUT": true, "CHECKIN": true,
	"UPDATE": true, "LABEL": true, "REPORT": true, "MKWORKSPACE": true, "MKACTIVITY": true,
	"BASELINE-CONTROL": true, "MERGE": true,
}

// hasModule reports whether the configuration loads module id.
func (sn *snapshot) hasModule(id string) bool {
	_, ok := slices.BinarySearch(sn.cfg.Modules, id)
	return ok
}

// serveStatic answers a request that nothing else took, from the
// virtual host's DocumentRoot. It reports false when the server has no
// DocumentRoot (the caller then answers 404).
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request, sn *snapshot, rt *route) bool {
	if rt.filePath == "" {
		return false
	}
	if r.Method == http.MethodTrace {
		writeTrace(w, r)
		return true
	}
	name := strings.TrimSuffix(rt.filePath, "/")
	if strings.HasPrefix(path.Base(name), ".ht") {
		s.staticError(w, r, rt, http.StatusForbidden)
		return true
	}
	fi, err := os.Stat(name)
	if err == nil && !fi.IsDir() && strings.HasSuffix(rt.filePath, "/") {
		err = fs.ErrNotExist // "file.html/": path info the core refuses
	}
	if err == nil && fi.IsDir() {
		if !strings.HasSuffix(rt.uri, "/") && sn.hasModule("dir_module") {
			s.staticRedirect(w, r, rt)
			return true
		}
		if sn.hasModule("dir_module") && strings.HasSuffix(rt.uri, "/") {
			if idx, ifi := sn.findIndex(rt, name); ifi != nil {
				if st := s.recheckAccess(w, r, rt, idx); st != 0 {
					return true
				}
				name, fi = idx, ifi
			}
		}
	}
	mime := ""
	if sn.hasModule("mime_module") {
		mime = mimeType(path.Base(name))
	}
	h := w.Header()
	switch {
	case !knownMethods[r.Method]:
		h.Set("Allow", staticAllow)
		s.staticError(w, r, rt, http.StatusNotImplemented)
		return true
	case r.Method == http.MethodOptions:
		if mime != "" {
			h.Set("Content-Type", mime)
		}
		h.Set("Allow", staticAllow)
		h.Set("Content-Length", "0")
		s.finishHeaders(h, rt, r, http.StatusOK, false)
		w.WriteHeader(http.StatusOK)
		return true
	case r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodPost:
		h.Set("Allow", staticAllow)
		s.staticError(w, r, rt, http.StatusMethodNotAllowed)
		return true
	}
	switch {
	case errors.Is(err, fs.ErrPermission):
		s.staticError(w, r, rt, http.StatusForbidden)
		return true
	case err != nil:
		s.staticError(w, r, rt, http.StatusNotFound)
		return true
	case fi.IsDir():
		if sn.hasModule("autoindex_module") && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			s.staticError(w, r, rt, http.StatusForbidden)
		} else {
			s.staticError(w, r, rt, http.StatusNotFound)
		}
		return true
	}
	f, err := os.Open(name)
	if err != nil {
		st := http.StatusNotFound
		if errors.Is(err, fs.ErrPermission) {
			st = http.StatusForbidden
		}
		s.staticError(w, r, rt, st)
		return true
	}
	defer f.Close()
	if mime != "" {
		h.Set("Content-Type", mime)
	} else {
		h["Content-Type"] = nil // no sniffing: Apache sends no type
	}
	now := time.Now()
	if ims, err := http.ParseTime(r.Header.Get("If-Modified-Since")); err == nil && ims.After(now) {
		// Apache ignores a date later than the request (ap_meets_conditions).
		r.Header.Del("If-Modified-Since")
	}
	h.Set("ETag", fileETag(fi, now))
	s.finishHeaders(h, rt, r, http.StatusOK, false)
	http.ServeContent(&staticWriter{ResponseWriter: w, s: s, r: r, rt: rt}, r, "", fi.ModTime(), f)
	return true
}

// recheckAccess runs the access hook for the DirectoryIndex file, as
// Apache's subrequest does; it answers the request and returns the
// status when access is refused.
func (s *Server) recheckAccess(w http.ResponseWriter, r *http.Request, rt *route, file string) int {
	if s.opts.Access == nil {
		return 0
	}
	res := s.opts.Access.Check(r, &AccessInput{Server: rt.vh.srv, Dirs: rt.dirs, Sections: rt.sections,
		URI: rt.uri + path.Base(file), FilePath: file, Env: rt.env})
	if res.Status == 0 {
		return 0
	}
	for k, vs := range res.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	s.staticError(w, r, rt, res.Status)
	return res.Status
}

// staticError sends an error for a static request with its headers.
func (s *Server) staticError(w http.ResponseWriter, r *http.Request, rt *route, status int) {
	s.finishHeaders(w.Header(), rt, r, status, false)
	if status == http.StatusNotImplemented {
		body := errHead + "501 Not Implemented</title>\n</head><body>\n<h1>Not Implemented</h1>\n<p>" +
			htmlEscape(r.Method) + " not supported for current URL.<br />\n</p>\n</body></html>\n"
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=iso-8859-1")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("Connection", "close")
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(body))
		}
		return
	}
	writeErrorFor(w, r, rt, status)
}

// staticRedirect is mod_dir's DirectorySlash: 301 to the URL with a
// slash, built from the Host header (UseCanonicalName Off), query kept.
func (s *Server) staticRedirect(w http.ResponseWriter, r *http.Request, rt *route) {
	scheme, defPort := "http", 80
	if r.TLS != nil {
		scheme, defPort = "https", 443
	}
	host, port := hostName(r.Host), 0
	if h, p, err := net.SplitHostPort(r.Host); err == nil && h != "" {
		port, _ = strconv.Atoi(p)
	}
	if host == "" { // HTTP/1.0 without Host: the server's name and port
		host = rt.vh.srv.ServerName
		lh, p, _ := net.SplitHostPort(localAddr(r))
		port, _ = strconv.Atoi(p)
		if host == "" {
			host = lh
		}
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	loc := scheme + "://" + host
	if port != 0 && port != defPort {
		loc += ":" + strconv.Itoa(port)
	}
	loc += (&url.URL{Path: rt.uri + "/"}).EscapedPath()
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	h := w.Header()
	h.Set("Location", loc)
	s.finishHeaders(h, rt, r, http.StatusMovedPermanently, false)
	body := redirectBody(http.StatusMovedPermanently, loc)
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusMovedPermanently)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

// fileETag is Apache's FileETag MTime Size: "size-mtime" in hex with the
// modification time in microseconds, weak when the file changed less than
// a second before now.
func fileETag(fi fs.FileInfo, now time.Time) string {
	mt := fi.ModTime()
	tag := `"` + strconv.FormatInt(fi.Size(), 16) + "-" + strconv.FormatInt(mt.UnixMicro(), 16) + `"`
	if now.Sub(mt) <= time.Second {
		tag = "W/" + tag
	}
	return tag
}

// staticWriter replaces the plain-text errors http.ServeContent writes
// (416) with Apache's error document.
type staticWriter struct {
	http.ResponseWriter
	s       *Server
	r       *http.Request
	rt      *route
	swallow bool
}

func (sw *staticWriter) WriteHeader(code int) {
	h := sw.Header()
	if v, ok := h["Etag"]; ok {
		// ServeContent reads the canonical key; Apache spells it ETag.
		delete(h, "Etag")
		h["ETag"] = v
	}
	if code == http.StatusRequestedRangeNotSatisfiable {
		sw.swallow = true
		h.Del("Content-Range")
		h.Del("X-Content-Type-Options")
		sw.s.staticError(sw.ResponseWriter, sw.r, sw.rt, code)
		return
	}
	sw.ResponseWriter.WriteHeader(code)
}

func (sw *staticWriter) Write(p []byte) (int, error) {
	if sw.swallow {
		return len(p), nil
	}
	return sw.ResponseWriter.Write(p)
}

// mimeTypesFile is mod_mime's TypesConfig on Debian.
const mimeTypesFile = "/etc/mime.types"

var (
	mimeOnce  sync.Once
	mimeTypes map[string]string
)

// builtinMIME is used when /etc/mime.types cannot be read.
var builtinMIME = map[string]string{
	"html": "text/html", "htm": "text/html", "css": "text/css", "js": "text/javascript",
	"txt": "text/plain", "json": "application/json", "xml": "application/xml",
	"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
	"svg": "image/svg+xml", "ico": "image/vnd.microsoft.icon", "pdf": "application/pdf",
	"wasm": "application/wasm", "woff": "font/woff", "woff2": "font/woff2",
}

// loadMIME reads a mime.types file: "type ext ext..." lines, # comments.
func loadMIME(file string) map[string]string {
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	m := make(map[string]string, 1024)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		for _, ext := range fields[min(1, len(fields)):] {
			m[strings.ToLower(ext)] = strings.ToLower(fields[0])
		}
	}
	return m
}

// mimeType is mod_mime's type for a file name: every extension after the
// first dot is looked up and the last one known wins; "" if none.
func mimeType(base string) string {
	mimeOnce.Do(func() {
		mimeTypes = loadMIME(mimeTypesFile)
		if mimeTypes == nil {
			mimeTypes = builtinMIME
		}
	})
	exts := strings.Split(base, ".")
	t := ""
	for _, e := range exts[1:] {
		if v, ok := mimeTypes[strings.ToLower(e)]; ok {
			t = v
		}
	}
	return t
}

// serveErrorFile answers status with a local-path ErrorDocument the way
// Apache's internal redirect does when the path is a DocumentRoot file:
// the path is decided afresh as a GET (vhost, rewrite, ProxyPass) and a
// plain file is sent with the original status — without an access check,
// as Apache serves error documents even from denied directories. A
// missing file gives the built-in page with Apache's "Additionally, a 404
// Not Found error was encountered" paragraph. It reports false — the
// caller then sends the built-in page — when the path is proxied or
// handled (Apache would proxy or handle it; balancerd does not).
func (rt *route) serveErrorFile(w http.ResponseWriter, r *http.Request, status int, doc string) bool {
	if rt == nil || rt.s == nil || rt.sn == nil {
		return false
	}
	s, sn := rt.s, rt.sn
	target := doc
	if i := strings.IndexByte(target, '?'); i >= 0 {
		target = target[:i]
	}
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	r2 := r.Clone(r.Context())
	r2.Method, r2.URL, r2.RequestURI, r2.Body, r2.ContentLength = http.MethodGet, u, target, http.NoBody, 0
	r2.TransferEncoding = nil
	rt2 := s.decide(sn, r2, nil)
	if rt2.status != 0 || rt2.proxied() || rt2.handler != "" || rt2.filePath == "" {
		return false
	}
	extra := http.StatusNotFound
	name := strings.TrimSuffix(rt2.filePath, "/")
	if strings.HasPrefix(path.Base(name), ".ht") {
		extra = http.StatusForbidden
	} else if f, err := os.Open(name); err == nil {
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && !strings.HasSuffix(rt2.filePath, "/") {
			h := w.Header()
			h["Content-Type"] = nil
			if sn.hasModule("mime_module") {
				if m := mimeType(path.Base(name)); m != "" {
					h.Set("Content-Type", m)
				}
			}
			h["ETag"] = []string{fileETag(fi, time.Now())}
			h.Set("Last-Modified", fi.ModTime().UTC().Format(http.TimeFormat))
			h.Set("Accept-Ranges", "bytes")
			h.Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
			if dropsConnection(status) {
				h.Set("Connection", "close")
			}
			w.WriteHeader(status)
			if r.Method != http.MethodHead {
				_, _ = io.CopyN(w, f, fi.Size())
			}
			return true
		}
	} else if errors.Is(err, fs.ErrPermission) {
		extra = http.StatusForbidden
	}
	body := errorBody(status, r.Method)
	body = strings.TrimSuffix(body, "</body></html>\n") + "<p>Additionally, a " + strconv.Itoa(extra) + " " + reasonPhrase(extra) +
		"\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n</body></html>\n"
	if _, ok := apacheReasons[status]; ok {
		writeWithReason(w, r, status, apacheReasons[status], body)
		return true
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if dropsConnection(status) {
		h.Set("Connection", "close")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = io.WriteString(w, body)
	}
	return true
}

// explainStatic says what serveStatic does with a GET for rt: the status
// and why, from the same file-system checks.
func (sn *snapshot) explainStatic(rt *route) (int, string) {
	name := strings.TrimSuffix(rt.filePath, "/")
	if strings.HasPrefix(path.Base(name), ".ht") {
		return http.StatusForbidden, ".ht* files are never served"
	}
	fi, err := os.Stat(name)
	switch {
	case errors.Is(err, fs.ErrPermission):
		return http.StatusForbidden, "DocumentRoot file " + name + " is not readable"
	case err != nil:
		return http.StatusNotFound, "no such file under DocumentRoot: " + name
	case !fi.IsDir() && strings.HasSuffix(rt.filePath, "/"):
		return http.StatusNotFound, name + " is a file, not a directory (path info is refused)"
	case !fi.IsDir():
		return http.StatusOK, "DocumentRoot file " + name
	case !sn.hasModule("dir_module"):
		return http.StatusNotFound, name + " is a directory and mod_dir is not loaded"
	case !strings.HasSuffix(rt.uri, "/"):
		return http.StatusMovedPermanently, "DirectorySlash: redirect to " + rt.uri + "/"
	}
	if idx, ifi := sn.findIndex(rt, name); ifi != nil {
		return http.StatusOK, "DirectoryIndex " + idx
	}
	if sn.hasModule("autoindex_module") {
		return http.StatusForbidden, name + " has no DirectoryIndex file and balancerd does not list directories"
	}
	return http.StatusNotFound, name + " has no DirectoryIndex file"
}

// defaultIndex is mod_dir's default DirectoryIndex.
var defaultIndex = []string{"index.html"}

// findIndex returns the first DirectoryIndex file of dir that is a
// regular file; the list is the innermost level's that sets one, else
// the main server's, else index.html.
func (sn *snapshot) findIndex(rt *route, dir string) (string, fs.FileInfo) {
	names := defaultIndex
	found := false
	for i := len(rt.dirs) - 1; i >= 0 && !found; i-- {
		if v := rt.dirs[i].DirectoryIndex; v != nil {
			names, found = v, true
		}
	}
	if m := sn.main.srv.Dir; !found && m != nil && m.DirectoryIndex != nil {
		names = m.DirectoryIndex
	}
	for _, n := range names {
		p := path.Join(dir, n)
		if !strings.HasPrefix(p, dir+"/") {
			continue // "../x" never leaves the directory
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, fi
		}
	}
	return "", nil
}
