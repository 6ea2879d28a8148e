package model

import "testing"

func TestAtol(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", 0}, {"12", 12}, {"  -7x", -7}, {"+3", 3}, {"\t\n42", 42}, {"x1", 0}, {"-", 0},
		{"99999999999999999999999", 0},
	}
	for _, tt := range tests {
		if got := Atol(tt.in); got != tt.want {
			t.Errorf("Atol(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
