package harness

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Vars are the ${VAR} placeholder values of a run.
type Vars map[string]string

var varRE = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`)

// Expand replaces ${NAME} by its value; unknown names stay as written.
func (v Vars) Expand(s string) string {
	return varRE.ReplaceAllStringFunc(s, func(m string) string {
		if val, ok := v[m[2:len(m)-1]]; ok {
			return val
		}
		return m
	})
}

// Env renders the variables as NAME=value pairs for a process environment.
func (v Vars) Env() []string {
	var out []string
	for k, val := range v {
		out = append(out, k+"="+val)
	}
	return out
}

// Fixture is a script with its backends running.
type Fixture struct {
	Script   *Script
	Dir      string // scenario directory (absolute)
	Backends []*Backend
	Rec      *Recorder
	vars     Vars                 // fixed at start: SCENARIO_DIR, FRONT2, backends
	runVars  atomic.Pointer[Vars] // the current run's variables, for backends
	captured Vars                 // values taken by capture statements in the last run
	front2   int                  // the second front port (FRONT2_PORT)
	gate     atomic.Pointer[chan struct{}]
}

// clientSaw waits for the current request's first response bytes.
func (f *Fixture) clientSaw(d time.Duration) bool {
	g := f.gate.Load()
	if g == nil {
		return false
	}
	select {
	case <-*g:
		return true
	case <-time.After(d):
		return false
	}
}

// VarName is the placeholder name of a backend: upper-cased, '-' → '_'.
func VarName(backend string) string {
	return strings.ToUpper(strings.ReplaceAll(backend, "-", "_"))
}

// StartFixture starts the script's backends.
func StartFixture(s *Script, dir string) (*Fixture, error) {
	f := &Fixture{Script: s, Dir: dir, Rec: &Recorder{}, vars: Vars{"SCENARIO_DIR": dir}}
	// A second front port for scenarios with several Listen/vhost addresses.
	p2, err := FreePort()
	if err != nil {
		return nil, err
	}
	f.front2 = p2
	f.vars["FRONT2_PORT"] = strconv.Itoa(p2)
	f.vars["FRONT2"] = "127.0.0.1:" + f.vars["FRONT2_PORT"]
	for _, spec := range s.Backends {
		b := &Backend{Name: spec.Name, Down: spec.Down, Rules: spec.Rules}
		b.ClientSaw = f.clientSaw
		b.Expand = func(x string) string {
			if v := f.runVars.Load(); v != nil {
				return v.Expand(x)
			}
			return x
		}
		if err := b.Start(f.Rec); err != nil {
			f.Close()
			return nil, err
		}
		f.Backends = append(f.Backends, b)
		f.vars[VarName(b.Name)] = b.Addr()
		f.vars[VarName(b.Name)+"_PORT"] = strconv.Itoa(b.Port())
	}
	return f, nil
}

// Close stops every backend.
func (f *Fixture) Close() {
	for _, b := range f.Backends {
		b.Close()
	}
}

// Vars returns the placeholder values for a front server on frontPort.
// Every value is also what the config file sees as ${NAME}.
func (f *Fixture) Vars(frontPort int) Vars {
	v := Vars{}
	for k, val := range f.vars {
		v[k] = val
	}
	v["FRONT_PORT"] = strconv.Itoa(frontPort)
	v["FRONT"] = "127.0.0.1:" + v["FRONT_PORT"]
	return v
}

// Exchange is one request of a run with everything observed for it.
type Exchange struct {
	Step     *Step
	N, Of    int // repetition number (1-based) and count
	Request  *Request
	Response *Response
	Received []Received // backend requests recorded while it was served
	Captures []string   // "NAME: captured" or "NAME: no match"
}

// Run sends the script's requests to a front server on frontPort. The
// backends' records are reset first, so each run starts clean (their
// connection state is not: that is the front server's business).
func (f *Fixture) Run(frontPort int) []Exchange {
	f.Rec.Reset()
	f.captured = Vars{}
	vars := f.Vars(frontPort)
	// Backends expand rule headers with this run's variables; requests of
	// an earlier run may still be in flight, so the map is never mutated.
	backendVars := f.Vars(frontPort)
	f.runVars.Store(&backendVars)
	addr := vars["FRONT"]
	var out []Exchange
	jar, jarOn, mark := &Jar{}, false, 0
	for i := range f.Script.Steps {
		st := &f.Script.Steps[i]
		if st.Jar != nil {
			jarOn = *st.Jar
			continue
		}
		for n := 1; n <= st.Repeat; n++ {
			to := addr
			if st.Via != "" {
				to = vars[st.Via]
			}
			body := vars.Expand(st.Body)
			if st.BodySize > 0 {
				body = strings.Repeat("u", st.BodySize)
			}
			req := &Request{Method: st.Method, Target: vars.Expand(st.Target), Proto: st.Proto,
				Host: to, NoHost: st.NoHost, Body: body, WebSocket: st.WebSocket}
			hasCookie := false
			for _, h := range st.Headers {
				v := vars.Expand(h[1])
				if strings.EqualFold(h[0], "Host") {
					req.Host = v
					continue
				}
				hasCookie = hasCookie || strings.EqualFold(h[0], "Cookie")
				req.Headers = append(req.Headers, [2]string{h[0], v})
			}
			if jarOn && !hasCookie && jar.Header() != "" {
				req.Headers = append(req.Headers, [2]string{"Cookie", jar.Header()})
			}
			if f.Script.Pace > 0 {
				time.Sleep(f.Script.Pace)
			}
			gate := make(chan struct{})
			f.gate.Store(&gate)
			var once sync.Once
			req.OnFirstBytes = func() { once.Do(func() { close(gate) }) }
			resp := Do(to, req)
			if jarOn && resp.Header != nil {
				jar.Update(resp.Header)
			}
			var capt []string
			for _, c := range st.Captures {
				if m := c.Regex.FindSubmatch(resp.Body); m != nil {
					vars[c.Name] = string(m[1])
					f.captured[c.Name] = string(m[1])
					capt = append(capt, c.Name+": captured")
				} else {
					capt = append(capt, c.Name+": no match")
				}
			}
			var rec []Received
			rec, mark = f.Rec.Since(mark)
			out = append(out, Exchange{Step: st, N: n, Of: st.Repeat, Request: req, Response: resp, Received: rec, Captures: capt})
		}
	}
	return out
}

// Response headers never compared: they differ between any two servers
// without changing what a client can rely on (framing, dates, server name).
var defaultIgnoredResponse = []string{"Date", "Server", "Content-Length", "Transfer-Encoding",
	"Connection", "Keep-Alive", "Accept-Ranges", "Etag", "Last-Modified"}

// Backend request headers never compared: connection management only.
var defaultIgnoredBackend = []string{"Connection", "Keep-Alive"}

// Render turns a run into the normalised text that is compared: every port
// of the run is replaced by its placeholder (${FRONT_PORT}, ${B1_PORT}), so
// the text of two runs is equal exactly when the client and the backends saw
// the same thing.
func (f *Fixture) Render(ex []Exchange, frontPort int) string {
	s := f.Script
	ignResp := headerSet(defaultIgnoredResponse, s.IgnoreHeaders)
	for _, h := range s.CompareHeaders {
		delete(ignResp, http.CanonicalHeaderKey(h))
	}
	ignBack := headerSet(defaultIgnoredBackend, s.IgnoreBackendHeader)
	var b strings.Builder
	var seq []string
	for _, e := range ex {
		via := ""
		if e.Step.Via != "" {
			via = " via " + e.Step.Via
		}
		fmt.Fprintf(&b, "== %s %s %s%s  (script line %d", e.Request.Method, e.Request.Target, e.Request.Proto, via, e.Step.Line)
		if e.Of > 1 {
			fmt.Fprintf(&b, ", %d/%d", e.N, e.Of)
		}
		b.WriteString(")\n")
		if e.Request.Host != "" && !e.Request.NoHost && e.Request.Host != "127.0.0.1:"+strconv.Itoa(frontPort) {
			fmt.Fprintf(&b, "> Host: %s\n", e.Request.Host)
		}
		for _, h := range e.Request.Headers {
			fmt.Fprintf(&b, "> %s: %s\n", h[0], h[1])
		}
		r := e.Response
		who := "-"
		for _, i := range r.Interim {
			fmt.Fprintf(&b, "< interim: %s\n", i)
		}
		if r.Err != "" {
			fmt.Fprintf(&b, "< error: %s\n", r.Err)
		}
		if r.Status != "" {
			fmt.Fprintf(&b, "< %s %s\n", r.Proto, r.Status)
			for _, l := range HeaderLines(normaliseAllow(r.Header)) {
				name, _, _ := strings.Cut(l, ":")
				if !ignResp[http.CanonicalHeaderKey(name)] {
					fmt.Fprintf(&b, "< %s\n", l)
				}
			}
			if v := r.Header.Get("X-Backend"); v != "" {
				who = v
			}
			if !s.IgnoreBody && !e.Step.IgnoreBody {
				writeBody(&b, "< body", r.Body)
			}
			if r.Tunnel != "" {
				fmt.Fprintf(&b, "< tunnel: %q\n", r.Tunnel)
			}
		}
		for _, c := range e.Captures {
			fmt.Fprintf(&b, "< capture %s\n", c)
		}
		seq = append(seq, who)
		for _, rc := range e.Received {
			fmt.Fprintf(&b, "%s got: %s %s %s\n", rc.Backend, rc.Method, rc.URI, rc.Proto)
			fmt.Fprintf(&b, "%s got: Host: %s\n", rc.Backend, rc.Host)
			for _, l := range HeaderLines(rc.Header) {
				name, _, _ := strings.Cut(l, ":")
				if !ignBack[http.CanonicalHeaderKey(name)] {
					fmt.Fprintf(&b, "%s got: %s\n", rc.Backend, l)
				}
			}
			writeBody(&b, rc.Backend+" got body", []byte(rc.Body))
		}
	}
	fmt.Fprintf(&b, "== answered by, in order: %s\n", strings.Join(seq, " "))
	return f.normalise(b.String(), frontPort)
}

func headerSet(lists ...[]string) map[string]bool {
	m := map[string]bool{}
	for _, l := range lists {
		for _, h := range l {
			m[http.CanonicalHeaderKey(h)] = true
		}
	}
	return m
}

func writeBody(b *strings.Builder, prefix string, body []byte) {
	if len(body) == 0 {
		return
	}
	printable := utf8.Valid(body) && !strings.ContainsFunc(string(body), func(r rune) bool {
		return r < ' ' && r != '\n' && r != '\t' && r != '\r'
	})
	if !printable || len(body) > 16384 {
		fmt.Fprintf(b, "%s: %d bytes, sha256 %x\n", prefix, len(body), sha256.Sum256(body))
		return
	}
	text := strings.TrimSuffix(string(body), "\n")
	for _, l := range strings.Split(text, "\n") {
		fmt.Fprintf(b, "%s| %s\n", prefix, strings.TrimRight(l, "\r"))
	}
	if !strings.HasSuffix(string(body), "\n") {
		fmt.Fprintf(b, "%s: (no final newline)\n", prefix)
	}
}

// portRE finds alphanumeric tokens; only all-digit tokens equal to a port
// of the run are replaced (so digits inside hashes or nonces never are).
var portRE = regexp.MustCompile(`[0-9A-Za-z]+`)

func (f *Fixture) normalise(s string, frontPort int) string {
	for name, v := range f.captured {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "${"+name+"}")
		}
	}
	names := map[string]string{strconv.Itoa(frontPort): "${FRONT_PORT}", strconv.Itoa(f.front2): "${FRONT2_PORT}"}
	for _, b := range f.Backends {
		names[strconv.Itoa(b.Port())] = "${" + VarName(b.Name) + "_PORT}"
	}
	for _, re := range f.Script.Masks {
		s = mask(re, s)
	}
	for _, re := range f.Script.Drops {
		s = re.ReplaceAllString(s, "")
	}
	return portRE.ReplaceAllStringFunc(s, func(m string) string {
		if n, ok := names[m]; ok {
			return n
		}
		return m
	})
}

// normaliseAllow sorts the methods of Allow: Apache lists them in hash
// order, which changes from run to run, and the order means nothing.
func normaliseAllow(h http.Header) http.Header {
	vs := h.Values("Allow")
	if len(vs) == 0 {
		return h
	}
	var methods []string
	for _, v := range vs {
		for _, m := range strings.Split(v, ",") {
			methods = append(methods, strings.TrimSpace(m))
		}
	}
	sort.Strings(methods)
	h = h.Clone()
	h.Set("Allow", strings.Join(methods, ","))
	return h
}

// mask replaces every match of re's group 1 in s by "*".
func mask(re *regexp.Regexp, s string) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		if m[2] < 0 {
			continue
		}
		b.WriteString(s[last:m[2]])
		b.WriteString("*")
		last = m[3]
	}
	b.WriteString(s[last:])
	return b.String()
}
