package balancer

import "github.com/balancerd/balancerd/directives/model"

// StatusText renders flags as balancer-manager and mod_status do (spec
// 4.5): the text of each set flag followed by a space, then "Ok " if the
// flags leave the member usable; "??? " if no flag is set.
func StatusText(s model.Status) string {
	if s == 0 {
		return "??? "
	}
	buf := make([]byte, 0, 32)
	for _, f := range model.StatusFlags {
		if s&f.Flag != 0 {
			buf = append(buf, f.Text...)
			buf = append(buf, ' ')
		}
	}
	if usable(s) {
		buf = append(buf, "Ok "...)
	}
	return string(buf)
}

// StatusLetters renders flags as their status= letters in display order
// ("OD" for Init+Disabled).
func StatusLetters(s model.Status) string { return s.Letters() }

// StatusFlag returns the flag for a status= / w_status_ letter
// (case-insensitive), or false if the letter is unknown.
func StatusFlag(letter byte) (model.Status, bool) { return model.StatusFromLetter(letter) }
