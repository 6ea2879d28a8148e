package proxy

import (
	"net/http"
	"time"
)

// canonicalHTTPDate reports whether v is already exactly what
// t.UTC().Format(http.TimeFormat) gives for the time t it names (a
// consistent weekday, no field out of range), so that re-formatting it
// would change nothing. Backends nearly always send such dates; checking
// costs a fraction of http.ParseTime.
func canonicalHTTPDate(v string) bool {
	if len(v) != len(http.TimeFormat) || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' ||
		v[16] != ' ' || v[19] != ':' || v[22] != ':' || v[25:] != " GMT" {
		return false
	}
	day, ok1 := digits(v[5:7])
	year, ok2 := digits(v[12:16])
	hh, ok3 := digits(v[17:19])
	mm, ok4 := digits(v[20:22])
	ss, ok5 := digits(v[23:25])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 {
		return false
	}
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	month := 0
	for i := 0; i < 12; i++ {
		if months[3*i:3*i+3] == v[8:11] {
			month = i + 1
			break
		}
	}
	if month == 0 {
		return false
	}
	t := time.Date(year, time.Month(month), day, hh, mm, ss, 0, time.UTC)
	return t.Year() == year && int(t.Month()) == month && t.Day() == day && t.Hour() == hh &&
		t.Minute() == mm && t.Second() == ss && t.Weekday().String()[:3] == v[:3]
}

// digits parses a run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
