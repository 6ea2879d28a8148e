// Package accesslog is mod_log_config for balancerd: LogFormat strings
// (spec 9.2) rendered from the proxy's LogEntry, and the CustomLog /
// TransferLog targets of a configuration (files and "|command" pipes,
// env= conditions). Wire it with proxy.Options.AccessLog = logger.Log.
package accesslog

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/balancerd/balancerd/proxy"
)

// Format is a compiled LogFormat string.
type Format struct {
	items []item
}

type item struct {
	lit      string // literal text (verb == 0)
	verb     string // "h", "s", ">s", "i", "^ti", ...
	arg      string // {arg}
	statuses []int  // %400,501{..}i: log only for these statuses
	negate   bool   // %!200{..}i
	final    bool   // '>' modifier
}

// Compile parses a LogFormat string. Unknown directives are an error
// naming them, as Apache's "Unrecognized LogFormat directive %Z".
func Compile(format string) (*Format, error) {
	f := &Format{}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.items = append(f.items, item{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '\\' && i+1 < len(format) {
			i++
			switch format[i] {
			case 'n':
				lit.WriteByte('\n')
			case 't':
				lit.WriteByte('\t')
			default:
				lit.WriteByte(format[i])
			}
			continue
		}
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return nil, fmt.Errorf("LogFormat %q ends with a lone %%", format)
		}
		if format[i] == '%' {
			lit.WriteByte('%')
			continue
		}
		it := item{}
		// modifiers: < > ! and status lists, in any order
		for i < len(format) {
			switch ch := format[i]; {
			case ch == '<':
				i++
			case ch == '>':
				it.final = true
				i++
			case ch == '!':
				it.negate = true
				i++
			case ch >= '0' && ch <= '9':
				j := i
				for j < len(format) && (format[j] >= '0' && format[j] <= '9' || format[j] == ',') {
					j++
				}
				for _, n := range strings.Split(format[i:j], ",") {
					if v, err := strconv.Atoi(n); err == nil {
						it.statuses = append(it.statuses, v)
					}
				}
				i = j
			default:
				goto arg
			}
		}
	arg:
		if i < len(format) && format[i] == '{' {
			j := strings.IndexByte(format[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("LogFormat %q: unterminated %%{", format)
			}
			it.arg = format[i+1 : i+j]
			i += j + 1
		}
		if i >= len(format) {
			return nil, fmt.Errorf("LogFormat %q ends inside a directive", format)
		}
		verb := string(format[i])
		if format[i] == '^' && i+2 < len(format) {
			verb = format[i : i+3]
			i += 2
		}
		if !strings.Contains("aAbBCDefhHiIklLmnoOpPqrRsStTuUvVX", verb) && verb != "^ti" && verb != "^to" {
			return nil, fmt.Errorf("unrecognized LogFormat directive %%%s (Apache: Unrecognized LogFormat directive)", verb)
		}
		it.verb = verb
		flush()
		f.items = append(f.items, it)
	}
	flush()
	return f, nil
}

// Append renders e and appends the line (without newline) to dst.
func (f *Format) Append(dst []byte, e *proxy.LogEntry) []byte {
	for i := range f.items {
		it := &f.items[i]
		if it.verb == "" {
			dst = append(dst, it.lit...)
			continue
		}
		if len(it.statuses) > 0 {
			in := false
			for _, s := range it.statuses {
				if s == e.Status {
					in = true
				}
			}
			if in == it.negate {
				dst = append(dst, '-')
				continue
			}
		}
		dst = appendItem(dst, it, e)
	}
	return dst
}

func dash(dst []byte, s string, esc bool) []byte {
	if s == "" {
		return append(dst, '-')
	}
	if esc {
		return appendEscaped(dst, s)
	}
	return append(dst, s...)
}

func appendItem(dst []byte, it *item, e *proxy.LogEntry) []byte {
	r := e.Request
	switch it.verb {
	case "a", "h":
		return dash(dst, hostOf(r.RemoteAddr), true)
	case "A":
		return dash(dst, hostOf(localAddr(r)), false)
	case "b":
		if e.Bytes == 0 {
			return append(dst, '-')
		}
		return strconv.AppendInt(dst, e.Bytes, 10)
	case "B":
		return strconv.AppendInt(dst, e.Bytes, 10)
	case "O":
		return strconv.AppendInt(dst, e.HeaderBytes+e.Bytes, 10)
	case "I":
		return strconv.AppendInt(dst, e.RequestBytes, 10)
	case "S":
		return strconv.AppendInt(dst, e.RequestBytes+e.HeaderBytes+e.Bytes, 10)
	case "C":
		if c, err := r.Cookie(it.arg); err == nil {
			return dash(dst, c.Value, true)
		}
		return append(dst, '-')
	case "D":
		return strconv.AppendInt(dst, e.Duration.Microseconds(), 10)
	case "T":
		switch it.arg {
		case "ms":
			return strconv.AppendInt(dst, e.Duration.Milliseconds(), 10)
		case "us":
			return strconv.AppendInt(dst, e.Duration.Microseconds(), 10)
		}
		return strconv.AppendInt(dst, int64(e.Duration/time.Second), 10)
	case "e":
		return dash(dst, e.Env[it.arg], true)
	case "n":
		switch it.arg {
		case "session-sticky":
			return dash(dst, e.Env["BALANCER_SESSION_STICKY"], true)
		case "session-route":
			return dash(dst, e.Env["BALANCER_SESSION_ROUTE"], true)
		}
		return append(dst, '-')
	case "f", "L", "l":
		return append(dst, '-')
	case "H":
		return append(dst, r.Proto...)
	case "i":
		if strings.EqualFold(it.arg, "Host") {
			return dash(dst, r.Host, true)
		}
		return dash(dst, strings.Join(r.Header.Values(it.arg), ", "), true)
	case "o":
		return dash(dst, strings.Join(e.Header.Values(it.arg), ", "), true)
	case "^ti", "^to":
		return append(dst, '-')
	case "k":
		return append(dst, '0')
	case "m":
		return append(dst, r.Method...)
	case "p":
		switch it.arg {
		case "remote":
			return dash(dst, portOf(r.RemoteAddr), false)
		case "local":
			return dash(dst, portOf(localAddr(r)), false)
		}
		if e.Server != nil && e.Server.ServerPort != 0 {
			return strconv.AppendInt(dst, int64(e.Server.ServerPort), 10)
		}
		return dash(dst, portOf(localAddr(r)), false)
	case "P":
		return strconv.AppendInt(dst, int64(os.Getpid()), 10)
	case "q":
		if r.URL.RawQuery != "" {
			dst = append(dst, '?')
			return append(dst, r.URL.RawQuery...)
		}
		return dst
	case "r":
		return appendEscaped(dst, r.Method+" "+r.RequestURI+" "+r.Proto)
	case "R":
		return dash(dst, e.Handler, false)
	case "s":
		if e.Status == 0 {
			return append(dst, '-')
		}
		return strconv.AppendInt(dst, int64(e.Status), 10)
	case "t":
		return appendTime(dst, it.arg, e)
	case "u":
		return dash(dst, e.User, true)
	case "U":
		return dash(dst, r.URL.Path, true)
	case "v":
		if e.Server != nil {
			return dash(dst, e.Server.ServerName, false)
		}
		return append(dst, '-')
	case "V":
		if h := r.Host; h != "" {
			if hh, _, err := net.SplitHostPort(h); err == nil {
				h = hh
			}
			return appendEscaped(dst, strings.ToLower(h))
		}
		if e.Server != nil {
			return dash(dst, e.Server.ServerName, false)
		}
		return append(dst, '-')
	case "X":
		if strings.EqualFold(e.Header.Get("Connection"), "close") || e.Status == 0 {
			if e.Status == 0 {
				return append(dst, 'X')
			}
			return append(dst, '-')
		}
		return append(dst, '+')
	}
	return append(dst, '-')
}

func localAddr(r *http.Request) string {
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && a != nil {
		return a.String()
	}
	return ""
}

func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

func portOf(addr string) string {
	if _, p, err := net.SplitHostPort(addr); err == nil {
		return p
	}
	return ""
}

// appendEscaped is ap_escape_logitem: control characters, bytes >= 0x80,
// '"' and '\' escaped.
func appendEscaped(dst []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\v':
			dst = append(dst, '\\', 'v')
		case c < 0x20 || c >= 0x7f:
			dst = append(dst, '\\', 'x', hexd[c>>4], hexd[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendTime renders %t and %{format}t.
func appendTime(dst []byte, arg string, e *proxy.LogEntry) []byte {
	t := e.Start
	if strings.HasPrefix(arg, "end:") {
		t = t.Add(e.Duration)
		arg = arg[4:]
	} else {
		arg = strings.TrimPrefix(arg, "begin:")
	}
	switch arg {
	case "":
		return t.AppendFormat(append(dst, '['), "02/Jan/2006:15:04:05 -0700]")
	case "sec":
		return strconv.AppendInt(dst, t.Unix(), 10)
	case "msec":
		return strconv.AppendInt(dst, t.UnixMilli(), 10)
	case "usec":
		return strconv.AppendInt(dst, t.UnixMicro(), 10)
	case "msec_frac":
		return fmt.Appendf(dst, "%03d", t.Nanosecond()/1e6)
	case "usec_frac":
		return fmt.Appendf(dst, "%06d", t.Nanosecond()/1e3)
	}
	return strftime(dst, arg, t)
}

// strftime renders the common strftime conversions.
func strftime(dst []byte, f string, t time.Time) []byte {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			dst = append(dst, f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			dst = t.AppendFormat(dst, "2006")
		case 'y':
			dst = t.AppendFormat(dst, "06")
		case 'm':
			dst = t.AppendFormat(dst, "01")
		case 'd':
			dst = t.AppendFormat(dst, "02")
		case 'e':
			dst = t.AppendFormat(dst, "_2")
		case 'H':
			dst = t.AppendFormat(dst, "15")
		case 'M':
			dst = t.AppendFormat(dst, "04")
		case 'S':
			dst = t.AppendFormat(dst, "05")
		case 'z':
			dst = t.AppendFormat(dst, "-0700")
		case 'Z':
			dst = t.AppendFormat(dst, "MST")
		case 'b', 'h':
			dst = t.AppendFormat(dst, "Jan")
		case 'B':
			dst = t.AppendFormat(dst, "January")
		case 'a':
			dst = t.AppendFormat(dst, "Mon")
		case 'A':
			dst = t.AppendFormat(dst, "Monday")
		case 'T':
			dst = t.AppendFormat(dst, "15:04:05")
		case 'F':
			dst = t.AppendFormat(dst, "2006-01-02")
		case 's':
			dst = strconv.AppendInt(dst, t.Unix(), 10)
		case '%':
			dst = append(dst, '%')
		default:
			dst = append(dst, '%', f[i])
		}
	}
	return dst
}
