package balancer

import "github.com/balancerd/balancerd/directives/model"

// flagInfo lists the status flags in Apache's display order (proxy_wstat_tbl).
var flagInfo = [...]struct {
	flag   model.Status
	letter byte
	text   string
}{
	{model.StatusInit, 'O', "Init"},
	{model.StatusIgnoreErrors, 'I', "Ign"},
	{model.StatusDrain, 'N', "Drn"},
	{model.StatusGeneric, 'G', "Gen"},
	{model.StatusShutdown, 'U', "Shut"},
	{model.StatusDisabled, 'D', "Dis"},
	{model.StatusStopped, 'S', "Stop"},
	{model.StatusError, 'E', "Err"},
	{model.StatusHotStandby, 'H', "Stby"},
	{model.StatusHotSpare, 'R', "Spar"},
	{model.StatusFree, 'F', "Free"},
	{model.StatusHCFailed, 'C', "HcFl"},
}

// StatusText renders flags as balancer-manager and mod_status do (spec
// 4.5): the text of each set flag followed by a space, then "Ok " if the
// flags leave the member usable; "??? " if no flag is set.
func StatusText(s model.Status) string {
	if s == 0 {
		return "??? "
	}
	buf := make([]byte, 0, 32)
	for _, f := range flagInfo {
		if s&f.flag != 0 {
			buf = append(buf, f.text...)
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
func StatusLetters(s model.Status) string {
	var buf []byte
	for _, f := range flagInfo {
		if s&f.flag != 0 {
			buf = append(buf, f.letter)
		}
	}
	return string(buf)
}

// StatusFlag returns the flag for a status= / w_status_ letter
// (case-insensitive), or false if the letter is unknown.
func StatusFlag(letter byte) (model.Status, bool) {
	if letter >= 'a' && letter <= 'z' {
		letter -= 'a' - 'A'
	}
	for _, f := range flagInfo {
		if f.letter == letter {
			return f.flag, true
		}
	}
	return 0, false
}
