package harness

import (
	"fmt"
	"strings"
)

// Diff returns a unified-style line diff of a (labelled la) and b (lb) with
// three lines of context, or "" if they are equal.
func Diff(la, a, lb, b string) string {
	if a == b {
		return ""
	}
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	// LCS table; transcripts are at most a few thousand lines.
	n, m := len(x), len(y)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i]})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', x[i]})
			i++
		default:
			ops = append(ops, op{'+', y[j]})
			j++
		}
	}
	const ctx = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", la, lb)
	last := -1
	for k, o := range ops {
		if o.kind == ' ' {
			continue
		}
		start := max(k-ctx, last+1)
		if last >= 0 && start > last+1 {
			out.WriteString("@@\n")
		}
		for c := start; c < k; c++ {
			fmt.Fprintf(&out, " %s\n", ops[c].text)
		}
		fmt.Fprintf(&out, "%c%s\n", o.kind, o.text)
		last = k
		// trailing context is printed when the next change is far or at the end
		end := k + 1
		for end < len(ops) && end <= k+ctx && ops[end].kind == ' ' {
			end++
		}
		nextChange := end < len(ops) && ops[end].kind != ' ' && end <= k+ctx
		if !nextChange {
			for c := k + 1; c < end && c <= k+ctx; c++ {
				fmt.Fprintf(&out, " %s\n", ops[c].text)
				last = c
			}
		}
	}
	return out.String()
}
