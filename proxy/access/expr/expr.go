// Package expr parses and evaluates the subset of Apache's ap_expr
// language that access rules and header conditions use in practice:
//
//	Require expr "%{REQUEST_URI} =~ m#^/admin# && -R '10.0.0.0/8'"
//	Header set X-A b "expr=%{HTTP_HOST} == 'example.com'"
//
// Supported: true/false, !, &&, ||, parentheses; string comparisons
// == != < <= > >=; integer -eq -ne -lt -le -gt -ge; regex =~ !~ with
// /re/ or m#re# (flag i); -ipmatch, -R, -strmatch, -strcmatch, -fnmatch;
// "in {a, b}"; -n and -z; operands are quoted strings (with %{VAR}
// interpolation), %{VAR} / %{PREFIX:NAME} variables, integers, and the
// functions tolower, toupper, req/http, resp, env, reqenv, escape,
// unescape. Everything else is a parse error, so a configuration never
// silently means something else than in Apache.
package expr

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Vars answers variable and function lookups during evaluation.
type Vars interface {
	// Var returns %{NAME} (e.g. "REMOTE_ADDR", "HTTP_HOST", "REQUEST_URI").
	Var(name string) string
	// Header returns a request header ("" if absent).
	Header(name string) string
	// Env returns a request environment variable ("" if unset).
	Env(name string) string
}

// Expr is a parsed boolean expression.
type Expr struct {
	src  string
	root boolNode
}

// String returns the expression text.
func (e *Expr) String() string { return e.src }

// Eval evaluates the expression.
func (e *Expr) Eval(v Vars) bool { return e.root.eval(v) }

type boolNode interface {
	eval(v Vars) bool
}

type strNode interface {
	str(v Vars) string
}

// Parse parses a boolean ap_expr.
func Parse(s string) (*Expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("syntax error near %q", p.toks[p.pos].text)
	}
	return &Expr{src: s, root: n}, nil
}

// ParseString parses a string expression (the value of
// "Header ... expr=..."): text with %{VAR} and function references.
func ParseString(s string) (*StringExpr, error) {
	parts, err := interpolate(s)
	if err != nil {
		return nil, err
	}
	return &StringExpr{src: s, n: parts}, nil
}

// StringExpr is a parsed string expression.
type StringExpr struct {
	src string
	n   strNode
}

// Eval returns the string value.
func (e *StringExpr) Eval(v Vars) string { return e.n.str(v) }

// --- lexer

type tokKind int

const (
	tWord   tokKind = iota // operator or bare word
	tString                // quoted string (raw content)
	tVar                   // %{...}
	tRegex                 // /re/ or m#re#, with flags
	tPunct                 // ( ) { } ,
)

type token struct {
	kind  tokKind
	text  string
	flags string
}

func lex(s string) ([]token, error) {
	var out []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '{' || c == '}' || c == ',':
			out = append(out, token{kind: tPunct, text: string(c)})
			i++
		case c == '\'' || c == '"':
			j := i + 1
			var b strings.Builder
			for j < len(s) && s[j] != c {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
				j++
			}
			if j >= len(s) {
				return nil, errors.New("unterminated string")
			}
			out = append(out, token{kind: tString, text: b.String()})
			i = j + 1
		case c == '%' && i+1 < len(s) && s[i+1] == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil, errors.New("unterminated %{")
			}
			out = append(out, token{kind: tVar, text: s[i+2 : i+j]})
			i += j + 1
		case c == '/' || (c == 'm' && i+1 < len(s) && strings.IndexByte("#/|!,;:", s[i+1]) >= 0 && regexAllowed(out)):
			if c == '/' && !regexAllowed(out) {
				return nil, fmt.Errorf("unexpected '/'")
			}
			delim := byte('/')
			j := i + 1
			if c == 'm' {
				delim = s[i+1]
				j = i + 2
			}
			start := j
			for j < len(s) && s[j] != delim {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, errors.New("unterminated regular expression")
			}
			re := s[start:j]
			j++
			flags := ""
			for j < len(s) && s[j] == 'i' {
				flags += "i"
				j++
			}
			out = append(out, token{kind: tRegex, text: re, flags: flags})
			i = j
		case c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|':
			j := i + 1
			for j < len(s) && strings.IndexByte("=~&|<>", s[j]) >= 0 && j-i < 2 {
				j++
			}
			out = append(out, token{kind: tWord, text: s[i:j]})
			i = j
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t\r\n(){},'\"", s[j]) < 0 && !(s[j] == '%' && j+1 < len(s) && s[j+1] == '{') {
				if j > i && strings.IndexByte("=!<>&|", s[j]) >= 0 {
					break
				}
				j++
			}
			out = append(out, token{kind: tWord, text: s[i:j]})
			i = j
		}
	}
	return out, nil
}

// regexAllowed reports whether a regex may start here (after =~ or !~).
func regexAllowed(prev []token) bool {
	if len(prev) == 0 {
		return false
	}
	t := prev[len(prev)-1]
	return t.kind == tWord && (t.text == "=~" || t.text == "!~")
}

// --- parser

type parser struct {
	toks []token
	pos  int
}

func (p *parser) peek() *token {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *parser) accept(kind tokKind, text string) bool {
	if t := p.peek(); t != nil && t.kind == kind && t.text == text {
		p.pos++
		return true
	}
	return false
}

func (p *parser) parseOr() (boolNode, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for p.accept(tWord, "||") {
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = orNode{l, r}
	}
	return l, nil
}

func (p *parser) parseAnd() (boolNode, error) {
	l, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	for p.accept(tWord, "&&") {
		r, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		l = andNode{l, r}
	}
	return l, nil
}

func (p *parser) parseNot() (boolNode, error) {
	if p.accept(tWord, "!") {
		n, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() (boolNode, error) {
	t := p.peek()
	if t == nil {
		return nil, errors.New("unexpected end of expression")
	}
	if t.kind == tPunct && t.text == "(" {
		p.pos++
		n, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if !p.accept(tPunct, ")") {
			return nil, errors.New("missing ')'")
		}
		return n, nil
	}
	if t.kind == tWord && (t.text == "true" || t.text == "false") {
		p.pos++
		return constNode(t.text == "true"), nil
	}
	if t.kind == tWord && (t.text == "-n" || t.text == "-z" || t.text == "-T" || t.text == "-R" || t.text == "-A") {
		p.pos++
		w, err := p.parseWord()
		if err != nil {
			return nil, err
		}
		if t.text == "-R" {
			return ipNode{left: varNode("REMOTE_ADDR"), right: w}, nil
		}
		return unaryNode{op: t.text, w: w}, nil
	}
	l, err := p.parseWord()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if op == nil || op.kind != tWord {
		return nil, errors.New("comparison operator expected")
	}
	p.pos++
	switch op.text {
	case "==", "=", "!=", "<", "<=", ">", ">=", "-eq", "-ne", "-lt", "-le", "-gt", "-ge", "-strmatch", "-strcmatch", "-fnmatch":
		r, err := p.parseWord()
		if err != nil {
			return nil, err
		}
		return cmpNode{op: op.text, l: l, r: r}, nil
	case "-ipmatch":
		r, err := p.parseWord()
		if err != nil {
			return nil, err
		}
		return ipNode{left: l, right: r}, nil
	case "=~", "!~":
		rt := p.peek()
		if rt == nil || rt.kind != tRegex {
			return nil, errors.New("regular expression expected after " + op.text)
		}
		p.pos++
		expr := rt.text
		if strings.Contains(rt.flags, "i") {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("cannot compile regular expression %q", rt.text)
		}
		return matchNode{l: l, re: re, negate: op.text == "!~"}, nil
	case "in":
		if !p.accept(tPunct, "{") {
			return nil, errors.New("'{' expected after in")
		}
		var list []strNode
		for {
			w, err := p.parseWord()
			if err != nil {
				return nil, err
			}
			list = append(list, w)
			if p.accept(tPunct, "}") {
				break
			}
			if !p.accept(tPunct, ",") {
				return nil, errors.New("',' or '}' expected in list")
			}
		}
		return inNode{l: l, list: list}, nil
	}
	return nil, fmt.Errorf("unknown operator %q", op.text)
}

var functions = map[string]bool{"tolower": true, "toupper": true, "req": true, "http": true, "resp": true,
	"env": true, "reqenv": true, "escape": true, "unescape": true, "osenv": true, "note": true}

func (p *parser) parseWord() (strNode, error) {
	t := p.peek()
	if t == nil {
		return nil, errors.New("operand expected")
	}
	p.pos++
	switch t.kind {
	case tString:
		return interpolate(t.text)
	case tVar:
		return varNode(t.text), nil
	case tWord:
		if _, err := strconv.Atoi(t.text); err == nil {
			return litNode(t.text), nil
		}
		if functions[t.text] && p.accept(tPunct, "(") {
			arg, err := p.parseWord()
			if err != nil {
				return nil, err
			}
			if !p.accept(tPunct, ")") {
				return nil, errors.New("missing ')' after function argument")
			}
			return funcNode{name: t.text, arg: arg}, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

// interpolate parses a quoted string's %{VAR} references.
func interpolate(s string) (strNode, error) {
	var parts concatNode
	for len(s) > 0 {
		i := strings.Index(s, "%{")
		if i < 0 {
			parts = append(parts, litNode(s))
			break
		}
		if i > 0 {
			parts = append(parts, litNode(s[:i]))
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return nil, errors.New("unterminated %{")
		}
		name := s[i+2 : i+j]
		if fn, arg, ok := strings.Cut(name, ":"); ok && functions[strings.ToLower(fn)] {
			parts = append(parts, funcNode{name: strings.ToLower(fn), arg: litNode(arg)})
		} else {
			parts = append(parts, varNode(name))
		}
		s = s[i+j+1:]
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return parts, nil
}

// --- nodes

type constNode bool

func (c constNode) eval(Vars) bool { return bool(c) }

type notNode struct{ n boolNode }

func (n notNode) eval(v Vars) bool { return !n.n.eval(v) }

type andNode struct{ l, r boolNode }

func (n andNode) eval(v Vars) bool { return n.l.eval(v) && n.r.eval(v) }

type orNode struct{ l, r boolNode }

func (n orNode) eval(v Vars) bool { return n.l.eval(v) || n.r.eval(v) }

type litNode string

func (l litNode) str(Vars) string { return string(l) }

type concatNode []strNode

func (c concatNode) str(v Vars) string {
	var b strings.Builder
	for _, n := range c {
		b.WriteString(n.str(v))
	}
	return b.String()
}

type varNode string

func (n varNode) str(v Vars) string {
	name := string(n)
	if p, rest, ok := strings.Cut(name, ":"); ok {
		switch strings.ToUpper(p) {
		case "HTTP", "REQ":
			return v.Header(rest)
		case "ENV", "REQENV":
			return v.Env(rest)
		}
	}
	if strings.HasPrefix(name, "HTTP_") && name != "HTTP_HOST" && name != "HTTPS" {
		return v.Header(strings.ReplaceAll(name[5:], "_", "-"))
	}
	return v.Var(name)
}

type funcNode struct {
	name string
	arg  strNode
}

func (f funcNode) str(v Vars) string {
	a := f.arg.str(v)
	switch f.name {
	case "tolower":
		return strings.ToLower(a)
	case "toupper":
		return strings.ToUpper(a)
	case "req", "http":
		return v.Header(a)
	case "env", "reqenv":
		return v.Env(a)
	case "escape":
		return strings.ReplaceAll(strings.ReplaceAll(a, "%", "%25"), " ", "%20")
	case "unescape":
		if u, err := unescape(a); err == nil {
			return u
		}
	}
	return ""
}

func unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", err
			}
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

type unaryNode struct {
	op string
	w  strNode
}

func (n unaryNode) eval(v Vars) bool {
	s := n.w.str(v)
	switch n.op {
	case "-n":
		return s != ""
	case "-z":
		return s == ""
	case "-T":
		ls := strings.ToLower(s)
		return !(s == "" || s == "0" || ls == "off" || ls == "false" || ls == "no")
	}
	return false
}

type cmpNode struct {
	op   string
	l, r strNode
}

func (n cmpNode) eval(v Vars) bool {
	a, b := n.l.str(v), n.r.str(v)
	switch n.op {
	case "==", "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "-strmatch":
		ok, _ := path.Match(b, a)
		return ok
	case "-strcmatch":
		ok, _ := path.Match(strings.ToLower(b), strings.ToLower(a))
		return ok
	case "-fnmatch":
		ok, _ := path.Match(b, a)
		return ok
	}
	x, err1 := strconv.Atoi(strings.TrimSpace(a))
	y, err2 := strconv.Atoi(strings.TrimSpace(b))
	if err1 != nil || err2 != nil {
		return false
	}
	switch n.op {
	case "-eq":
		return x == y
	case "-ne":
		return x != y
	case "-lt":
		return x < y
	case "-le":
		return x <= y
	case "-gt":
		return x > y
	}
	return x >= y
}

type matchNode struct {
	l      strNode
	re     *regexp.Regexp
	negate bool
}

func (n matchNode) eval(v Vars) bool { return n.re.MatchString(n.l.str(v)) != n.negate }

type inNode struct {
	l    strNode
	list []strNode
}

func (n inNode) eval(v Vars) bool {
	a := n.l.str(v)
	for _, w := range n.list {
		if w.str(v) == a {
			return true
		}
	}
	return false
}

type ipNode struct{ left, right strNode }

func (n ipNode) eval(v Vars) bool {
	ip, err := netip.ParseAddr(n.left.str(v))
	if err != nil {
		return false
	}
	pfx := n.right.str(v)
	if !strings.Contains(pfx, "/") {
		a, err := netip.ParseAddr(pfx)
		return err == nil && a.Unmap() == ip.Unmap()
	}
	p, err := netip.ParsePrefix(pfx)
	return err == nil && p.Contains(ip.Unmap())
}
