package manager

import (
	"strconv"
	"strings"
)

// maxPostBody is how much of a POST body Apache reads for parameters.
const maxPostBody = 1024

// unescape is ap_unescape_url as push2table uses it: %XX sequences are
// decoded (a bad one is kept literally), '+' is left alone, and the
// result ends at the first NUL as a C string would.
func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// parseParams is mod_proxy_balancer's push2table: items are separated by
// '&' (empty items skipped, as strtok does), split at the first '='
// (no '=' gives an empty value), the key %-decoded once and the value
// twice (spec 5.2). A later duplicate key replaces an earlier one
// (apr_table_set). allowed, when non-nil, lists the only keys kept.
func parseParams(input string, allowed []string) map[string]string {
	out := map[string]string{}
	if i := strings.IndexByte(input, 0); i >= 0 {
		input = input[:i] // Apache parses a C string: a NUL ends the input
	}
	for _, item := range strings.Split(input, "&") {
		if item == "" {
			continue
		}
		k, v, _ := strings.Cut(item, "=")
		k = unescape(k)
		v = unescape(unescape(v))
		if allowed != nil {
			ok := false
			for _, a := range allowed {
				if a == k {
					ok = true
				}
			}
			if !ok {
				continue
			}
		}
		out[k] = v
	}
	return out
}

// atof is C atof on the longest numeric prefix (no hex, no inf/nan).
func atof(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '+' || s[end] == '-') {
		end++
	}
	digits := false
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
		digits = true
	}
	if end < len(s) && s[end] == '.' {
		end++
		for end < len(s) && s[end] >= '0' && s[end] <= '9' {
			end++
			digits = true
		}
	}
	if digits && end < len(s) && (s[end] == 'e' || s[end] == 'E') {
		e := end + 1
		if e < len(s) && (s[e] == '+' || s[e] == '-') {
			e++
		}
		if e < len(s) && s[e] >= '0' && s[e] <= '9' {
			for e < len(s) && s[e] >= '0' && s[e] <= '9' {
				e++
			}
			end = e
		}
	}
	if !digits {
		return 0
	}
	f, err := strconv.ParseFloat(s[:end], 64)
	if err != nil {
		return 0
	}
	return f
}
