package proxy

import (
	"html"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Apache's generated error documents (ap_send_error_response), byte for
// byte as Debian's apache2 2.4 sends them; observed on a loopback Apache.

const errHead = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html><head>
<title>`

// errorMessages are the bodies' <p> texts per status, as Apache writes them.
var errorMessages = map[int]string{
	400: "<p>Your browser sent a request that this server could not understand.<br />\n</p>\n",
	401: "<p>This server could not verify that you\nare authorized to access the document\nrequested.  Either you supplied the wrong\ncredentials (e.g., bad password), or your\nbrowser doesn't understand how to supply\nthe credentials required.</p>\n",
	403: "<p>You don't have permission to access this resource.</p>\n",
	404: "<p>The requested URL was not found on this server.</p>\n",
	500: "<p>The server encountered an internal error or\nmisconfiguration and was unable to complete\nyour request.</p>\n<p>Please contact the server administrator at \n [no address given] to inform them of the time this error occurred,\n and the actions you performed just before this error.</p>\n<p>More information about this error may be available\nin the server error log.</p>\n",
	503: "<p>The server is temporarily unable to service your\nrequest due to maintenance downtime or capacity\nproblems. Please try again later.</p>\n",
	504: "<p>The gateway did not receive a timely response\nfrom the upstream server or application.</p>\n",
	414: "<p>The requested URL's length exceeds the capacity\nlimit for this server.<br />\n</p>\n",
	416: "<p>None of the range-specifier values in the Range\nrequest-header field overlap the current extent\nof the selected resource.</p>\n",
	410: "<p>The requested resource is no longer available on this server and there is no forwarding address.\nPlease remove all references to this resource.</p>\n",
}

// apacheReasons are Apache's reason phrases where they differ from Go's.
var apacheReasons = map[int]string{
	413: "Request Entity Too Large",
	414: "Request-URI Too Long",
	416: "Requested Range Not Satisfiable",
	422: "Unprocessable Entity",
}

// reasonPhrase is Apache's reason phrase for status.
func reasonPhrase(status int) string {
	if r, ok := apacheReasons[status]; ok {
		return r
	}
	return http.StatusText(status)
}

// errorBody renders Apache's error document for status. method is used
// by the 405 text.
func errorBody(status int, method string) string {
	title := strconv.Itoa(status) + " " + reasonPhrase(status)
	h1 := reasonPhrase(status)
	msg, ok := errorMessages[status]
	if status == http.StatusMethodNotAllowed {
		msg = "<p>The requested method " + html.EscapeString(method) + " is not allowed for this URL.</p>\n"
		ok = true
	}
	if !ok {
		msg = "<p>" + reasonPhrase(status) + "</p>\n"
	}
	return errHead + title + "</title>\n</head><body>\n<h1>" + h1 + "</h1>\n" + msg + "</body></html>\n"
}

// proxyErrorBody renders mod_proxy's "Proxy Error" document (ap_proxyerror):
// status line reason "Proxy Error", the status's standard first sentence and
// the reason.
func proxyErrorBody(status int, reason string) string {
	first := "The proxy server received an invalid\r\nresponse from an upstream server.<br />\r\n"
	switch status {
	case http.StatusBadRequest:
		first = "Your browser sent a request that this server could not understand.<br />\n"
	case http.StatusGatewayTimeout:
		first = "The gateway did not receive a timely response\nfrom the upstream server or application.\n"
	}
	code := strconv.Itoa(status)
	return errHead + code + " Proxy Error</title>\n</head><body>\n<h1>Proxy Error</h1>\n<p>" + first +
		"The proxy server could not handle the request<p>Reason: <strong>" + html.EscapeString(reason) +
		"</strong></p></p>\n</body></html>\n"
}

// closeStatuses are statuses after which Apache closes the client
// connection (ap_status_drops_connection, and mod_proxy's 503).
func dropsConnection(status int) bool {
	switch status {
	case 400, 408, 411, 413, 414, 500, 503, 501:
		return true
	}
	return false
}

// writeError sends Apache's error document for status.
func writeError(w http.ResponseWriter, r *http.Request, status int) {
	body := errorBody(status, r.Method)
	if p, ok := apacheReasons[status]; ok {
		writeWithReason(w, r, status, p, body)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if dropsConnection(status) {
		h.Set("Connection", "close")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

// writeProxyError sends mod_proxy's "Proxy Error" document with Apache's
// status line ("HTTP/1.1 502 Proxy Error"). Go's server only writes the
// standard reason phrase, so the connection is taken over (hijacked) to
// write the response and then closed; where that is impossible (HTTP/2)
// the standard reason phrase is used.
func writeProxyError(w http.ResponseWriter, r *http.Request, status int, reason string) {
	writeWithReason(w, r, status, "Proxy Error", proxyErrorBody(status, reason))
}

// writeWithReason sends body as an HTML error document with a status line
// whose reason phrase Go's server cannot write: the connection is taken
// over (hijacked) for the response and then closed. Where that is
// impossible (HTTP/2) the standard reason phrase is used.
func writeWithReason(w http.ResponseWriter, r *http.Request, status int, phrase, body string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=iso-8859-1")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.ProtoMajor == 1 {
		if ss, ok := w.(interface{ setStatus(int) }); ok {
			ss.setStatus(status)
		}
		if c, brw, err := http.NewResponseController(w).Hijack(); err == nil {
			defer c.Close()
			h.Set("Connection", "close")
			if _, ok := h["Date"]; !ok {
				h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			}
			_, _ = brw.WriteString("HTTP/1.1 " + strconv.Itoa(status) + " " + phrase + "\r\n")
			_ = h.Write(brw)
			_, _ = brw.WriteString("\r\n")
			if r.Method != http.MethodHead {
				_, _ = brw.WriteString(body)
			}
			_ = brw.Flush()
			return
		}
	}
	if dropsConnection(status) {
		h.Set("Connection", "close")
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

func htmlEscape(s string) string { return html.EscapeString(s) }

// errorDocument returns the ErrorDocument configured for status in the
// request's per-directory levels (the innermost wins), "" if none.
func (rt *route) errorDocument(status int) string {
	doc := ""
	for _, d := range rt.dirs {
		if v, ok := d.ErrorDocuments[status]; ok {
			doc = v
		}
	}
	return doc
}

// writeErrorFor sends the error response for status as configured for rt:
// an ErrorDocument text message or external URL when there is one, a
// local-path document when it is a file served from DocumentRoot
// (static.go; otherwise the built-in page), else Apache's built-in page.
func writeErrorFor(w http.ResponseWriter, r *http.Request, rt *route, status int) {
	doc := ""
	if rt != nil {
		doc = rt.errorDocument(status)
	}
	switch {
	case strings.HasPrefix(doc, "/") && rt.serveErrorFile(w, r, status, doc):
	case doc == "" || strings.HasPrefix(doc, "/"):
		writeError(w, r, status)
	case strings.Contains(doc, "://"):
		h := w.Header()
		h.Set("Location", doc)
		body := redirectBody(http.StatusFound, doc)
		h.Set("Content-Type", "text/html; charset=iso-8859-1")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusFound)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(body))
		}
	default:
		doc = strings.TrimPrefix(doc, "\"")
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=iso-8859-1")
		h.Set("Content-Length", strconv.Itoa(len(doc)))
		if dropsConnection(status) {
			h.Set("Connection", "close")
		}
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte(doc))
		}
	}
}
