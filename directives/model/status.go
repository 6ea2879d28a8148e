package model

// StatusFlags lists every worker status flag in Apache's display order
// (proxy_wstat_tbl) with its status= letter and its balancer-manager text.
var StatusFlags = [...]struct {
	Flag   Status
	Letter byte
	Text   string
}{
	{StatusInit, 'O', "Init"},
	{StatusIgnoreErrors, 'I', "Ign"},
	{StatusDrain, 'N', "Drn"},
	{StatusGeneric, 'G', "Gen"},
	{StatusShutdown, 'U', "Shut"},
	{StatusDisabled, 'D', "Dis"},
	{StatusStopped, 'S', "Stop"},
	{StatusError, 'E', "Err"},
	{StatusHotStandby, 'H', "Stby"},
	{StatusHotSpare, 'R', "Spar"},
	{StatusFree, 'F', "Free"},
	{StatusHCFailed, 'C', "HcFl"},
}

// Letters spells s as status= letters in display order ("OD" for
// Init+Disabled).
func (s Status) Letters() string {
	var buf []byte
	for _, f := range StatusFlags {
		if s&f.Flag != 0 {
			buf = append(buf, f.Letter)
		}
	}
	return string(buf)
}

// StatusFromLetter returns the flag of a status= / w_status_ letter
// (case-insensitive), or false if the letter is unknown.
func StatusFromLetter(letter byte) (Status, bool) {
	if letter >= 'a' && letter <= 'z' {
		letter -= 'a' - 'A'
	}
	for _, f := range StatusFlags {
		if f.Letter == letter {
			return f.Flag, true
		}
	}
	return 0, false
}
