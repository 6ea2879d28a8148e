package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

// overrideError makes ErrorHandler answer with the local error document
// (ProxyErrorOverride On).
type overrideError struct{ status int }

func (e *overrideError) Error() string {
	return fmt.Sprintf("ProxyErrorOverride for status %d", e.status)
}

// modifyResponse processes the backend's response (spec 3.9):
// failonstatus, ProxyPassReverse, cookie mapping, Via, header rules.
func (s *Server) modifyResponse(res *http.Response) error {
	ex := exchangeOf(res.Request)
	if ex == nil {
		return nil
	}
	rt := ex.rt
	ex.status = res.StatusCode
	if m := ex.member; m != nil {
		if cfg := rt.bal.Config(); cfg != nil && slices.Contains(cfg.FailOnStatus, res.StatusCode) {
			if m.MarkError() {
				s.logf("proxy_balancer:error", "AH01174: %s: Forcing worker (%s) into error state due to status code %d matching 'failonstatus' balancer parameter", cfg.Name, m.Name(), res.StatusCode)
			}
		}
	}
	s.setBalancerEnv(ex)
	h := res.Header
	if c := ex.conn; c != nil && res.StatusCode != http.StatusSwitchingProtocols {
		for _, k := range c.hop {
			h.Del(k)
		}
	}
	if rules := rt.reverseRules(); len(rules) > 0 {
		for _, k := range reverseHeaders {
			if vs := h[k]; len(vs) > 0 {
				for i, v := range vs {
					vs[i] = s.reverseMap(rules, rt, ex.in, v)
				}
			}
		}
	}
	if vs := h["Set-Cookie"]; len(vs) > 0 {
		if paths, domains := rt.cookieRules(); len(paths)+len(domains) > 0 {
			for i, v := range vs {
				vs[i] = reverseCookie(v, paths, domains)
			}
		}
	}
	if v := rt.vh.srv.Proxy.Via; v == model.ViaOn || v == model.ViaFull {
		// A header field of its own, after the backend's.
		h["Via"] = append(h["Via"], s.viaValue(ex.in, rt))
	}
	// Date, Expires and Last-Modified are re-formatted as RFC 1123.
	for _, k := range [...]string{"Expires", "Last-Modified", "Date"} {
		if vs := h[k]; len(vs) == 1 && !canonicalHTTPDate(vs[0]) {
			if t, err := http.ParseTime(vs[0]); err == nil {
				if f := t.UTC().Format(http.TimeFormat); f != vs[0] {
					vs[0] = f
				}
			}
		}
	}
	if on, codes := rt.errorOverride(); on && res.StatusCode >= 400 &&
		(len(codes) == 0 || slices.Contains(codes, res.StatusCode)) {
		return &overrideError{res.StatusCode}
	}
	s.finishHeaders(h, rt, ex.in, res.StatusCode, true)
	if res.StatusCode != http.StatusSwitchingProtocols {
		res.Body = countingBody{res.Body, &ex.respBytes}
	}
	return nil
}

// setBalancerEnv exports the BALANCER_* variables of the last decision
// (spec 4.8) into the request environment.
func (s *Server) setBalancerEnv(ex *exchange) {
	if ex.dec.Member == nil && ex.member == nil {
		return
	}
	var buf [6]balancer.EnvVar
	d := ex.dec
	d.RouteChanged = d.RouteChanged || ex.routeChanged
	for _, e := range d.AppendEnv(buf[:0]) {
		ex.rt.setEnv(e.Name, e.Value)
	}
}

// finishHeaders applies what every response gets: mod_headers response
// rules, mod_rewrite cookies, and the default Server header.
func (s *Server) finishHeaders(h http.Header, rt *route, r *http.Request, status int, proxied bool) {
	for _, c := range rt.cookies {
		h.Add("Set-Cookie", c)
	}
	if s.opts.Headers != nil && rt.vh != nil {
		if rules := responseHeaderRules(rt); len(rules) > 0 {
			if ho, ok := s.opts.Headers.(HeaderRulesOrigin); ok {
				ho.ApplyResponseOrigin(rules, h, rt.env, status, proxied, r.Header)
			} else {
				s.opts.Headers.ApplyResponse(rules, h, rt.env, status, r.Header)
			}
		}
	}
	if s.opts.ServerHeader != "" && len(h["Server"]) == 0 {
		h["Server"] = []string{s.opts.ServerHeader}
	}
}

// requestHeaderRules and responseHeaderRules merge RequestHeader/Header
// rules of the per-directory levels (outer first, as mod_headers runs them).
func requestHeaderRules(rt *route) []model.HeaderRule {
	var out []model.HeaderRule
	for _, d := range rt.dirs {
		out = append(out, d.RequestHeaders...)
	}
	return out
}

func responseHeaderRules(rt *route) []model.HeaderRule {
	var out []model.HeaderRule
	for _, d := range rt.dirs {
		out = append(out, d.Headers...)
	}
	return out
}

// errorHandler maps a failed exchange to Apache's status and error page
// (spec 3.11): member selection failures and connect failures are 503,
// a malformed client body 400, read timeouts and broken or empty responses
// 502 "Proxy Error".
func (s *Server) errorHandler(w http.ResponseWriter, r *http.Request, err error) {
	ex := exchangeOf(r)
	if ex == nil {
		writeError(w, r, http.StatusBadGateway)
		return
	}
	rt := ex.rt
	s.setBalancerEnv(ex)
	var (
		pe *pickError
		ce *connectError
		oe *overrideError
	)
	status := http.StatusBadGateway
	reason := "Error reading from remote server"
	proxyErr := true
	switch {
	case ex.body.readErr() != nil:
		status, proxyErr = http.StatusBadRequest, false
		s.logf("proxy:error", "AH01095: prefetch request body failed to %s from %s: %v", ex.backendURL, clientIP(ex.in), ex.body.readErr())
	case errors.As(err, &oe):
		status, proxyErr = oe.status, false
	case errors.As(err, &pe):
		status, proxyErr = http.StatusServiceUnavailable, false
		s.logf("proxy:error", "AH01170: %s", pe.d.Message())
	case errors.As(err, &ce):
		status, proxyErr = http.StatusServiceUnavailable, false
		s.logf("proxy_http:error", "AH01114: HTTP: failed to make connection to backend: %s", ce.addr)
	case errors.Is(err, context.Canceled) && ex.in.Context().Err() != nil:
		// The client went away; nobody to answer.
		ex.status = 0
		return
	case isTimeout(err):
		if m := ex.member; m != nil {
			if cfg := rt.bal.Config(); cfg != nil && cfg.FailOnTimeout && m.MarkError() {
				s.logf("proxy_balancer:error", "AH02460: %s: Forcing worker (%s) into error state due to timeout and 'failontimeout' parameter being set", cfg.Name, m.Name())
			}
		}
		s.logf("proxy_http:error", "AH01102: error reading status line from remote server %s: %v", ex.backendURL, err)
	default:
		s.logf("proxy_http:error", "AH01102: error reading status line from remote server %s: %v", ex.backendURL, err)
	}
	ex.status = status
	s.finishHeaders(w.Header(), rt, ex.in, status, false)
	if proxyErr {
		writeProxyError(w, ex.in, status, reason)
		return
	}
	writeErrorFor(w, ex.in, rt, status)
}

func isTimeout(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
}

// logf writes an Apache-style error-log line.
func (s *Server) logf(module, format string, args ...any) {
	s.elog.Printf("[%s] [%s] [pid %d] %s", time.Now().Format("Mon Jan 02 15:04:05.000000 2006"), module, os.Getpid(), fmt.Sprintf(format, args...))
}
