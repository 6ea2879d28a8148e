package parser

import "strings"

// isSpace reports whether c is white space for Apache (apr_isspace in the C
// locale): space, tab, newline, vertical tab, form feed, carriage return.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// trimSpace removes Apache white space from both ends of s.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// Word is one word produced by GetWord or Fields.
type Word struct {
	Value  string
	Quoted bool // the word started with ' or "
	Offset int  // byte offset of the word's first character (its quote if quoted) in the input
}

// GetWord splits the first word off s exactly like Apache's ap_getword_conf:
//
//   - leading white space is skipped;
//   - a word that starts with " or ' runs to the next unescaped quote of the
//     same kind (or to the end of s if there is none); inside it \" (or \')
//     and \\ are escapes, any other backslash is literal; the closing quote
//     ends the word even when a non-space follows ("ab"cd is two words);
//   - an unquoted word runs to the next white space; \\ in it becomes \;
//   - white space after the word is skipped.
//
// It returns the word, the remaining text, the offset of the word's first
// byte in s and whether it was quoted. At the end of s the word is "" and
// rest is "".
func GetWord(s string) (w Word, rest string) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	w.Offset = i
	if i == len(s) {
		return w, ""
	}
	var end int
	if q := s[i]; q == '"' || q == '\'' {
		w.Quoted = true
		j := i + 1
		for j < len(s) && s[j] != q {
			if s[j] == '\\' && j+1 < len(s) && (s[j+1] == q || s[j+1] == '\\') {
				j += 2
			} else {
				j++
			}
		}
		w.Value = unescapeConf(s[i+1:j], q)
		end = j
		if end < len(s) && s[end] == q {
			end++
		}
	} else {
		j := i
		for j < len(s) && !isSpace(s[j]) {
			j++
		}
		w.Value = unescapeConf(s[i:j], 0)
		end = j
	}
	for end < len(s) && isSpace(s[end]) {
		end++
	}
	return w, s[end:]
}

// unescapeConf is Apache's substring_conf: \\ becomes \ and, inside quotes,
// \q becomes q for the quote character q; other backslashes stay.
func unescapeConf(s string, quote byte) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\\' || (quote != 0 && s[i+1] == quote)) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Fields splits an argument string into words with GetWord until nothing is
// left. Offsets are relative to raw. This is how Apache tokenises the
// arguments of ordinary directives and how RAW_ARGS directives split their
// argument text.
func Fields(raw string) []Word {
	var out []Word
	base := 0
	rest := raw
	for {
		w, r := GetWord(rest)
		if w.Offset == len(rest) { // only white space left
			return out
		}
		w.Offset += base
		base += len(rest) - len(r)
		rest = r
		out = append(out, w)
	}
}

// FieldValues is Fields returning only the word values.
func FieldValues(raw string) []string {
	ws := Fields(raw)
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.Value
	}
	return out
}
