package parser

// fnmatchTest is apr_fnmatch_test: whether p contains wildcard characters
// ('*', '?', or a '[' with a later ']'); a backslash escapes the next byte.
func fnmatchTest(p string) bool {
	nesting := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '?', '*':
			return true
		case '\\':
			i++
			if i >= len(p) {
				return false
			}
		case '[':
			nesting++
		case ']':
			if nesting > 0 {
				return true
			}
		}
	}
	return false
}

// fnmatch matches one file name against a pattern like apr_fnmatch with
// APR_FNM_PERIOD: '*' and '?' match any bytes, "[...]" a set (leading '!' or
// '^' negates, ranges allowed, an unterminated '[' is literal), '\' escapes,
// and a leading '.' in the name must be matched by a literal '.'.
func fnmatch(pattern, name string) bool {
	if len(name) > 0 && name[0] == '.' && (len(pattern) == 0 || pattern[0] != '.') {
		if !(len(pattern) > 1 && pattern[0] == '\\' && pattern[1] == '.') {
			return false
		}
	}
	px, nx := 0, 0
	starPx, starNx := -1, -1
	for px < len(pattern) || nx < len(name) {
		if px < len(pattern) {
			c := pattern[px]
			switch c {
			case '*':
				starPx, starNx = px, nx
				px++
				continue
			case '?':
				if nx < len(name) {
					px++
					nx++
					continue
				}
			case '[':
				if nx < len(name) {
					if ok, width, valid := matchBracket(pattern[px:], name[nx]); valid {
						if ok {
							px += width
							nx++
							continue
						}
						break
					}
				}
				if nx < len(name) && name[nx] == '[' {
					px++
					nx++
					continue
				}
			default:
				if c == '\\' && px+1 < len(pattern) {
					c = pattern[px+1]
					if nx < len(name) && name[nx] == c {
						px += 2
						nx++
						continue
					}
					break
				}
				if nx < len(name) && name[nx] == c {
					px++
					nx++
					continue
				}
			}
		}
		if starPx >= 0 && starNx < len(name) {
			starNx++
			px, nx = starPx+1, starNx
			continue
		}
		return false
	}
	return true
}

// matchBracket matches byte b against the bracket expression at the start
// of p ("[...]"). valid is false when there is no closing ']' (then '[' is
// an ordinary character); width is the length of the expression.
func matchBracket(p string, b byte) (ok bool, width int, valid bool) {
	i := 1
	negate := false
	if i < len(p) && (p[i] == '!' || p[i] == '^') {
		negate = true
		i++
	}
	first := true
	for i < len(p) {
		c := p[i]
		if c == ']' && !first {
			return ok != negate, i + 1, true
		}
		first = false
		if c == '\\' && i+1 < len(p) {
			i++
			c = p[i]
		}
		lo, hi := c, c
		if i+2 < len(p) && p[i+1] == '-' && p[i+2] != ']' {
			hi = p[i+2]
			if hi == '\\' && i+3 < len(p) {
				hi = p[i+3]
				i++
			}
			i += 2
		}
		if lo <= b && b <= hi {
			ok = true
		}
		i++
	}
	return false, 0, false
}
