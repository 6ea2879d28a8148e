package proxy

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

// Explanation is how the server routes one request, produced by the same
// decision code ServeHTTP runs (decide, then the balancer's Pick).
type Explanation struct {
	Method    string `json:"method"`
	URL       string `json:"url"`
	Host      string `json:"host"`
	LocalAddr string `json:"local_addr"`

	VHost VHostChoice `json:"vhost"`
	// URI is the decoded, normalised path ProxyPass rules are matched on.
	URI     string   `json:"uri"`
	Rewrite []string `json:"rewrite,omitempty"`
	// Rules lists the ProxyPass/ProxyPassMatch rules tried, in order, up
	// to the one that decided.
	Rules []RuleTrial `json:"rules"`
	// Sections are the per-directory sections that apply.
	Sections []string `json:"sections,omitempty"`

	// Outcome is "proxy", "handler", "file" (DocumentRoot), "error" or
	// "not found".
	Outcome string `json:"outcome"`
	Status  int    `json:"status,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Handler string `json:"handler,omitempty"`

	// Target is the mapped URL ("balancer://c/path?q" or a worker URL).
	Target   string        `json:"target,omitempty"`
	Balancer string        `json:"balancer,omitempty"`
	Decision *DecisionView `json:"decision,omitempty"`
	// Backend is the URL the request would be sent to.
	Backend string            `json:"backend,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
}

// VHostChoice is the virtual host chosen and why.
type VHostChoice struct {
	Server     string   `json:"server"`
	Reason     string   `json:"reason"`
	Candidates []string `json:"candidates,omitempty"`
}

// RuleTrial is one ProxyPass rule considered.
type RuleTrial struct {
	Source  string `json:"source,omitempty"`
	Rule    string `json:"rule"`
	Matched bool   `json:"matched"`
	Reason  string `json:"reason"`
}

// DecisionView is a balancer.Decision for printing.
type DecisionView struct {
	Method       string                   `json:"lbmethod"`
	Outcome      string                   `json:"outcome"`
	Message      string                   `json:"message,omitempty"`
	Sticky       string                   `json:"sticky_source"`
	StickyName   string                   `json:"sticky_name,omitempty"`
	StickyValue  string                   `json:"sticky_value,omitempty"`
	Route        string                   `json:"route,omitempty"`
	ViaRoute     bool                     `json:"via_route,omitempty"`
	Redirected   bool                     `json:"redirected,omitempty"`
	RouteChanged bool                     `json:"route_changed,omitempty"`
	Member       string                   `json:"member,omitempty"`
	Considered   []balancer.Consideration `json:"considered"`
}

// tried records a rule trial (no-op on a nil Explanation).
func (ex *Explanation) tried(rule *model.ProxyPassRule, matched bool, reason string) {
	if ex == nil {
		return
	}
	ex.Rules = append(ex.Rules, RuleTrial{Source: rule.Source, Rule: describeRule(rule), Matched: matched, Reason: reason})
}

func describeRule(r *model.ProxyPassRule) string {
	d := "ProxyPass "
	if r.Regex != nil {
		d = "ProxyPassMatch "
	}
	if r.InLocation != "" {
		d = "<Location " + r.InLocation + "> " + d
	}
	d += r.Path + " "
	if r.Exclude {
		return d + "!"
	}
	d += r.URL
	if r.NoCanon {
		d += " nocanon"
	}
	return d
}

// Explain reports how r would be routed, running the server's decision
// code: vhost selection, rewrite, ProxyPass mapping, access check and, for
// balancers, member selection (Pick with explanation; the pick counts
// as an election, as it would for the served request). The request is
// not sent. Set the local address with http.LocalAddrContextKey, or use
// ExplainURL.
func (s *Server) Explain(r *http.Request) Explanation {
	sn := s.snap.Load()
	ex := &Explanation{Method: r.Method, URL: r.URL.String(), Host: r.Host, LocalAddr: localAddr(r)}
	rt := s.decide(sn, r, ex)
	for _, sec := range rt.sections {
		ex.Sections = append(ex.Sections, "<"+sec.Kind+" "+sec.Path+"> "+sec.Source)
	}
	ex.Target = rt.target
	s.explainOutcome(r, &rt, ex)
	ex.Env = rt.env
	return *ex
}

func (s *Server) explainOutcome(r *http.Request, rt *route, ex *Explanation) {
	if rt.status != 0 {
		ex.Outcome, ex.Status, ex.Reason = "error", rt.status, rt.reason
		return
	}
	if s.opts.Access != nil {
		in := &AccessInput{Server: rt.vh.srv, Dirs: rt.dirs, Sections: rt.sections, URI: rt.uri, FilePath: rt.filePath, Env: rt.env}
		if rt.proxied() {
			in.FilePath, in.BackendURL = "", rt.target
		}
		if res := s.opts.Access.Check(r, in); res.Status != 0 {
			ex.Outcome, ex.Status, ex.Reason = "error", res.Status, "access denied"
			return
		}
	}
	s.dirRewrite(s.snap.Load(), r, rt, ex)
	if rt.status != 0 {
		ex.Outcome, ex.Status, ex.Reason = "error", rt.status, rt.reason
		return
	}
	switch {
	case rt.proxied():
		ex.Outcome = "proxy"
		if rt.bal == nil {
			ex.Backend = rt.target
			return
		}
		ex.Balancer = rt.bal.Name()
		cookie := strings.Join(r.Header["Cookie"], ", ")
		d := rt.bal.Pick(context.Background(), &balancer.Request{URL: rt.target, Cookie: cookie, Explain: true, NoWait: true})
		v := &DecisionView{Method: d.Method, Outcome: outcomeText(d.Outcome), Message: d.Message(),
			Sticky: d.Session.Source.String(), StickyName: d.Session.Name, StickyValue: d.Session.Value,
			Route: d.Session.Route, ViaRoute: d.ViaRoute, Redirected: d.Redirected, RouteChanged: d.RouteChanged,
			Considered: d.Considered}
		ex.Decision = v
		if d.Member != nil {
			v.Member = d.Member.Name()
			_, _, mpath := splitURL(d.Member.Name())
			ex.Backend = strings.TrimSuffix(d.Member.Name(), mpath) + mpath + rt.balRest
			var buf [6]balancer.EnvVar
			for _, e := range d.AppendEnv(buf[:0]) {
				rt.setEnv(e.Name, e.Value)
			}
			d.Member.Release(0, 0)
		} else {
			ex.Status = d.Status
		}
	case rt.handler != "":
		ex.Outcome, ex.Handler = "handler", rt.handler
	case rt.filePath != "":
		ex.Outcome = "file"
		ex.Status, ex.Reason = s.snap.Load().explainStatic(rt)
	default:
		ex.Outcome, ex.Status = "not found", http.StatusNotFound
		if rt.excluded {
			ex.Reason = "excluded from proxying; no DocumentRoot"
		} else {
			ex.Reason = "no ProxyPass rule matches; no DocumentRoot"
		}
	}
}

func outcomeText(o balancer.Outcome) string {
	switch o {
	case balancer.Chosen:
		return "chosen"
	case balancer.NoMembers:
		return "no members (503)"
	case balancer.AllUnusable:
		return "all members unusable (503)"
	case balancer.RouteUnusable:
		return "sticky route unusable and nofailover=On (503)"
	case balancer.Canceled:
		return "canceled"
	}
	return "unknown"
}

// ExplainURL explains a request for rawURL ("http://host:port/path?q")
// with the given headers ("Name: value"). The request is taken to arrive
// on the first listen address whose port matches the URL's port (else the
// first listen address).
func (s *Server) ExplainURL(method, rawURL string, headers []string) (Explanation, error) {
	if method == "" {
		method = http.MethodGet
	}
	r, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		return Explanation{}, fmt.Errorf("explain: bad URL %q: %w", rawURL, err)
	}
	if r.URL.Host == "" {
		return Explanation{}, fmt.Errorf("explain: URL %q needs a host (http://host[:port]/path)", rawURL)
	}
	r.RequestURI = r.URL.RequestURI()
	r.RemoteAddr = "127.0.0.1:50000"
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return Explanation{}, fmt.Errorf("explain: header %q is not 'Name: value'", h)
		}
		r.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	if h := r.Header.Get("Host"); h != "" {
		r.Host = h
		r.Header.Del("Host")
	}
	port := r.URL.Port()
	if port == "" {
		port = "80"
	}
	local := ""
	for _, a := range s.listenAddrs() {
		h, p, err := net.SplitHostPort(a)
		if err != nil {
			continue
		}
		if h == "" {
			h = "127.0.0.1"
		}
		if local == "" || p == port {
			local = net.JoinHostPort(h, p)
			if p == port {
				break
			}
		}
	}
	if addr, err := net.ResolveTCPAddr("tcp", local); err == nil {
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, addr))
	}
	return s.Explain(r), nil
}

// WriteText prints the explanation for humans.
func (e Explanation) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Request:  %s %s (Host: %s, arriving on %s)\n", e.Method, e.URL, e.Host, e.LocalAddr)
	fmt.Fprintf(&b, "VHost:    %s\n          %s\n", e.VHost.Server, e.VHost.Reason)
	if len(e.VHost.Candidates) > 1 {
		for i, c := range e.VHost.Candidates {
			fmt.Fprintf(&b, "          candidate %d: %s\n", i+1, c)
		}
	}
	if e.URI != "" {
		fmt.Fprintf(&b, "URI:      %s\n", e.URI)
	}
	for _, r := range e.Rewrite {
		fmt.Fprintf(&b, "Rewrite:  %s\n", r)
	}
	for _, r := range e.Rules {
		mark := "no "
		if r.Matched {
			mark = "YES"
		}
		src := ""
		if r.Source != "" {
			src = " (" + r.Source + ")"
		}
		fmt.Fprintf(&b, "Rule %s: %s%s\n          %s\n", mark, r.Rule, src, r.Reason)
	}
	if len(e.Rules) == 0 {
		b.WriteString("Rules:    no ProxyPass rule tried\n")
	}
	for _, s := range e.Sections {
		fmt.Fprintf(&b, "Section:  %s\n", s)
	}
	fmt.Fprintf(&b, "Outcome:  %s", e.Outcome)
	if e.Status != 0 {
		fmt.Fprintf(&b, " %d", e.Status)
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, " (%s)", e.Reason)
	}
	if e.Handler != "" {
		fmt.Fprintf(&b, " SetHandler %s", e.Handler)
	}
	b.WriteString("\n")
	if e.Target != "" {
		fmt.Fprintf(&b, "Target:   %s\n", e.Target)
	}
	if d := e.Decision; d != nil {
		fmt.Fprintf(&b, "Balancer: %s (lbmethod %s)\n", e.Balancer, d.Method)
		switch {
		case d.StickyName != "":
			fmt.Fprintf(&b, "Sticky:   %s %s=%s -> route %q\n", d.Sticky, d.StickyName, d.StickyValue, d.Route)
		default:
			b.WriteString("Sticky:   no session route in the request\n")
		}
		for _, c := range d.Considered {
			route := ""
			if c.Route != "" {
				route = " route=" + c.Route
			}
			fmt.Fprintf(&b, "  member %s%s lbset=%d status=%s: %s\n", c.Name, route, c.LBSet, c.StatusText, c.Reason)
		}
		fmt.Fprintf(&b, "Decision: %s", d.Outcome)
		if d.Member != "" {
			fmt.Fprintf(&b, " %s", d.Member)
		}
		if d.Message != "" {
			fmt.Fprintf(&b, " (%s)", d.Message)
		}
		b.WriteString("\n")
	}
	if e.Backend != "" {
		fmt.Fprintf(&b, "Backend:  %s\n", e.Backend)
	}
	if len(e.Env) > 0 {
		keys := make([]string, 0, len(e.Env))
		for k := range e.Env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "Env:      %s=%s\n", k, strconv.Quote(e.Env[k]))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
