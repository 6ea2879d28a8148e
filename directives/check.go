package directives

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/balancerd/balancerd/parser"
)

// CheckOptions controls Check: how the configuration is read (Load) and
// what the lint rules see (Lint: backend files, Root, NoFiles, Disable).
type CheckOptions struct {
	Load LoadOptions
	Lint LintOptions
}

// Check is `balancerd --check`: it reads and builds the configuration at
// path, runs the lint rules, reads the backend configurations named in
// opts.Lint.BackendFiles and cross-checks their cookies with the
// balancers, and returns every finding sorted by file (in reading order)
// and line. A finding of Lint at the same position as a Load error is
// dropped (the error already says what is wrong there).
func Check(path string, opts CheckOptions) parser.Diagnostics {
	cfg, res, diags := Load(path, opts.Load)

	lopts := opts.Lint
	files := append([]string(nil), res.Files...)
	backendParse := ParserOptions(LoadOptions{ServerRoot: opts.Load.ServerRoot, Env: opts.Load.Env})
	for _, f := range lopts.BackendFiles {
		bi, bd := ReadBackend(f, backendParse)
		diags = append(diags, bd...)
		lopts.Backends = append(lopts.Backends, bi)
		files = append(files, f)
	}
	lopts.BackendFiles = nil

	loadErr := map[lineKey]bool{}
	for _, d := range diags {
		if d.Severity == parser.Error {
			loadErr[lineKey{d.Pos.File, d.Pos.Line}] = true
		}
	}
	for _, d := range Lint(cfg, res, lopts) {
		if loadErr[lineKey{d.Pos.File, d.Pos.Line}] && d.Severity != parser.Error {
			continue
		}
		diags = append(diags, d)
	}
	SortDiagnostics(diags, files)
	return diags
}

// FormatText writes one line per finding:
// `FILE:LINE:COL: error|warning: message [code]`.
func FormatText(w io.Writer, diags parser.Diagnostics) error {
	for _, d := range diags {
		if _, err := fmt.Fprintln(w, d.String()); err != nil {
			return err
		}
	}
	return nil
}

// jsonDiag is the JSON form of a Diagnostic.
type jsonDiag struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Col       int    `json:"col"`
	Severity  string `json:"severity"`
	Code      string `json:"code"`
	Directive string `json:"directive"`
	Message   string `json:"message"`
}

// FormatJSON writes the findings as a JSON array of objects with the keys
// file, line, col, severity, code, directive and message ("[]" when there
// are none), followed by a newline.
func FormatJSON(w io.Writer, diags parser.Diagnostics) error {
	out := make([]jsonDiag, 0, len(diags))
	for _, d := range diags {
		out = append(out, jsonDiag{
			File: d.Pos.File, Line: d.Pos.Line, Col: d.Pos.Col,
			Severity: d.Severity.String(), Code: d.Code, Directive: d.Directive, Message: d.Message,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
