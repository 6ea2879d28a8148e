package harness

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Script is a parsed request script (file "script" of a scenario).
//
// Format, one statement per line, '#' starts a comment line:
//
//	feature TEXT                     what the scenario shows (for COMPAT.md)
//	backend NAME [down] [path=PREFIX] [action=ok|reset|close|garbage|stream]
//	        [status=N] [header="Name: value"]... [delay=DURATION] [size=BYTES]
//	                                 declare backend NAME (first line) or add a
//	                                 rule for requests whose URI starts with
//	                                 PREFIX (rules are tried in order)
//	ignore-header NAME               do not compare this response header
//	ignore-backend-header NAME       do not compare this header as received
//	compare-header NAME              compare a header ignored by default
//	                                 (e.g. Server on proxied responses)
//	mask REGEX                       in the transcript, replace what group 1 of
//	                                 REGEX matches by "*" (byte counters...)
//	ignore-body                      do not compare response bodies (after a
//	                                 request line: that request's body only)
//	jar on|off                       keep cookies from Set-Cookie and send them
//	pace DURATION                    wait this long before each request (for
//	                                 Apache's accounting that ends after the
//	                                 response was sent, e.g. bybusyness)
//	METHOD TARGET [PROTO]            a request (e.g. "GET /x?y=1", "GET / HTTP/1.0")
//	  H Name: value                  request header (Host defaults to the front)
//	  body TEXT                      request body (Go-quoted or raw rest of line),
//	                                 framed with Content-Length unless the request
//	                                 sets Content-Length or Transfer-Encoding itself
//	  nohost                         send no Host header
//	  websocket                      ask for a WebSocket upgrade, then send "ping"
//	  via FRONT2                     connect to ${FRONT2} (a second port the
//	                                 config may Listen on) instead of ${FRONT}
//	  body-size N                    a request body of N bytes
//	  repeat N                       send this request N times
//	  capture NAME REGEX             set ${NAME} for later requests to group 1
//	                                 of REGEX in this response's body (e.g. the
//	                                 balancer-manager nonce); the value shows
//	                                 as ${NAME} in transcripts
//
// TARGET, header values and rule headers may use ${VAR} placeholders: FRONT,
// FRONT_PORT, FRONT2, FRONT2_PORT, SCENARIO_DIR and, per backend NAME,
// ${NAME} ("127.0.0.1:port") and ${NAME_PORT} (NAME upper-cased).
type Script struct {
	Feature             string
	Backends            []*BackendSpec
	IgnoreHeaders       []string
	IgnoreBackendHeader []string
	CompareHeaders      []string
	IgnoreBody          bool
	Pace                time.Duration
	Masks               []*regexp.Regexp
	// Drops are removed from both transcripts before they are compared:
	// a documented, deliberate difference from Apache ("drop REGEX").
	Drops []*regexp.Regexp
	Steps []Step
}

// BackendSpec declares one backend of a scenario.
type BackendSpec struct {
	Name  string
	Down  bool
	Rules []Rule
}

// Step is one request of a script, or a cookie-jar switch.
type Step struct {
	Line      int
	Jar       *bool // non-nil: switch the cookie jar on or off
	Method    string
	Target    string
	Proto     string
	Headers   [][2]string
	Body      string
	NoHost    bool
	WebSocket bool
	Repeat    int
	// IgnoreBody: the response body of this request is not compared
	// (pages with nonces or times).
	IgnoreBody bool
	// Captures set variables from the response body.
	Captures []Capture
	Via      string // "FRONT2": connect to that address instead of FRONT
	BodySize int    // >0: a generated body of this many bytes
}

// Capture takes group 1 of Regex in a response body as variable Name.
type Capture struct {
	Name  string
	Regex *regexp.Regexp
}

// ParseScriptFile reads and parses a script file.
func ParseScriptFile(path string) (*Script, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseScript(path, string(src))
}

// ParseScript parses script text; name is used in error messages.
func ParseScript(name, src string) (*Script, error) {
	s := &Script{}
	var cur *Step
	for i, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		ln := i + 1
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		errf := func(format string, a ...any) error {
			return fmt.Errorf("%s:%d: %s", name, ln, fmt.Sprintf(format, a...))
		}
		needReq := func() error {
			if cur == nil {
				return errf("%q must follow a request line", word)
			}
			return nil
		}
		switch word {
		case "feature":
			s.Feature = rest
		case "backend":
			if err := s.parseBackend(rest); err != nil {
				return nil, errf("%v", err)
			}
		case "ignore-header":
			s.IgnoreHeaders = append(s.IgnoreHeaders, rest)
		case "mask":
			re, err := regexp.Compile(rest)
			if err != nil || re.NumSubexp() < 1 {
				return nil, errf("mask needs a REGEX with a group")
			}
			s.Masks = append(s.Masks, re)
		case "drop":
			re, err := regexp.Compile(rest)
			if err != nil {
				return nil, errf("drop needs a REGEX: %v", err)
			}
			s.Drops = append(s.Drops, re)
		case "pace":
			d, err := time.ParseDuration(rest)
			if err != nil || d < 0 || d > 2*time.Second {
				return nil, errf("pace needs a duration up to 2s")
			}
			s.Pace = d
		case "compare-header":
			s.CompareHeaders = append(s.CompareHeaders, rest)
		case "ignore-backend-header":
			s.IgnoreBackendHeader = append(s.IgnoreBackendHeader, rest)
		case "ignore-body":
			if cur != nil {
				cur.IgnoreBody = true
			} else {
				s.IgnoreBody = true
			}
		case "jar":
			on := rest == "on"
			if !on && rest != "off" {
				return nil, errf("jar takes on or off")
			}
			s.Steps = append(s.Steps, Step{Line: ln, Jar: &on})
			cur = nil
		case "H":
			if err := needReq(); err != nil {
				return nil, err
			}
			k, v, ok := strings.Cut(rest, ":")
			if !ok {
				return nil, errf("header needs \"Name: value\"")
			}
			cur.Headers = append(cur.Headers, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
		case "body":
			if err := needReq(); err != nil {
				return nil, err
			}
			cur.Body = rest
			if strings.HasPrefix(rest, `"`) {
				u, err := strconv.Unquote(rest)
				if err != nil {
					return nil, errf("body: %v", err)
				}
				cur.Body = u
			}
		case "nohost":
			if err := needReq(); err != nil {
				return nil, err
			}
			cur.NoHost = true
		case "websocket":
			if err := needReq(); err != nil {
				return nil, err
			}
			cur.WebSocket = true
		case "capture":
			if err := needReq(); err != nil {
				return nil, err
			}
			name, expr, _ := strings.Cut(rest, " ")
			re, err := regexp.Compile(strings.TrimSpace(expr))
			if err != nil || name == "" || re.NumSubexp() < 1 {
				return nil, errf("capture needs NAME and a REGEX with a group")
			}
			cur.Captures = append(cur.Captures, Capture{Name: name, Regex: re})
		case "via":
			if err := needReq(); err != nil {
				return nil, err
			}
			if rest != "FRONT2" {
				return nil, errf("via takes FRONT2")
			}
			cur.Via = rest
		case "body-size":
			if err := needReq(); err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(rest)
			if err != nil || n < 1 || n > 64<<20 {
				return nil, errf("body-size needs a byte count up to 64 MiB")
			}
			cur.BodySize = n
		case "repeat":
			if err := needReq(); err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(rest)
			if err != nil || n < 1 || n > 1000 {
				return nil, errf("repeat needs a count 1..1000")
			}
			cur.Repeat = n
		default:
			if word != strings.ToUpper(word) || strings.ContainsAny(word, "=\"") {
				return nil, errf("unknown statement %q", word)
			}
			f := strings.Fields(rest)
			if len(f) < 1 || len(f) > 2 {
				return nil, errf("request line needs METHOD TARGET [PROTO]")
			}
			st := Step{Line: ln, Method: word, Target: f[0], Proto: "HTTP/1.1", Repeat: 1}
			if len(f) == 2 {
				st.Proto = f[1]
			}
			s.Steps = append(s.Steps, st)
			cur = &s.Steps[len(s.Steps)-1]
		}
	}
	if len(s.Steps) == 0 {
		return nil, fmt.Errorf("%s: no requests", name)
	}
	return s, nil
}

func (s *Script) backend(name string) *BackendSpec {
	for _, b := range s.Backends {
		if b.Name == name {
			return b
		}
	}
	return nil
}

func (s *Script) parseBackend(rest string) error {
	toks, err := Tokens(rest)
	if err != nil {
		return err
	}
	if len(toks) == 0 {
		return fmt.Errorf("backend needs a name")
	}
	b := s.backend(toks[0])
	if b == nil {
		b = &BackendSpec{Name: toks[0]}
		s.Backends = append(s.Backends, b)
	}
	r := Rule{Action: ActOK}
	hasRule := false
	for _, t := range toks[1:] {
		if t == "down" {
			b.Down = true
			continue
		}
		k, v, ok := strings.Cut(t, "=")
		if !ok {
			return fmt.Errorf("backend option %q: want key=value", t)
		}
		hasRule = true
		switch k {
		case "path":
			r.Prefix = v
		case "action":
			r.Action = Action(v)
			switch r.Action {
			case ActOK, ActReset, ActClose, ActGarbage, ActStream:
			default:
				return fmt.Errorf("unknown action %q", v)
			}
		case "status":
			r.Status, err = strconv.Atoi(v)
		case "header":
			r.Headers = append(r.Headers, v)
		case "delay":
			r.Delay, err = time.ParseDuration(v)
		case "size":
			r.BodySize, err = strconv.Atoi(v)
		default:
			return fmt.Errorf("unknown backend option %q", k)
		}
		if err != nil {
			return fmt.Errorf("backend option %s: %v", k, err)
		}
	}
	if hasRule {
		b.Rules = append(b.Rules, r)
	}
	return nil
}

// Tokens splits s into whitespace-separated words; a double-quoted part of a
// word ("a b", key="a b") is unquoted with Go rules and may contain spaces.
func Tokens(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			j := i + 1
			for ; j < len(s); j++ {
				if s[j] == '\\' {
					j++
					continue
				}
				if s[j] == '"' {
					break
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated quote in %q", s)
			}
			u, err := strconv.Unquote(s[i : j+1])
			if err != nil {
				return nil, fmt.Errorf("bad quoted string %s: %v", s[i:j+1], err)
			}
			cur.WriteString(u)
			in = true
			i = j
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out, nil
}
