package parser

import (
	"os"
	"strings"
)

// ParseEnvvars reads a Debian /etc/apache2/envvars file and returns the
// variables it exports, for use as Options.Env (apache2ctl sources this file
// before running apache2, which is how ${APACHE_LOG_DIR} and friends get
// their values).
//
// It is not a shell: only lines of the form "export NAME=value [NAME=value
// ...]" count. Values may use single quotes (literal), double quotes and
// backslash escapes, and $NAME, ${NAME} or ${NAME:-default} references to
// variables exported earlier in the file; any other variable (such as
// SUFFIX, which the Debian file computes with shell code) is empty. The
// error is only for an unreadable file.
func ParseEnvvars(path string) (map[string]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseEnvvars(string(src)), nil
}

func parseEnvvars(src string) map[string]string {
	vars := map[string]string{}
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		rest, ok := strings.CutPrefix(line, "export")
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
			continue
		}
		for {
			rest = strings.TrimLeft(rest, " \t")
			if rest == "" || rest[0] == '#' || rest[0] == ';' {
				break
			}
			word, n := shellWord(rest, vars)
			rest = rest[n:]
			name, val, hasVal := strings.Cut(word, "=")
			if hasVal && validShellName(name) {
				vars[name] = val
			}
		}
	}
	return vars
}

// validShellName reports whether s is a shell variable name.
func validShellName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// shellWord reads one shell word from the start of s with quote removal
// and variable expansion; it returns the word and the bytes consumed.
func shellWord(s string, vars map[string]string) (string, int) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == ';':
			return b.String(), i
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				b.WriteString(s[i+1:])
				return b.String(), len(s)
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
		case c == '"':
			i++
			for i < len(s) && s[i] != '"' {
				switch {
				case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\", s[i+1]) >= 0:
					b.WriteByte(s[i+1])
					i += 2
				case s[i] == '$':
					v, n := expandShellVar(s[i:], vars)
					b.WriteString(v)
					i += n
				default:
					b.WriteByte(s[i])
					i++
				}
			}
			i++ // closing quote
		case c == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i += 2
		case c == '$':
			v, n := expandShellVar(s[i:], vars)
			b.WriteString(v)
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), len(s)
}

// expandShellVar expands the reference at the start of s ("$NAME",
// "${NAME}", "${NAME:-default}"); a lone '$' is literal.
func expandShellVar(s string, vars map[string]string) (string, int) {
	if len(s) > 1 && s[1] == '{' {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "$", 1
		}
		expr := s[2:end]
		name, def, hasDef := strings.Cut(expr, ":-")
		v := vars[name]
		if v == "" && hasDef {
			v = def
		}
		return v, end + 1
	}
	j := 1
	for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || j > 1 && s[j] >= '0' && s[j] <= '9') {
		j++
	}
	if j == 1 {
		return "$", 1
	}
	return vars[s[1:j]], j
}
