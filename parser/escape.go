package parser

import "strings"

// EscapeLog escapes text the way Apache's error log does
// (ap_escape_errorlog_item): a backslash is doubled, \b \n \r \t \v are
// written as those two-character escapes and any other non-printable or
// non-ASCII byte as \xHH. Diagnostic messages hold raw text; printing them
// through EscapeLog reproduces apache2 -t output byte for byte (for example
// "Invalid command '\xef\xbb\xbfServerName'" for a file with a UTF-8 BOM).
func EscapeLog(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\v':
			b.WriteString(`\v`)
		case c < 0x20 || c >= 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
