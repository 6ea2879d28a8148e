package rewrite

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request is what mod_rewrite looks at in one request.
type Request struct {
	Method string
	// Path is the decoded URL-path (r->uri); RawQuery the query string
	// without '?'.
	Path     string
	RawQuery string
	// Host is the Host header as sent ("example.com:8080").
	Host   string
	Header http.Header
	// RemoteAddr and LocalAddr are "ip:port" of the connection.
	RemoteAddr, LocalAddr string
	HTTPS                 bool
	Proto                 string // "HTTP/1.1"
	// ServerName is the vhost's ServerName (used when Host is absent);
	// ServerPort its port (0 = from Host or the local address).
	ServerName   string
	ServerPort   int
	DocumentRoot string
	User         string // REMOTE_USER, "" if none
	// Env is the request environment; rules may add to it ([E=]).
	Env map[string]string
	// Now is the request time (TIME_* variables, cookie expiry).
	Now time.Time
	// Filename is Apache's r->filename, what per-directory rules match:
	// "proxy:" and the backend URL for a proxied request, DocumentRoot
	// plus the path otherwise. Empty means Path.
	Filename string
}

// FromHTTP fills a Request from an *http.Request.
func FromHTTP(r *http.Request, env map[string]string, now time.Time) *Request {
	req := &Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Host: r.Host,
		Header: r.Header, RemoteAddr: r.RemoteAddr, HTTPS: r.TLS != nil, Proto: r.Proto, Env: env, Now: now}
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		req.LocalAddr = la.String()
	}
	return req
}

func (r *Request) header(name string) string {
	if r.Header == nil {
		return ""
	}
	return strings.Join(r.Header.Values(name), ", ")
}

// serverName is ap_get_server_name with UseCanonicalName Off.
func (r *Request) serverName() string {
	if r.Host != "" {
		h := r.Host
		if host, _, err := net.SplitHostPort(h); err == nil {
			h = host
		}
		return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	}
	return r.ServerName
}

func (r *Request) scheme() string {
	if r.HTTPS {
		return "https"
	}
	return "http"
}

// serverPort is ap_get_server_port with UseCanonicalName Off: the Host
// header's port, else the default port of the scheme.
func (r *Request) serverPort() int {
	if _, p, err := net.SplitHostPort(r.Host); err == nil {
		if n, err := strconv.Atoi(p); err == nil {
			return n
		}
	}
	if r.ServerPort != 0 && r.Host == "" {
		return r.ServerPort
	}
	if r.HTTPS {
		return 443
	}
	return 80
}

func splitAddr(a string) (string, string) {
	h, p, err := net.SplitHostPort(a)
	if err != nil {
		return a, ""
	}
	return h, p
}

// variable returns %{NAME} as mod_rewrite's lookup_variable does.
func (r *Request) variable(name string) string {
	switch {
	case strings.HasPrefix(name, "ENV:"):
		return r.Env[name[4:]]
	case strings.HasPrefix(name, "HTTP:"):
		return r.header(name[5:])
	case strings.HasPrefix(name, "SSL:"):
		return ""
	case strings.HasPrefix(name, "LA-U:"), strings.HasPrefix(name, "LA-F:"):
		return r.variable(name[5:])
	}
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	switch name {
	case "HTTP_ACCEPT":
		return r.header("Accept")
	case "HTTP_COOKIE":
		return r.header("Cookie")
	case "HTTP_FORWARDED":
		return r.header("Forwarded")
	case "HTTP_HOST":
		return r.Host
	case "HTTP_PROXY_CONNECTION":
		return r.header("Proxy-Connection")
	case "HTTP_REFERER":
		return r.header("Referer")
	case "HTTP_USER_AGENT":
		return r.header("User-Agent")
	case "REQUEST_METHOD":
		return r.Method
	case "REQUEST_URI", "SCRIPT_URL":
		return r.Path
	case "REQUEST_FILENAME", "SCRIPT_FILENAME":
		if r.Filename != "" {
			return r.Filename
		}
		return r.Path
	case "QUERY_STRING":
		return r.RawQuery
	case "REMOTE_ADDR", "CONN_REMOTE_ADDR", "REMOTE_HOST":
		h, _ := splitAddr(r.RemoteAddr)
		return h
	case "REMOTE_PORT":
		_, p := splitAddr(r.RemoteAddr)
		return p
	case "REMOTE_USER":
		return r.User
	case "REMOTE_IDENT":
		return ""
	case "AUTH_TYPE":
		if r.User != "" {
			return "Basic"
		}
		return ""
	case "SERVER_NAME":
		return r.serverName()
	case "SERVER_PORT":
		return strconv.Itoa(r.serverPort())
	case "SERVER_ADDR":
		h, _ := splitAddr(r.LocalAddr)
		return h
	case "SERVER_PROTOCOL":
		return r.Proto
	case "SERVER_SOFTWARE":
		return "Apache"
	case "SERVER_ADMIN":
		return ""
	case "DOCUMENT_ROOT", "CONTEXT_DOCUMENT_ROOT":
		return r.DocumentRoot
	case "CONTEXT_PREFIX", "PATH_INFO", "SCRIPT_USER", "SCRIPT_GROUP":
		return ""
	case "HTTPS":
		if r.HTTPS {
			return "on"
		}
		return "off"
	case "REQUEST_SCHEME":
		return r.scheme()
	case "IPV6":
		h, _ := splitAddr(r.RemoteAddr)
		if strings.Contains(h, ":") {
			return "on"
		}
		return "off"
	case "IS_SUBREQ":
		return "false"
	case "API_VERSION":
		return "20120211:140"
	case "THE_REQUEST":
		target := r.Path
		if r.RawQuery != "" {
			target += "?" + r.RawQuery
		}
		return r.Method + " " + target + " " + r.Proto
	case "TIME_YEAR":
		return strconv.Itoa(now.Year())
	case "TIME_MON":
		return pad2(int(now.Month()))
	case "TIME_DAY":
		return pad2(now.Day())
	case "TIME_HOUR":
		return pad2(now.Hour())
	case "TIME_MIN":
		return pad2(now.Minute())
	case "TIME_SEC":
		return pad2(now.Second())
	case "TIME_WDAY":
		return strconv.Itoa(int(now.Weekday()))
	case "TIME":
		return now.Format("20060102150405")
	}
	return ""
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// rewriteVars exposes a Request to ap_expr (RewriteCond ... expr).
type rewriteVars struct{ r *Request }

func (v rewriteVars) Var(name string) string    { return v.r.variable(name) }
func (v rewriteVars) Header(name string) string { return v.r.header(name) }
func (v rewriteVars) Env(name string) string    { return v.r.Env[name] }
