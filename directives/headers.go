package directives

// mod_headers:
//
//	Header [always|onsuccess] add|append|echo|edit|edit*|merge|set|setifempty|unset|note header [value] [replacement] [early|env=[!]varname|expr=expression]
//	RequestHeader add|append|edit|edit*|merge|set|setifempty|unset header [value] [replacement] [early|env=[!]varname|expr=expression]
//
// Argument handling follows header_cmd/header_inout_cmd: the words are
// action, header, value, replacement (edit only) and an optional clause.
// expr= values and conditions are parsed with package proxy/access/expr
// (a subset of ap_expr); anything outside it is an error rather than a
// header silently not set.

import (
	"regexp"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
	"github.com/balancerd/balancerd/proxy/access/expr"
)

func init() {
	Implement("Header", applyHeader)
	Implement("RequestHeader", applyHeader)
}

// headerFormatTags are mod_headers' %-tags: %t request time, %D duration,
// %{VAR}e environment, %{VAR}s SSL variable, %l load average, %i idle
// percentage, %b busy percentage.
const headerFormatTags = "tDeslib"

// checkHeaderFormat validates the %-specifiers of a Header value like
// mod_headers' parse_format_string.
func checkHeaderFormat(v string) error {
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			continue
		}
		i++
		if i >= len(v) {
			return nil // a trailing '%' is copied literally
		}
		if v[i] == '%' {
			continue
		}
		if v[i] == '{' {
			end := strings.IndexByte(v[i:], '}')
			if end < 0 {
				return nil
			}
			i += end + 1
			if i >= len(v) {
				return nil
			}
		}
		if !strings.ContainsRune(headerFormatTags, rune(v[i])) {
			return apacheErrf("Unrecognized header format %%%c", v[i])
		}
	}
	return nil
}

var headerActions = map[string]bool{
	"set": true, "setifempty": true, "add": true, "append": true, "merge": true,
	"unset": true, "echo": true, "edit": true, "edit*": true, "note": true,
}

// parseHeaderRule turns the words of a Header/RequestHeader line into a rule.
func parseHeaderRule(directive string, words []string) (model.HeaderRule, error) {
	r := model.HeaderRule{Condition: "onsuccess"}
	response := strings.EqualFold(directive, "Header")
	next := func() (string, bool) {
		if len(words) == 0 {
			return "", false
		}
		w := words[0]
		words = words[1:]
		return w, true
	}
	action, _ := next()
	if response {
		switch strings.ToLower(action) {
		case "always":
			r.Condition = "always"
			action, _ = next()
		case "onsuccess":
			action, _ = next()
		}
	}
	hdr, _ := next()
	value, hasValue := next()
	subs, hasSubs := next()
	clause, hasClause := next()
	if len(words) > 0 {
		return r, apacheErr("Too many arguments to directive")
	}
	r.Action = strings.ToLower(action)
	if !headerActions[r.Action] {
		return r, apacheErr("first argument must be 'add', 'set', 'setifempty', 'append', 'merge', 'unset', 'echo', 'note', 'edit', or 'edit*'.")
	}
	switch r.Action {
	case "edit", "edit*":
		if !hasSubs {
			return r, apacheErr("Header edit requires a match and a substitution")
		}
		if _, err := regexp.Compile(value); err != nil {
			return r, apacheErr("Header edit regex could not be compiled")
		}
		r.Replace = subs
	default:
		if hasClause {
			return r, apacheErr("Too many arguments to directive")
		}
		clause, hasClause = subs, hasSubs
	}
	switch r.Action {
	case "unset":
		if hasValue {
			if hasClause {
				return r, apacheErr("header unset takes two arguments")
			}
			clause, hasClause = value, true
			value, hasValue = "", false
		}
	case "echo":
		if hasValue {
			if hasClause {
				return r, apacheErr("Header echo takes two arguments")
			}
			clause, hasClause = value, true
			value, hasValue = "", false
		}
		if !response {
			return r, apacheErr("Header echo only valid on Header directives")
		}
		if _, err := regexp.Compile(hdr); err != nil {
			return r, apacheErr("Header echo regex could not be compiled")
		}
	default:
		if !hasValue {
			return r, apacheErr("Header requires three arguments")
		}
	}
	if hasClause {
		lc := strings.ToLower(clause)
		switch {
		case lc == "early":
			r.EnvCond = "early"
		case strings.HasPrefix(lc, "env="):
			if clause[4:] == "" || clause[4:] == "!" {
				return r, apacheErr("error: missing environment variable name. envclause should be in the form env=envar ")
			}
			r.EnvCond = "env=" + clause[4:]
		case strings.HasPrefix(lc, "expr="):
			if _, err := expr.Parse(clause[5:]); err != nil {
				return r, apacheErrf("Can't parse envclause/expression: %s (balancerd evaluates a subset of ap_expr)", err)
			}
			r.EnvCond = "expr=" + clause[5:]
		default:
			return r, apacheErr("Unknown parameter: " + clause)
		}
	}
	if strings.HasPrefix(value, "expr=") {
		if _, err := expr.ParseString(value[5:]); err != nil {
			return r, apacheErrf("Can't parse value expression : %s", err)
		}
	} else if r.Action != "edit" && r.Action != "edit*" {
		if err := checkHeaderFormat(value); err != nil {
			return r, err
		}
	}
	if i := strings.IndexByte(hdr, ':'); i >= 0 {
		hdr = hdr[:i]
	}
	r.Name, r.Value = hdr, value
	return r, nil
}

func applyHeader(b *Builder, d *parser.Directive) error {
	r, err := parseHeaderRule(d.Name, d.ArgValues())
	if err != nil {
		return err
	}
	r.Source = source(d)
	if r.EnvCond == "early" {
		b.Warnf(d, "header-early", "%s ... early: balancerd applies early headers at the normal time", d.Name)
	}
	if b.Dir == nil {
		b.Dir = &model.DirConfig{}
	}
	if strings.EqualFold(d.Name, "Header") {
		b.Dir.Headers = append(b.Dir.Headers, r)
	} else {
		b.Dir.RequestHeaders = append(b.Dir.RequestHeaders, r)
	}
	return nil
}
