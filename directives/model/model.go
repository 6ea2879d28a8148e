// Package model is balancerd's typed, validated configuration: what package
// directives builds from an Apache config and what package proxy runs.
//
// It holds no parser types and no behaviour beyond small helpers, so a proxy
// test can build a server from a literal Config with no config text at all.
// Every field documents its Apache default; package directives fills those
// defaults in (provisioning), so the runtime never has to guess.
//
// Source fields hold "FILE:LINE" of the directive that produced a value, for
// explanations and logs; they may be empty in hand-built models.
package model

import (
	"regexp"
	"time"
)

// Config is a whole server configuration.
type Config struct {
	ServerRoot string
	Listeners  []Listener
	// Main is the main server: the settings outside any <VirtualHost>, and
	// the server that answers when no virtual host matches an address.
	Main *Server
	// VirtualHosts in configuration order. Each has already inherited the
	// main server's settings as Apache merges them (ProxyPass rules of the
	// main server first, balancers, ProxyPassReverse, ...).
	VirtualHosts []*Server
	// Modules lists the module identifiers considered loaded
	// ("proxy_module", ...), built-in or from LoadModule.
	Modules []string
	// Timeout is the core Timeout directive (default 60s).
	Timeout time.Duration
	// KeepAliveTimeout for client connections (default 5s); KeepAlive
	// (default On) and MaxKeepAliveRequests (default 100, 0 = unlimited).
	KeepAlive            bool
	KeepAliveTimeout     time.Duration
	MaxKeepAliveRequests int
	// PidFile is the PidFile directive resolved against ServerRoot ("" if
	// not set); balancerd writes its pid there and -k reads it.
	PidFile string
}

// Listener is one Listen directive.
type Listener struct {
	Host   string // "" for all addresses; IPv6 without brackets
	Port   int
	Proto  string // optional second argument ("https"), lowercase
	Source string
}

// VHostAddr is one address of a <VirtualHost> line.
type VHostAddr struct {
	Host string // "*" for * and _default_; otherwise an IP or resolved name
	Port int    // 0 = any port (written as "*" or omitted)
	Text string // as written, for -S and name matching fallback
}

// Server is the main server or one virtual host.
type Server struct {
	Source       string
	Addrs        []VHostAddr // empty for the main server
	ServerName   string      // host part, lowercase; may be empty
	ServerPort   int         // from "ServerName host:port", 0 if absent
	ServerAlias  []string    // lowercase; may contain * and ? wildcards
	DocumentRoot string
	// AllowEncodedSlashes is "off", "on" or "nodecode" as written; "" =
	// not written (inherited from the main server; Apache's default Off).
	AllowEncodedSlashes string

	Proxy ProxySettings

	// ProxyPass holds ProxyPass and ProxyPassMatch rules in the order Apache
	// tries them: main-server rules first, then this vhost's server-level
	// rules, then rules defined inside <Location> sections (see spec 3.3).
	ProxyPass []*ProxyPassRule

	// Balancers by lowercase name ("balancer://mycluster"), including those
	// inherited from the main server (BalancerInherit On).
	Balancers map[string]*Balancer
	// BalancerOrder lists Balancers' keys in definition order.
	BalancerOrder []string

	// Workers are plain (non-balancer) workers defined by ProxyPass URLs or
	// <Proxy URL>, keyed by normalised URL.
	Workers map[string]*Worker

	// Dir holds the per-directory settings of the server level itself
	// (ProxyPassReverse, cookie rules, access, headers written outside any
	// section). Locations and Directories refine them.
	Dir *DirConfig

	Locations   []*Section // <Location>/<LocationMatch> in order
	Directories []*Section // <Directory>/<DirectoryMatch> in order
	Proxies     []*Section // <Proxy>/<ProxyMatch> in order
	Files       []*Section // <Files>/<FilesMatch> at server level, in order

	// AllowOverride per directory, used to decide which .htaccess
	// directives apply (runtime reads .htaccess files).
	Rewrite *RewriteConfig // server-level mod_rewrite, nil if none
	TLS     *TLSConfig     // mod_ssl settings written for this server, nil if none

	// Logs.
	ErrorLog   string
	CustomLogs []CustomLog
	LogFormats map[string]string // nickname -> format (global)
}

// ProxySettings are the mod_proxy server-level switches.
type ProxySettings struct {
	Requests        bool          // ProxyRequests, default Off
	PreserveHost    bool          // ProxyPreserveHost, default Off
	AddHeaders      bool          // ProxyAddHeaders, default On
	Via             ViaMode       // ProxyVia, default Off
	Timeout         time.Duration // ProxyTimeout, default = core Timeout
	ErrorOverride   bool          // ProxyErrorOverride
	BadHeader       string        // ProxyBadHeader: "isError" (default), "ignore", "startBody"
	MaxForwards     int           // ProxyMaxForwards, default -1
	Continue100     bool          // Proxy100Continue, default On
	IOBufferSize    int           // ProxyIOBufferSize, default 8192
	PassInherit     bool          // ProxyPassInherit, default On
	BalancerInherit bool          // BalancerInherit, default On
	Status          bool          // ProxyStatus
	// ErrorOverrideCodes restricts ProxyErrorOverride On to these status
	// codes (400-599); empty = every 4xx/5xx.
	ErrorOverrideCodes []int
	BalancerPersist    bool // BalancerPersist, default Off
	BalancerGrowth     int  // BalancerGrowth, default 5
	// HCExprs are the ProxyHCExpr conditions by name (lowercase).
	HCExprs map[string]string
}

// ViaMode is the ProxyVia setting.
type ViaMode int

// ProxyVia values.
const (
	ViaOff ViaMode = iota
	ViaOn
	ViaFull
	ViaBlock
)

// ProxyPassRule is one ProxyPass or ProxyPassMatch.
type ProxyPassRule struct {
	Source string
	Path   string         // URL-path prefix (ProxyPass); for a regex rule the pattern text
	Regex  *regexp.Regexp // non-nil for ProxyPassMatch / "ProxyPass ~" / <LocationMatch>
	// Exclude is true for "ProxyPass PATH !": matching requests are not proxied.
	Exclude bool
	// URL is the backend URL as written after normalisation (scheme and host
	// lowercased, default port removed). For balancers: "balancer://name/rest".
	URL string
	// Balancer is the lowercase balancer name ("balancer://mycluster") when
	// URL is a balancer URL, else "".
	Balancer string
	// Worker is the plain worker the rule sends to when Balancer is "".
	Worker *Worker

	NoCanon     bool
	Interpolate bool
	NoQuery     bool
	Mapping     string // "", "encoded" or "servlet"
	// InLocation is the <Location> path the rule was written in, if any.
	InLocation string
}

// Worker is a backend URL with its connection parameters: a BalancerMember
// or the target of a ProxyPass to a plain URL.
type Worker struct {
	Source string
	// Name is the normalised URL (scheme and host lowercased, default port
	// removed, path kept byte-for-byte): what balancer-manager shows and
	// BALANCER_WORKER_NAME holds.
	Name   string
	Scheme string // lowercase: http, https, ws, wss, ajp, fcgi, h2, h2c, unix...
	Host   string // lowercase, IPv6 without brackets
	Port   int    // explicit or scheme default
	Path   string // path part of the URL, may be ""
	// UnixSocket is the socket path of a "unix:/path|http://..." worker.
	UnixSocket string

	Params WorkerParams
}

// WorkerParams are the key=value parameters of BalancerMember / ProxyPass /
// ProxySet for a worker (spec 3.5), with Apache's defaults filled in.
type WorkerParams struct {
	LoadFactor int // lbfactor: loadfactor × 100; default 100
	LBSet      int // 0..99, default 0
	Route      string
	Redirect   string
	Status     Status        // initial status flags (status=)
	Retry      time.Duration // default 60s; 0 = retry on every request
	// Timeout is the socket I/O timeout; 0 means "use ProxyTimeout".
	Timeout time.Duration
	// ConnectionTimeout is the connect timeout; 0 means "use Timeout".
	ConnectionTimeout time.Duration
	Acquire           time.Duration // 0 = wait forever
	Ping              time.Duration // 0 = off
	TTL               time.Duration // 0 = none
	Min, Max, SMax    int           // Max 0 = default pool size
	DisableReuse      bool
	KeepAlive         bool // TCP keepalive on backend sockets
	FlushPackets      string
	FlushWait         time.Duration
	IOBufferSize      int
	ReceiveBufferSize int
	ResponseFieldSize int
	// Upgrade lists the protocols that may be upgraded to ("websocket"),
	// lowercase; "*" for ANY. ws:// and wss:// workers imply "websocket".
	Upgrade    []string
	Secret     string
	AddressTTL time.Duration // -1s = resolve once

	HealthCheck HealthCheck

	// Set records the keys given explicitly (lowercase), so merges and
	// lints can tell a default from a written value.
	Set map[string]bool
}

// HealthCheck are the mod_proxy_hcheck parameters (hc*).
type HealthCheck struct {
	Method   string // "", TCP, OPTIONS, HEAD, GET, OPTIONS11, HEAD11, GET11
	Interval time.Duration
	Passes   int
	Fails    int
	URI      string
	Expr     string
	Template string
}

// Status is a set of worker status flags (spec 4.5).
type Status uint16

// Worker status flags, in the order Apache displays them.
const (
	StatusInit         Status = 1 << iota // O "Init"
	StatusIgnoreErrors                    // I "Ign"
	StatusDrain                           // N "Drn"
	StatusGeneric                         // G "Gen"
	StatusShutdown                        // U "Shut"
	StatusDisabled                        // D "Dis"
	StatusStopped                         // S "Stop"
	StatusError                           // E "Err"
	StatusHotStandby                      // H "Stby"
	StatusHotSpare                        // R "Spar"
	StatusFree                            // F "Free"
	StatusHCFailed                        // C "HcFl"
)

// Balancer is one balancer://name with its members and parameters (spec 3.6).
type Balancer struct {
	Source  string
	Name    string // lowercase, "balancer://name"
	Members []*Worker

	LBMethod string // byrequests (default), bytraffic, bybusyness, heartbeat
	// StickyCookie and StickyParam are the names from stickysession=
	// ("A" sets both; "A|B" sets cookie A and path parameter B).
	StickyCookie    string
	StickyParam     string
	StickySep       string // one character, default "."; "" means Off (whole value is the route)
	ScolonPathDelim bool
	NoFailover      bool
	// MaxAttempts is the number of extra tries after a connect failure;
	// -1 means unset (Apache then uses members-1).
	MaxAttempts   int
	Timeout       time.Duration // wait for a free member before 503; 0 = don't
	FailOnStatus  []int
	FailOnTimeout bool
	Nonce         string // "" = random per start; "None" kept literally (spec 5.3)
	Growth        int
	ForceRecovery bool // default On

	// Set records the balancer keys given explicitly (lowercase).
	Set map[string]bool
}

// Section is a <Location>, <LocationMatch>, <Directory>, <DirectoryMatch>,
// <Proxy> or <ProxyMatch> container.
type Section struct {
	Source string
	Kind   string         // "Location", "LocationMatch", "Directory", "DirectoryMatch", "Proxy", "ProxyMatch"
	Path   string         // the argument as written
	Regex  *regexp.Regexp // for *Match kinds, and for paths with wildcards
	Dir    *DirConfig
}

// DirConfig is the per-directory configuration of a section (or of the
// server level): everything Apache merges per request.
type DirConfig struct {
	// Handler is SetHandler ("balancer-manager", "server-status", ...); "" = none.
	Handler string

	Reverse      []ReverseRule // ProxyPassReverse, outer sections first
	CookieDomain []CookieRule  // ProxyPassReverseCookieDomain
	CookiePath   []CookieRule  // ProxyPassReverseCookiePath
	PreserveHost *bool         // per-dir ProxyPreserveHost override, nil = inherit
	AddHeaders   *bool         // per-dir ProxyAddHeaders override, nil = inherit

	Access *Access // nil = no access rules at this level

	Headers        []HeaderRule // Header (response)
	RequestHeaders []HeaderRule // RequestHeader
	Rewrite        *RewriteConfig

	// AllowOverride for <Directory>: which .htaccess groups are honoured
	// ("AuthConfig", "Limit", "FileInfo", "Options", "Indexes", "All", "None").
	AllowOverride []string
	// AllowOverrideSet records whether AllowOverride was written here.
	AllowOverrideSet bool
	// DirectoryIndex (mod_dir) written at this level: nil = inherit
	// (Apache's default "index.html"); empty = "DirectoryIndex disabled".
	DirectoryIndex []string
	// ErrorOverride is ProxyErrorOverride written in this section; nil =
	// inherit (the enclosing section's, else Server.Proxy's).
	ErrorOverride *ErrorOverride
	// ErrorDocuments maps a status code to the document or text.
	ErrorDocuments map[int]string
	// Files are <Files>/<FilesMatch> sections nested in this section.
	Files []*Section
	// Conditionals are <If>/<ElseIf>/<Else> sections at this level, in
	// order; Section.Kind is "If", "ElseIf" or "Else" and Section.Path the
	// expression. balancerd does not evaluate them (package directives
	// refuses those that contain access control).
	Conditionals []*Section
	Source       string
}

// ReverseRule is one ProxyPassReverse: responses' Location/Content-Location/
// URI headers that start with URL get Path in its place.
type ReverseRule struct {
	Source      string
	Path        string // the "fake" public path
	URL         string // the "real" backend URL, or balancer://name[/path]
	Interpolate bool
}

// CookieRule is one ProxyPassReverseCookieDomain/Path.
type CookieRule struct {
	Source      string
	Internal    string
	Public      string
	Interpolate bool
}

// Access is the access control of one configuration level: Apache 2.4
// Require containers and mod_access_compat's Order/Allow/Deny, plus Basic
// authentication.
type Access struct {
	Source string

	AuthType      string // "Basic", "Digest", "" = none
	AuthName      string
	AuthUserFile  string // resolved against ServerRoot
	AuthGroupFile string
	AuthProvider  []string // AuthBasicProvider, default "file"

	// Require is the 2.4 authorization tree; nil if no Require was written.
	Require *RequireNode
	// Merge is AuthMerging: "off" (default), "and", "or".
	Merge string

	// 2.2-style host access (mod_access_compat).
	Order   string // "deny,allow" (default), "allow,deny", "mutual-failure"; "" if not written
	Allow   []HostMatch
	Deny    []HostMatch
	Satisfy string // "all" (default) or "any"; "" if not written

	// Limit restricts the whole Access to these methods (<Limit>) or to all
	// but these (<LimitExcept>); empty = all methods.
	LimitMethods []string
	LimitExcept  bool
	// Limited holds rules written inside <Limit>/<LimitExcept> blocks.
	Limited []*Access
}

// RequireNode is one node of a Require tree.
type RequireNode struct {
	Source string
	// Kind is "require" (a leaf), "all" (RequireAll), "any" (RequireAny,
	// and the implicit top level), or "none" (RequireNone).
	Kind string
	// Negate is "Require not ...".
	Negate bool
	// Provider and Args of a leaf: "all granted", "valid-user",
	// "user a b", "group g", "ip 10.0.0.0/8", "host example.com",
	// "local", "env VAR", "method GET", "expr ...".
	Provider string
	Args     []string
	Children []*RequireNode
}

// HostMatch is one "Allow from"/"Deny from" argument.
type HostMatch struct {
	All       bool   // "all"
	CIDR      string // IP, partial IP, network/mask or network/bits, normalised to CIDR
	Host      string // domain name (suffix match after double reverse lookup)
	Env       string // "env=VAR" or "env=!VAR" (Negate)
	NegateEnv bool
}

// HeaderRule is one Header or RequestHeader directive (mod_headers subset).
type HeaderRule struct {
	Source    string
	Condition string // "onsuccess" (default) or "always"
	Action    string // set, append, add, unset, merge, edit, edit*, echo, setifempty, note
	Name      string
	Value     string // may contain %{VAR}e / %{NAME}i format specifiers
	Replace   string // for edit/edit*
	EnvCond   string // "env=VAR" / "env=!VAR" / "expr=..."
}

// RewriteConfig is a mod_rewrite configuration of one level.
type RewriteConfig struct {
	Engine    bool
	EngineSet bool
	Options   []string // RewriteOptions (Inherit, InheritBefore, ...)
	Rules     []*RewriteRule
}

// RewriteRule is one RewriteRule with the RewriteConds before it.
type RewriteRule struct {
	Source       string
	Pattern      string
	Regex        *regexp.Regexp
	Negate       bool   // pattern written as "!regex"
	Substitution string // "-" = no substitution
	Flags        RewriteFlags
	Conds        []*RewriteCond
}

// RewriteCond is one RewriteCond.
type RewriteCond struct {
	Source     string
	TestString string
	Pattern    string // as written, after "!" is removed
	Regex      *regexp.Regexp
	Negate     bool
	NoCase     bool
	OrNext     bool
}

// RewriteFlags are the flags of a RewriteRule.
type RewriteFlags struct {
	Cookies     []RewriteCookie // CO=
	Env         []string        // E=VAR:VAL
	Proxy       bool            // P
	Last        bool            // L
	Redirect    int             // R[=code], 0 = none
	Forbidden   bool            // F
	Gone        bool            // G
	NoCase      bool            // NC
	QSA         bool            // QSA
	QSD         bool            // QSD
	NoEscape    bool            // NE
	PassThrough bool            // PT
	Chain       bool            // C
	Skip        int             // S=n
	Type        string          // T=
	End         bool            // END
	Raw         []string        // all flags as written
}

// RewriteCookie is a [CO=NAME:VALUE:DOMAIN:lifetime:path:secure:httponly:samesite] flag.
type RewriteCookie struct {
	Name, Value, Domain string
	Lifetime            int // minutes; 0 = session cookie
	Path                string
	Secure, HTTPOnly    bool
	SameSite            string
}

// CustomLog is one CustomLog/TransferLog directive.
type CustomLog struct {
	Source  string
	Target  string // file path or "|pipe"
	Format  string // format string (nicknames resolved)
	EnvCond string
}
