package parser

import (
	"fmt"
	"strings"
)

// Maximum logical line lengths (Apache's VARBUF_MAX_LEN and HUGE_STRING_LEN).
const (
	maxLineLen         = 16 * 1024 * 1024
	maxHTAccessLineLen = 8192
)

// physSeg maps a stretch of a logical line back to a physical line.
type physSeg struct {
	off  int // byte offset in the logical (untrimmed) text where the stretch starts
	line int // physical line number, 1-based
	col  int // 1-based byte column of that byte in its physical line
}

// logicalLine is one line as Apache's ap_cfg_getline returns it:
// continuation lines joined, surrounding white space removed.
type logicalLine struct {
	text    string    // trimmed text
	trimOff int       // offset of text[0] in the untrimmed joined text
	last    int       // last physical line (Apache's line number)
	segs    []physSeg // at least one
	tooLong bool      // longer than the limit; text is empty
}

// pos returns the physical line and column of byte off of l.text.
func (l *logicalLine) pos(off int) (line, col int) {
	o := off + l.trimOff
	s := l.segs[0]
	for _, x := range l.segs[1:] {
		if x.off > o {
			break
		}
		s = x
	}
	return s.line, s.col + (o - s.off)
}

// lineReader splits a file into logical lines.
//
// It works on one string copy of the file, so the text of a logical line
// that is a single physical line is a substring of it (no copy per line).
// The segs of the returned logicalLine share a buffer that the next call
// reuses: a logicalLine is valid until next is called again.
type lineReader struct {
	src    string
	i      int // read offset
	lineNo int // physical lines consumed
	max    int
	segs   []physSeg // reused by every call of next
	join   []byte    // reused buffer for continued lines
}

const utf8BOM = "\xef\xbb\xbf"

func newLineReader(src string, max int) *lineReader {
	return &lineReader{src: src, max: max}
}

// physLine consumes one physical line and returns its body without the
// newline (and without a '\r' before it) and whether a newline ended it.
func (r *lineReader) physLine() (body string, hadNL bool) {
	start := r.i
	end := len(r.src)
	if k := strings.IndexByte(r.src[start:], '\n'); k >= 0 {
		end = start + k
		hadNL = true
	}
	r.i = end
	if hadNL {
		r.i++
	}
	r.lineNo++
	body = r.src[start:end]
	if hadNL && len(body) > 0 && body[len(body)-1] == '\r' {
		body = body[:len(body)-1]
	}
	return body, hadNL
}

// next returns the next logical line; ok is false at end of input.
// Blank lines are returned too (text == "") so that callers can count them;
// callers skip them.
func (r *lineReader) next() (l logicalLine, ok bool) {
	if r.i >= len(r.src) {
		return l, false
	}
	joined := r.join[:0] // used only for continued lines
	var single string
	multi := false
	segs := r.segs[:0]
	defer func() { r.segs, r.join = segs[:0], joined[:0] }()
	for {
		body, hadNL := r.physLine()
		off := len(single)
		if multi {
			off = len(joined)
		}
		segs = append(segs, physSeg{off: off, line: r.lineNo, col: 1})
		cont := hadNL && len(body) > 0 && body[len(body)-1] == '\\'
		if cont {
			body = body[:len(body)-1]
		}
		if !multi && !cont {
			single = body
		} else {
			if !multi {
				multi = true
				joined = append(joined, single...)
			}
			joined = append(joined, body...)
		}
		size := len(single)
		if multi {
			size = len(joined)
		}
		if size > r.max {
			// Apache stops reading the file: "Line too long". Skip to
			// the end of this logical line to report its last line.
			for cont && r.i < len(r.src) {
				var b string
				b, hadNL = r.physLine()
				cont = hadNL && len(b) > 0 && b[len(b)-1] == '\\'
			}
			return logicalLine{last: r.lineNo, segs: segs, tooLong: true}, true
		}
		if !cont || r.i >= len(r.src) {
			break
		}
	}
	text := single
	if multi {
		text = string(joined)
	}
	// Apache's strlen-based handling stops at a NUL byte.
	if k := strings.IndexByte(text, 0); k >= 0 {
		text = text[:k]
	}
	lead := 0
	for lead < len(text) && isSpace(text[lead]) {
		lead++
	}
	l = logicalLine{text: trimSpace(text), trimOff: lead, last: r.lineNo, segs: segs}
	return l, true
}

// errTooLong formats Apache's message for an over-long line.
func errTooLong(file string, line int) string {
	return fmt.Sprintf("Error reading %s at line %d: Line too long", file, line)
}
