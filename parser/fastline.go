package parser

import "strings"

// Splitting a logical line into its parts.
//
// The participle grammar in grammar.go defines the structure of a line.
// Running it costs dozens of allocations per line (reflection, lookahead
// branches, token upgrades), which dominated the time of reading large
// configurations. Almost every real line has one of three shapes whose
// parse tree is obvious: an ordinary directive (Word Rest?), a closer
// (Close Rest?) and a complete opener (Open Args Gt, nothing after the
// '>'). scanLine recognises them by hand; every other line (an opener
// without '>', with text after it or with no arguments) still goes through
// the grammar. FuzzLineFastPath checks that scanLine and the grammar agree
// on every input scanLine accepts.

// lineKind is the alternative of the line grammar a line matched.
type lineKind uint8

const (
	lineDirective lineKind = iota // directive = Word Rest?
	lineOpen                      // open = Open Args? Gt? Rest?
	lineClose                     // close = Close Rest?
)

// lineParts is the parse of one logical line: the tokens the grammar
// captured, each with its byte offset in the line. An absent token is ""
// with offset 0 (lexLine never produces an empty Word-less Rest or Args).
type lineParts struct {
	kind    lineKind
	name    string // Word (directive), Open ("<Name") or Close ("</Name>") token
	nameOff int
	args    string // Args of an opener: its text up to the last '>'
	argsOff int
	gt      bool   // an opener's '>' was present
	rest    string // Rest: a directive's arguments, text after a closer's tag or after an opener's '>'
	restOff int
}

// common reports whether p has one of the shapes scanLine may answer for
// without the grammar.
func (p *lineParts) common() bool {
	return p.kind != lineOpen || (p.gt && p.args != "" && p.rest == "")
}

// scanLine cuts s like lexLine and assembles the parts the grammar would
// capture. ok is false when the line has an uncommon shape; p is then
// incomplete and the caller must use the grammar (splitLine does).
func scanLine(s string) (p lineParts, ok bool) {
	w, rest := GetWord(s)
	restOff := len(s) - len(rest)
	name := w.Value
	p.nameOff = w.Offset
	if len(name) >= 2 && name[0] == '<' && name[1] == '/' {
		p.kind, p.name = lineClose, name
		if rest != "" {
			p.rest, p.restOff = rest, restOff
		}
		return p, true
	}
	// ap_build_config_sub strips one trailing '>' from any name whose
	// second character is not '/'.
	if name != "" && name[len(name)-1] == '>' {
		name = name[:len(name)-1]
	}
	p.name = name
	if name == "" || name[0] != '<' {
		p.kind = lineDirective
		if rest != "" {
			p.rest, p.restOff = rest, restOff
		}
		return p, true
	}
	p.kind = lineOpen
	// The common opener: arguments, then a '>' that ends the line.
	k := strings.LastIndexByte(rest, '>')
	if k <= 0 || k != len(rest)-1 {
		return p, false
	}
	p.args, p.argsOff, p.gt = rest[:k], restOff, true
	return p, true
}

// splitLine parses one (substituted, trimmed, non-blank, non-comment)
// logical line: by hand when it has a common shape, with the grammar
// otherwise (or always, with grammarOnly).
func splitLine(s string, grammarOnly bool) (lineParts, error) {
	if p, ok := scanLine(s); ok && !grammarOnly {
		return p, nil
	}
	n, err := parseLine(s)
	if err != nil {
		return lineParts{}, err
	}
	return n.parts(), nil
}

// parts converts a grammar parse tree to lineParts.
func (n *lineNode) parts() lineParts {
	var p lineParts
	switch {
	case n.Close != nil:
		c := n.Close
		p = lineParts{kind: lineClose, name: c.Tag, nameOff: c.Pos.Offset}
		if c.Rest != nil {
			p.rest, p.restOff = c.Rest.Text, c.Rest.Pos.Offset
		}
	case n.Open != nil:
		o := n.Open
		p = lineParts{kind: lineOpen, name: o.Name, nameOff: o.Pos.Offset, gt: o.Gt}
		if o.Args != nil {
			p.args, p.argsOff = o.Args.Text, o.Args.Pos.Offset
		}
		if o.Tail != nil {
			p.rest, p.restOff = o.Tail.Text, o.Tail.Pos.Offset
		}
	default:
		d := n.Dir
		p = lineParts{kind: lineDirective, name: d.Name, nameOff: d.Pos.Offset}
		if d.Rest != nil {
			p.rest, p.restOff = d.Rest.Text, d.Rest.Pos.Offset
		}
	}
	return p
}
