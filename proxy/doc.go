// Package proxy is balancerd's HTTP runtime: it serves a model.Config the
// way Apache httpd 2.4 with mod_proxy and mod_proxy_balancer would —
// Listen, name-based virtual hosts (spec 2.3), ProxyPass/ProxyPassMatch
// mapping with Apache's order, trailing-slash and re-encoding rules (3.3,
// 3.4), balancers with stickiness and failover (package balancer, 4.x),
// ProxyPassReverse and cookie mapping (3.9), Apache's status codes and
// error documents (3.11) — and explains its routing decisions (Explain,
// ExplainURL) with the same decision code.
//
// Forwarding uses net/http/httputil.ReverseProxy (Rewrite, one shared
// BufferPool) with one tuned http.Transport per worker (pool sized from
// max=, ttl=, disablereuse=, timeout=, connectiontimeout=, keepalive=,
// unix: sockets, ws:// and wss:// members). Access control, SetHandler
// handlers (balancer-manager), mod_rewrite and mod_headers plug in through
// Options (hooks.go); package proxy/stack assembles them; proxy/accesslog
// writes CustomLog lines from Options.AccessLog.
//
// Known differences from Apache (documented choices):
//   - DocumentRoot files are served as the core, mod_dir and mod_mime
//     would (static.go), with DirectoryIndex index.html, TypesConfig
//     /etc/mime.types and Options FollowSymLinks fixed: those directives,
//     Alias, AddType and FileETag are not read; directories are never
//     listed (403 where mod_autoindex would list); ".ht*" files are
//     always refused. A local-path ErrorDocument is served when it is a
//     DocumentRoot file; one that ProxyPass or a handler would take gets
//     the built-in page.
//   - TLS is terminated for addresses whose default server has SSLEngine
//     on (tls.go), with SNI certificate selection; SSLCipherSuite and
//     SSLHonorCipherOrder are read but Go's suites apply, TLS 1.0/1.1 only
//     when SSLProtocol asks, no HTTP/2, no client certificates, no 421 for
//     a Host/SNI mismatch. "Listen 443 https" without SSLEngine on serves
//     plain HTTP, as Apache does (warned).
//     ProxyRequests On (forward proxying) is not implemented: absolute-URI
//     requests are served as reverse-proxy requests for their host, as
//     Apache does with ProxyRequests Off; CONNECT is 405.
//   - Backend request headers go out in Go's order (Host first, then
//     sorted), not in the client's order; no "Connection: Keep-Alive".
//   - ProxyPassInterpolateEnv/interpolate, acquire=, ping=, flushpackets,
//     ProxyBadHeader (always IsError), force-proxy-request-1.0 and
//     SetEnvIf-driven no-proxy are not implemented.
//   - Request timeouts: Timeout bounds reading request headers only (Go's
//     server); backend I/O honours timeout=/ProxyTimeout per read and write.
package proxy
