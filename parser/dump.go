package parser

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Dump renders a Result as stable text, for golden files and debugging.
// File names under base (a directory prefix, may be "") are shown relative
// to it, in positions and in diagnostic messages.
//
// Format: one line per directive, indented two spaces per section level:
//
//	FILE:LINE:COL Name ARG... [from FILE:LINE > ...]
//
// where each ARG is a Go-quoted value followed by @COL, prefixed with Q when
// the word was quoted in the file. A section is printed as "<Name ARG...>"
// with its children below and "</Name> FILE:LINE:COL" (its closer) after
// them. When Raw differs from the arguments joined by spaces, a line
// "| raw: ..." follows. Then come the files read, the defines, the
// LoadModule lines and the diagnostics.
func Dump(r *Result, base string) string {
	var b strings.Builder
	rel := func(p Pos) Pos {
		if base != "" {
			if s, ok := strings.CutPrefix(p.File, base); ok {
				p.File = strings.TrimPrefix(s, "/")
			}
		}
		return p
	}
	// from renders an include chain: " [from FILE:LINE > ...]", or "".
	from := func(chain []Pos) string {
		if len(chain) == 0 {
			return ""
		}
		parts := make([]string, len(chain))
		for i, p := range chain {
			p = rel(p)
			parts[i] = fmt.Sprintf("%s:%d", p.File, p.Line)
		}
		return " [from " + strings.Join(parts, " > ") + "]"
	}
	var walk func(ds []*Directive, indent string)
	walk = func(ds []*Directive, indent string) {
		for _, d := range ds {
			b.WriteString(indent)
			b.WriteString(rel(d.Pos).String())
			b.WriteByte(' ')
			if d.IsSection {
				b.WriteByte('<')
			}
			b.WriteString(d.Name)
			vals := make([]string, len(d.Args))
			for i, a := range d.Args {
				vals[i] = a.Value
				b.WriteByte(' ')
				if a.Quoted {
					b.WriteByte('Q')
				}
				b.WriteString(strconv.Quote(a.Value))
				fmt.Fprintf(&b, "@%d", a.Pos.Col)
			}
			if d.IsSection {
				b.WriteByte('>')
			}
			b.WriteString(from(d.IncludedFrom))
			b.WriteByte('\n')
			if d.Raw != strings.Join(vals, " ") {
				fmt.Fprintf(&b, "%s| raw: %s\n", indent, strconv.Quote(d.Raw))
			}
			if d.IsSection {
				walk(d.Block, indent+"  ")
				fmt.Fprintf(&b, "%s</%s> %s\n", indent, d.Name, rel(d.End))
			}
		}
	}
	b.WriteString("# directives\n")
	walk(r.Directives, "")
	b.WriteString("# files\n")
	for _, f := range r.Files {
		b.WriteString(rel(Pos{File: f}).File + "\n")
	}
	b.WriteString("# defines\n")
	names := make([]string, 0, len(r.Defines))
	for k := range r.Defines {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "%s=%s\n", k, strconv.Quote(r.Defines[k]))
	}
	b.WriteString("# modules\n")
	for _, m := range r.Modules {
		fmt.Fprintf(&b, "%s %s %s\n", m.Name, m.Path, rel(m.Pos))
	}
	b.WriteString("# diagnostics\n")
	for _, d := range r.Diags {
		d.Pos = rel(d.Pos)
		if base != "" {
			d.Message = strings.ReplaceAll(d.Message, strings.TrimSuffix(base, "/")+"/", "")
		}
		b.WriteString(d.String())
		b.WriteString(from(d.IncludedFrom))
		b.WriteByte('\n')
	}
	return b.String()
}
