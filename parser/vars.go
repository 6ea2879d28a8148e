package parser

import "strings"

// defines holds the parameters (-D, Define NAME) and variables (Define NAME
// value) known while reading.
//
// Apache keeps parameters in an array compared with strcmp (so <IfDefine>
// is case-sensitive) and variables in an apr_table (case-insensitive keys),
// which is why ${foo} finds "Define FOO x" but <IfDefine foo> does not.
type defines struct {
	params []string
	vars   map[string]varEntry // key: lower-case name
}

type varEntry struct{ name, value string }

func newDefines() *defines { return &defines{vars: map[string]varEntry{}} }

// define is Apache's set_define.
func (d *defines) define(name string, value *string) {
	if !d.hasParam(name) {
		d.params = append(d.params, name)
	}
	if value != nil {
		d.vars[strings.ToLower(name)] = varEntry{name, *value}
	}
}

// undefine is Apache's unset_define: the parameter is removed by exact
// name, the variable case-insensitively.
func (d *defines) undefine(name string) {
	for i, p := range d.params {
		if p == name {
			d.params[i] = d.params[len(d.params)-1]
			d.params = d.params[:len(d.params)-1]
			break
		}
	}
	delete(d.vars, strings.ToLower(name))
}

func (d *defines) hasParam(name string) bool {
	for _, p := range d.params {
		if p == name {
			return true
		}
	}
	return false
}

func (d *defines) lookupVar(name string) (string, bool) {
	e, ok := d.vars[strings.ToLower(name)]
	return e.value, ok
}

// subst is one ${NAME} replacement made by substitute.
type subst struct {
	outOff, outLen int // replacement in the output
	srcOff, srcLen int // the ${NAME} reference in the input
}

// undefinedRef is a ${NAME} reference that stayed literal.
type undefinedRef struct {
	name string
	off  int // offset of '$' in the input
}

// substitute is Apache's ap_resolve_env over a whole logical line: each
// ${NAME} (NAME up to the first '}') is replaced by the Define'd variable or,
// failing that, by env(NAME); an unknown reference is kept literally and
// reported (unless NAME contains ':', which is reserved for other syntaxes).
// A '$' not followed by '{...}' is literal. Replacement text is not scanned
// again.
func substitute(s string, d *defines, env func(string) (string, bool)) (out string, subs []subst, undef []undefinedRef) {
	i := strings.IndexByte(s, '$')
	if i < 0 {
		return s, nil, nil
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	last := 0
	for i >= 0 && i < len(s) {
		if i+1 < len(s) && s[i+1] == '{' {
			if e := strings.IndexByte(s[i+2:], '}'); e >= 0 {
				name := s[i+2 : i+2+e]
				end := i + 2 + e + 1
				val, ok := d.lookupVar(name)
				if !ok && env != nil {
					val, ok = env(name)
				}
				if ok {
					b.WriteString(s[last:i])
					subs = append(subs, subst{outOff: b.Len(), outLen: len(val), srcOff: i, srcLen: end - i})
					b.WriteString(val)
					last = end
				} else if strings.IndexByte(name, ':') < 0 {
					undef = append(undef, undefinedRef{name: name, off: i})
				}
				i = end
				if k := strings.IndexByte(s[i:], '$'); k >= 0 {
					i += k
				} else {
					i = -1
				}
				continue
			}
		}
		if k := strings.IndexByte(s[i+1:], '$'); k >= 0 {
			i += 1 + k
		} else {
			i = -1
		}
	}
	if subs == nil {
		return s, nil, undef
	}
	b.WriteString(s[last:])
	return b.String(), subs, undef
}

// srcOffset maps a byte offset in substitute's output back to the input:
// text inside a replacement maps to its '$'.
func srcOffset(off int, subs []subst) int {
	shift := 0
	for _, x := range subs {
		if off < x.outOff {
			break
		}
		if off < x.outOff+x.outLen {
			return x.srcOff
		}
		shift = x.srcOff + x.srcLen - (x.outOff + x.outLen)
	}
	return off + shift
}
