package model

// ErrorOverride is a per-directory ProxyErrorOverride: On replaces backend
// error pages (4xx/5xx, or only Codes) with the server's own.
type ErrorOverride struct {
	On     bool
	Codes  []int // empty = every 4xx/5xx
	Source string
}
