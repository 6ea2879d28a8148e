package proxy

import (
	"net/http"
	"testing"
	"time"
)

func TestCanonicalHTTPDate(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"Mon, 02 Jan 2006 15:04:05 GMT", true},
		{"Thu, 26 Nov 2026 11:40:00 GMT", true},
		{"Sun, 29 Feb 2004 23:59:59 GMT", true},
		{"Tue, 02 Jan 2006 15:04:05 GMT", false}, // wrong weekday
		{"Mon, 31 Feb 2006 15:04:05 GMT", false}, // no such day
		{"Mon, 02 Jan 2006 24:00:00 GMT", false},
		{"Mon, 02 Jan 2006 15:04:60 GMT", false},
		{"Mon, 02 jan 2006 15:04:05 GMT", false},
		{"Mon, 02 Jan 2006 15:04:05 UTC", false},
		{"Monday, 02-Jan-06 15:04:05 GMT", false},
		{"Mon Jan  2 15:04:05 2006", false},
		{"", false},
	} {
		if got := canonicalHTTPDate(tc.v); got != tc.want {
			t.Errorf("canonicalHTTPDate(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// FuzzCanonicalHTTPDate: a date reported canonical is one that parsing
// and re-formatting leaves unchanged.
func FuzzCanonicalHTTPDate(f *testing.F) {
	f.Add("Mon, 02 Jan 2006 15:04:05 GMT")
	f.Add(time.Unix(1e9, 0).UTC().Format(http.TimeFormat))
	f.Add("Sat, 01 Jan 0000 00:00:00 GMT")
	f.Fuzz(func(t *testing.T, v string) {
		if !canonicalHTTPDate(v) {
			return
		}
		tm, err := http.ParseTime(v)
		if err != nil {
			t.Fatalf("%q reported canonical, ParseTime: %v", v, err)
		}
		if f := tm.UTC().Format(http.TimeFormat); f != v {
			t.Fatalf("%q reported canonical, re-formatted %q", v, f)
		}
	})
}
