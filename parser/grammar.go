package parser

import (
	"io"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The structure of one logical line is a small participle grammar:
//
//	line   = close | open | directive
//	close  = Close Rest?           </Name>  (anything after the word is ignored)
//	open   = Open Args? Gt? Rest?  <Name args>   (args end at the LAST '>')
//	directive = Word Rest?         Name args
//
// Blank lines and comments never reach the grammar: Apache recognises them
// on the raw line before ${VAR} substitution. The lexer (lineLexer) cuts the
// line into these tokens with Apache's ap_getword_conf rules for the first
// word, so that quoting quirks ("<Location" /x> is an opener, a trailing '>'
// is stripped from any name) behave exactly as in httpd.

// Token types of the line lexer.
const (
	tokWord lexer.TokenType = iota + 1
	tokOpen
	tokClose
	tokArgs
	tokGt
	tokRest
)

var lineSymbols = map[string]lexer.TokenType{
	"EOF":   lexer.EOF,
	"Word":  tokWord,
	"Open":  tokOpen,
	"Close": tokClose,
	"Args":  tokArgs,
	"Gt":    tokGt,
	"Rest":  tokRest,
}

// lineLexer is a participle lexer.Definition for one logical line.
type lineLexer struct{}

func (lineLexer) Symbols() map[string]lexer.TokenType { return lineSymbols }

func (d lineLexer) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexString(filename, string(b))
}

func (lineLexer) LexString(filename string, s string) (lexer.Lexer, error) {
	return &sliceLexer{toks: lexLine(filename, s)}, nil
}

type sliceLexer struct {
	toks []lexer.Token
	i    int
}

func (l *sliceLexer) Next() (lexer.Token, error) {
	t := l.toks[l.i]
	if l.i < len(l.toks)-1 {
		l.i++
	}
	return t, nil
}

// lexLine cuts one logical line into tokens. Offsets in the token positions
// are byte offsets in s.
func lexLine(filename, s string) []lexer.Token {
	tok := func(t lexer.TokenType, v string, off int) lexer.Token {
		return lexer.Token{Type: t, Value: v, Pos: lexer.Position{Filename: filename, Offset: off, Line: 1, Column: off + 1}}
	}
	toks := make([]lexer.Token, 0, 5)
	w, rest := GetWord(s)
	restOff := len(s) - len(rest)
	name := w.Value
	switch {
	case len(name) >= 2 && name[0] == '<' && name[1] == '/':
		toks = append(toks, tok(tokClose, name, w.Offset))
		if rest != "" {
			toks = append(toks, tok(tokRest, rest, restOff))
		}
	default:
		// ap_build_config_sub strips one trailing '>' from any name whose
		// second character is not '/'.
		if name != "" && name[len(name)-1] == '>' {
			name = name[:len(name)-1]
		}
		if name == "" || name[0] != '<' {
			toks = append(toks, tok(tokWord, name, w.Offset))
			if rest != "" {
				toks = append(toks, tok(tokRest, rest, restOff))
			}
			break
		}
		toks = append(toks, tok(tokOpen, name, w.Offset))
		args, argsOff := rest, restOff
		if args == "" {
			args, argsOff = ">", len(s) // Apache passes ">" as the arguments
		}
		k := strings.LastIndexByte(args, '>')
		if k < 0 {
			toks = append(toks, tok(tokArgs, args, argsOff))
			break
		}
		if k > 0 {
			toks = append(toks, tok(tokArgs, args[:k], argsOff))
		}
		toks = append(toks, tok(tokGt, ">", argsOff+k))
		if k+1 < len(args) {
			toks = append(toks, tok(tokRest, args[k+1:], argsOff+k+1))
		}
	}
	return append(toks, lexer.EOFToken(lexer.Position{Filename: filename, Offset: len(s), Line: 1, Column: len(s) + 1}))
}

// lineNode is the grammar of one logical line.
type lineNode struct {
	Close *closeNode `parser:"  @@"`
	Open  *openNode  `parser:"| @@"`
	Dir   *dirNode   `parser:"| @@"`
}

// closeNode is a section closer: </Name> plus ignored text.
type closeNode struct {
	Pos  lexer.Position
	Tag  string    `parser:"@Close"`
	Rest *restNode `parser:"@@?"`
}

// openNode is a section opener: <Name args>.
type openNode struct {
	Pos  lexer.Position
	Name string    `parser:"@Open"`
	Args *textNode `parser:"@@?"`
	Gt   bool      `parser:"@Gt?"`
	Tail *restNode `parser:"@@?"`
}

// textNode is a piece of text with its position.
type textNode struct {
	Pos  lexer.Position
	Text string `parser:"@Args"`
}

// dirNode is an ordinary directive.
type dirNode struct {
	Pos  lexer.Position
	Name string    `parser:"@Word"`
	Rest *restNode `parser:"@@?"`
}

// restNode is the argument text of a directive, or the text after a
// closer's tag or an opener's '>'.
type restNode struct {
	Pos  lexer.Position
	Text string `parser:"@Rest"`
}

var lineParser = participle.MustBuild[lineNode](
	participle.Lexer(lineLexer{}),
	participle.UseLookahead(1),
)

// parseLine parses one (substituted, trimmed, non-blank, non-comment)
// logical line with the grammar. The grammar accepts every token sequence
// lexLine produces, so an error here is a bug; it is returned for the
// caller to report. The reader calls it through splitLine, which answers
// the common shapes of line without it.
func parseLine(s string) (*lineNode, error) {
	return lineParser.ParseString("", s)
}
