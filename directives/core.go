package directives

// Core server directives (core.c, http_core.c, mod_so.c): ServerRoot,
// ServerName, ServerAlias, DocumentRoot, Timeout, KeepAlive*, SetHandler,
// AllowOverride, ErrorDocument, NameVirtualHost, LoadModule.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("ServerRoot", applyServerRoot)
	Implement("ServerName", applyServerName)
	Implement("ServerAlias", applyServerAlias)
	Implement("DocumentRoot", applyDocumentRoot)
	Implement("Timeout", applyTimeout)
	Implement("KeepAlive", applyKeepAlive)
	Implement("KeepAliveTimeout", applyKeepAliveTimeout)
	Implement("MaxKeepAliveRequests", applyMaxKeepAliveRequests)
	Implement("SetHandler", applySetHandler)
	Implement("AllowOverride", applyAllowOverride)
	Implement("ErrorDocument", applyErrorDocument)
	Implement("NameVirtualHost", applyNameVirtualHost)
	Implement("LoadModule", applyLoadModule)
	Implement("Error", applyError)
}

// applyError is core's Error directive: configuration fails with the
// given message (used to stop a config missing something).
func applyError(b *Builder, d *parser.Directive) error {
	msg := strings.TrimSpace(d.Raw)
	if len(d.Args) == 1 {
		msg = d.Args[0].Value
	}
	return apacheErrorf("%s", msg)
}

// readPhase are the directives the parser evaluates while reading; the
// walker leaves them alone.
var readPhase = words(`Define UnDefine Include IncludeOptional IfModule IfDefine IfVersion IfFile IfDirective IfSection`)

// atoi is C's atoi: optional sign and leading digits, 0 if none.
func atoi(s string) int {
	s = strings.TrimLeft(s, " \t")
	i, neg := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n < 1<<40 {
			n = n*10 + int(s[i]-'0')
		}
	}
	if neg {
		return -n
	}
	return n
}

// parseTimeParam is ap_timeout_parameter_parse: an integer with an
// optional unit (ms, s, mi, h); defUnit applies without one.
func parseTimeParam(s, defUnit string) (time.Duration, bool) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		if s[:i] != "" && s[:i] != "-" && s[:i] != "+" {
			return 0, false
		}
		n = 0
	}
	unit := s[i:]
	if unit == "" {
		unit = defUnit
	}
	if n > 1<<31 || n < -(1<<31) {
		return 0, false
	}
	switch unit[0] {
	case 'h':
		return time.Duration(n) * time.Hour, true
	case 's':
		return time.Duration(n) * time.Second, true
	case 'm':
		if len(unit) > 1 && unit[1] == 'i' {
			return time.Duration(n) * time.Minute, true
		}
		if len(unit) > 1 && unit[1] == 's' {
			return time.Duration(n) * time.Millisecond, true
		}
	}
	return 0, false
}

func (b *Builder) resolvePath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(b.Config.ServerRoot, p)
}

func applyServerRoot(b *Builder, d *parser.Directive) error {
	dir := d.Args[0].Value
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return apacheErrorf("ServerRoot must be a valid directory")
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	b.Config.ServerRoot = filepath.Clean(dir)
	return nil
}

// isFnmatchPattern is apr_fnmatch_test: *, ? or a [...] class.
func isFnmatchPattern(s string) bool {
	if strings.ContainsAny(s, "*?") {
		return true
	}
	if i := strings.IndexByte(s, '['); i >= 0 && strings.IndexByte(s[i:], ']') > 0 {
		return true
	}
	return false
}

func applyServerName(b *Builder, d *parser.Directive) error {
	arg := d.Args[0].Value
	if isFnmatchPattern(arg) {
		return apacheErrorf("Invalid ServerName %q use ServerAlias to set multiple server names.", arg)
	}
	rest := arg
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	host, port := rest, 0
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		port = atoi(rest[i+1:])
		if port <= 0 || port >= 65536 {
			return apacheErrorf("The port number %q is outside the appropriate range (i.e., 1..65535).", arg)
		}
		host = rest[:i]
	}
	b.Server.ServerName = strings.ToLower(host)
	b.Server.ServerPort = port
	return nil
}

func applyServerAlias(b *Builder, d *parser.Directive) error {
	if !b.InVirtualHost() {
		return apacheErrorf("ServerAlias only used in <VirtualHost>")
	}
	for _, a := range d.Args {
		if a.Value != "" {
			b.Server.ServerAlias = append(b.Server.ServerAlias, strings.ToLower(a.Value))
		}
	}
	return nil
}

func applyDocumentRoot(b *Builder, d *parser.Directive) error {
	p := b.resolvePath(d.Args[0].Value)
	b.Server.DocumentRoot = p
	if st, err := os.Stat(p); err != nil || !st.IsDir() {
		// Apache fails for the main server and warns for a vhost;
		// balancerd serves no files, so a warning in both cases.
		b.Warnf(d, "AH00112", "AH00112: Warning: DocumentRoot [%s] does not exist", d.Args[0].Value)
	}
	return nil
}

func applyTimeout(b *Builder, d *parser.Directive) error {
	// http_core reads Timeout with atoi: "5ms" is 5 seconds.
	if !b.InVirtualHost() {
		b.Config.Timeout = time.Duration(atoi(d.Args[0].Value)) * time.Second
	}
	return nil
}

func applyKeepAlive(b *Builder, d *parser.Directive) error {
	if !b.InVirtualHost() {
		b.Config.KeepAlive = strings.EqualFold(d.Args[0].Value, "on")
	}
	return nil
}

func applyKeepAliveTimeout(b *Builder, d *parser.Directive) error {
	t, ok := parseTimeParam(d.Args[0].Value, "s")
	if !ok {
		return apacheErrorf("KeepAliveTimeout has wrong format")
	}
	if !b.InVirtualHost() {
		b.Config.KeepAliveTimeout = t
	}
	return nil
}

func applyMaxKeepAliveRequests(b *Builder, d *parser.Directive) error {
	if !b.InVirtualHost() {
		b.Config.MaxKeepAliveRequests = atoi(d.Args[0].Value)
	}
	return nil
}

func applySetHandler(b *Builder, d *parser.Directive) error {
	h := strings.ToLower(d.Args[0].Value)
	if h == "none" {
		h = ""
	}
	b.Dir.Handler = h
	return nil
}

var overrideGroups = []string{"None", "All", "AuthConfig", "FileInfo", "Indexes", "Limit", "Options"}

func applyAllowOverride(b *Builder, d *parser.Directive) error {
	if _, ok := b.InSection("Directory"); !ok {
		if _, ok := b.InSection("DirectoryMatch"); !ok {
			b.Warnf(d, "AH00114", "AH00114: Useless use of AllowOverride in line %d of %s.", d.Pos.Line, d.Pos.File)
		}
	}
	var groups []string
	for _, a := range d.Args {
		w := a.Value
		key := w
		if i := strings.IndexByte(w, '='); i >= 0 {
			key = w[:i]
		}
		found := ""
		for _, g := range append(overrideGroups, "Nonfatal") {
			if strings.EqualFold(g, key) {
				found = g
			}
		}
		if found == "" || (found != "Options" && found != "Nonfatal" && key != w) {
			msg := "Illegal override option " + w
			if s := suggestFrom(key, overrideGroups); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			return apacheErrorf("%s", msg)
		}
		if found == "Nonfatal" {
			continue
		}
		groups = append(groups, found)
	}
	b.Dir.AllowOverride = groups
	b.Dir.AllowOverrideSet = true
	return nil
}

// httpStatusKnown are the codes Apache has a status line for
// (ap_index_of_response); ErrorDocument accepts only these.
var httpStatusKnown = func() map[int]bool {
	m := map[int]bool{}
	for _, c := range []int{100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
		300, 301, 302, 303, 304, 305, 306, 307, 308,
		400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
		421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
		500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511} {
		m[c] = true
	}
	return m
}()

func applyErrorDocument(b *Builder, d *parser.Directive) error {
	code := atoi(d.Args[0].Value)
	if !httpStatusKnown[code] {
		return apacheErrorf("Unsupported HTTP response code %s", d.Args[0].Value)
	}
	if b.Dir.ErrorDocuments == nil {
		b.Dir.ErrorDocuments = map[int]string{}
	}
	b.Dir.ErrorDocuments[code] = d.Args[1].Value
	return nil
}

func applyNameVirtualHost(b *Builder, d *parser.Directive) error {
	if b.once == nil {
		b.once = map[string]bool{}
	}
	if !b.once["AH00548"] {
		b.once["AH00548"] = true
		b.Warnf(d, "AH00548", "AH00548: NameVirtualHost has no effect and will be removed in the next release %s:%d", d.Pos.File, d.Pos.Line)
	}
	return nil
}

func applyLoadModule(b *Builder, d *parser.Directive) error {
	id, file := d.Args[0].Value, d.Args[1].Value
	if b.loadedSoFar == nil {
		b.loadedSoFar = map[string]bool{}
	}
	if b.loadedSoFar[id] {
		// Already loaded: Apache skips the line (AH01574, reported by the
		// parser) without looking at the file.
		return nil
	}
	b.loadedSoFar[id] = true
	full := b.resolvePath(file)
	base := moduleFileFor(file)
	m := StandardModule(id)
	std := m != nil && (m.File == base || (m.File == "" && base == "mod_"+strings.TrimSuffix(id, "_module")+".so"))
	if !std {
		if other := modulesByFile[base]; other != nil {
			return apacheErrorf("Can't locate API module structure `%s' in file %s: %s: undefined symbol: %s", id, full, full, id)
		}
		if _, err := os.Stat(full); err == nil {
			return apacheErrorf("Cannot load %s into server: %s is not a module of Apache httpd; balancerd cannot load third-party modules", file, full)
		}
		hint := ""
		if m == nil {
			hint = fmt.Sprintf(" (%s is not a module of Apache httpd's standard distribution; balancerd cannot load third-party modules: remove the LoadModule line and the directives that need it)", id)
		}
		return apacheErrorf("Cannot load %s into server: %s: cannot open shared object file: No such file or directory%s", file, full, hint)
	}
	if compiledIn[id] {
		// Debian's apache2 compiles this module in and refuses the line;
		// upstream httpd (e.g. the Docker image) ships it as a shared
		// object, so configs written for it load it. balancerd skips it.
		b.Warnf(d, "builtin-module", "module %s is built-in and can't be loaded (Debian's apache2 rejects this line; upstream httpd ships it as a shared module): balancerd skips it", id)
	}
	return nil
}
