package parser

import (
	"fmt"
	"strings"
)

// ApacheError returns what apache2 -t would print on stderr for the first
// error in ds that Apache stops at, and whether there is one. prog is the
// program name Apache prefixes read-phase errors with ("apache2" on
// Debian, "httpd" elsewhere).
//
// Read-phase errors (Diagnostic.ReadPhase) win: Apache prints the first one
// as a single line, "PROG: Syntax error on line N of FILE: MSG", with one
// such prefix per Include level and, for sections left open at the end of
// a file, one "FILE:N: <X> was not closed." per open section (innermost
// first, N of the prefix being the outermost). Otherwise the first other
// error with an Apache text is printed in the processing-phase form
// "AH00526: Syntax error on line N of FILE:" followed by the message on
// its own line; callers that merge diagnostics of several packages should
// pass them in the order Apache processes directives (file order). Text is
// escaped with EscapeLog as in Apache's error log; the 8190-byte cut-off of
// very long messages is not applied.
func ApacheError(prog string, ds Diagnostics) (string, bool) {
	for i, d := range ds {
		if d.Severity != Error || !d.ReadPhase || d.Apache == "" {
			continue
		}
		msg, line := d.Apache, d.Pos.Line
		if d.Code == "unclosed-section" && strings.HasSuffix(d.Apache, "was not closed.") {
			for _, e := range ds[i+1:] {
				if e.Code != "unclosed-section" || !e.ReadPhase || e.Pos.File != d.Pos.File || e.Severity != Error {
					break
				}
				msg += "\n" + e.Apache
				line = e.Pos.Line
			}
		}
		if !d.Pos.IsValid() {
			if d.Pos.File == "" { // -C/-c directives
				return prog + ": " + EscapeLog("Syntax error in -C/-c directive: "+msg), true
			}
			return prog + ": " + EscapeLog(msg), true // the main file cannot be opened
		}
		var b strings.Builder
		for _, p := range d.IncludedFrom {
			fmt.Fprintf(&b, "Syntax error on line %d of %s: ", p.Line, p.File)
		}
		fmt.Fprintf(&b, "Syntax error on line %d of %s: %s", line, d.Pos.File, msg)
		return prog + ": " + EscapeLog(b.String()), true
	}
	for _, d := range ds {
		if d.Severity != Error || d.Apache == "" {
			continue
		}
		file, line := d.Pos.File, d.Pos.Line
		if !d.Pos.IsValid() {
			file, line = "-c/-C directives", 1
		}
		return fmt.Sprintf("AH00526: Syntax error on line %d of %s:\n%s", line, file, EscapeLog(d.Apache)), true
	}
	return "", false
}
