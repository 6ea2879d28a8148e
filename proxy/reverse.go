package proxy

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
)

// reverseHeaders are the response headers ProxyPassReverse maps.
var reverseHeaders = [...]string{"Location", "Content-Location", "Uri", "Destination"}

// reverseRules returns the ProxyPassReverse rules in effect: per-directory
// lists concatenated, outer levels first.
func (rt *route) reverseRules() []model.ReverseRule {
	n := 0
	last := -1
	for i, d := range rt.dirs {
		if len(d.Reverse) > 0 {
			n++
			last = i
		}
	}
	switch n {
	case 0:
		return nil
	case 1:
		return rt.dirs[last].Reverse
	}
	var out []model.ReverseRule
	for _, d := range rt.dirs {
		out = append(out, d.Reverse...)
	}
	return out
}

// hasPrefixFold is a case-insensitive strings.HasPrefix (ASCII).
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// reverseMap is ap_proxy_location_reverse_map (spec 3.9): the first rule
// whose real URL prefixes v gives fake + rest, made absolute against the
// request when it is not a URL.
func (s *Server) reverseMap(rules []model.ReverseRule, rt *route, r *http.Request, v string) string {
	for i := range rules {
		fake, real := rules[i].Path, rules[i].URL
		if hasPrefixFold(real, "balancer://") {
			name, urlpart := real, ""
			if j := strings.IndexByte(real[len("balancer://"):], '/'); j >= 0 {
				name, urlpart = real[:len("balancer://")+j], real[len("balancer://")+j:]
				if urlpart == "/" {
					urlpart = ""
				}
			}
			if b := rt.vh.balancers[strings.ToLower(name)]; b != nil {
				for _, m := range b.Members() {
					mn := m.Name()
					if urlpart != "" {
						mn = strings.TrimSuffix(mn, "/")
						if hasPrefixFold(v, mn) && strings.HasPrefix(v[len(mn):], urlpart) {
							return s.absolute(fake+v[len(mn)+len(urlpart):], r, rt)
						}
					} else if hasPrefixFold(v, mn) {
						rest := v[len(mn):]
						if fake == "/" && strings.HasPrefix(rest, "/") {
							return s.absolute(rest, r, rt)
						}
						return s.absolute(fake+rest, r, rt)
					}
				}
				continue
			}
		}
		part := v
		if strings.HasPrefix(real, "/") {
			if k := strings.Index(v, "://"); k >= 0 {
				if j := strings.IndexByte(v[k+3:], '/'); j >= 0 {
					part = v[k+3+j:]
				}
			}
		}
		if len(real) > 0 && hasPrefixFold(part, real) {
			return s.absolute(fake+part[len(real):], r, rt)
		}
	}
	return v
}

// isURL is ap_is_url: a scheme ("x:") before any '/'.
func isURL(u string) bool {
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c == ':' {
			return i > 0
		}
		if !(isAlnum(c) || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return false
}

// absolute is ap_construct_url with UseCanonicalName Off: the request's
// scheme, the client's Host name and the Host port (else the server's
// port), default port omitted.
func (s *Server) absolute(u string, r *http.Request, rt *route) string {
	if isURL(u) {
		return u
	}
	name := hostName(r.Host)
	if name == "" {
		name = s.serverName(rt)
	}
	if strings.Contains(name, ":") {
		name = "[" + name + "]"
	}
	port := hostPort(r.Host)
	if port == 0 {
		port = rt.vh.srv.ServerPort
	}
	if port == 0 {
		for _, a := range rt.vh.srv.Addrs {
			if a.Port != 0 {
				port = a.Port
				break
			}
		}
	}
	scheme, def := "http://", 80
	if r.TLS != nil { // mod_ssl: ap_http_scheme is https, default port 443
		scheme, def = "https://", 443
	}
	if port == 0 || port == def {
		return scheme + name + u
	}
	return scheme + name + ":" + strconv.Itoa(port) + u
}

// hostPort is the port of a Host header value, 0 if none.
func hostPort(h string) int {
	i := strings.LastIndexByte(h, ':')
	if i < 0 || strings.IndexByte(h[i:], ']') >= 0 {
		return 0
	}
	if h[0] != '[' && strings.Count(h, ":") > 1 {
		return 0
	}
	p, err := strconv.Atoi(h[i+1:])
	if err != nil {
		return 0
	}
	return p
}

// cookieRules collects ProxyPassReverseCookiePath/Domain rules in effect.
func (rt *route) cookieRules() (paths, domains []model.CookieRule) {
	for _, d := range rt.dirs {
		paths = append(paths, d.CookiePath...)
		domains = append(domains, d.CookieDomain...)
	}
	return paths, domains
}

// reverseCookie is ap_proxy_cookie_reverse_map: the path= and domain=
// attributes of a Set-Cookie value are replaced entirely by the public
// value of the first rule whose internal value prefixes them (path:
// case-sensitive, domain: case-insensitive).
func reverseCookie(v string, paths, domains []model.CookieRule) string {
	var b strings.Builder
	changed := false
	start := 0
	for start <= len(v) {
		end := strings.IndexByte(v[start:], ';')
		if end < 0 {
			end = len(v)
		} else {
			end += start
		}
		seg := v[start:end]
		trim := strings.TrimLeft(seg, " \t")
		lead := seg[:len(seg)-len(trim)]
		repl := ""
		if hasPrefixFold(trim, "path=") && len(paths) > 0 {
			val := trim[5:]
			for _, r := range paths {
				if strings.HasPrefix(val, r.Internal) {
					repl = lead + trim[:5] + r.Public
					break
				}
			}
		} else if hasPrefixFold(trim, "domain=") && len(domains) > 0 {
			val := trim[7:]
			for _, r := range domains {
				if hasPrefixFold(val, r.Internal) {
					repl = lead + trim[:7] + r.Public
					break
				}
			}
		}
		if repl != "" {
			if !changed {
				b.WriteString(v[:start])
				changed = true
			}
			b.WriteString(repl)
		} else if changed {
			b.WriteString(seg)
		}
		if end == len(v) {
			break
		}
		if changed {
			b.WriteByte(';')
		}
		start = end + 1
	}
	if !changed {
		return v
	}
	return b.String()
}
