package directives

import (
	"path"
	"strings"

	"github.com/balancerd/balancerd/parser"
)

// extraSpecs are directives Apache's -L listing does not show but that a
// configuration may contain; none are needed today.
var extraSpecs []Spec

// compiledIn are the modules compiled into Debian's apache2 (apache2 -l):
// always loaded, never the subject of LoadModule.
var compiledIn = map[string]bool{
	"core_module": true, "so_module": true, "watchdog_module": true, "http_module": true,
	"log_config_module": true, "logio_module": true, "version_module": true, "unixd_module": true,
}

// balancerdModules are the modules balancerd implements itself: they count
// as loaded without a LoadModule line (<IfModule mod_proxy.c> is true, and
// their directives are valid in a config fragment that loads nothing).
var balancerdModules = map[string]bool{
	"mpm_event_module":           true,
	"proxy_module":               true,
	"proxy_http_module":          true,
	"proxy_wstunnel_module":      true,
	"proxy_balancer_module":      true,
	"lbmethod_byrequests_module": true,
	"lbmethod_bytraffic_module":  true,
	"lbmethod_bybusyness_module": true,
	"slotmem_shm_module":         true,
	"rewrite_module":             true,
	"headers_module":             true,
	"auth_basic_module":          true,
	"authn_core_module":          true,
	"authn_file_module":          true,
	"authz_core_module":          true,
	"authz_host_module":          true,
	"authz_user_module":          true,
	"authz_groupfile_module":     true,
	"access_compat_module":       true,
	"status_module":              true,
	"log_config_module":          true,
}

var (
	modulesByID     = map[string]*ModuleInfo{}
	modulesBySource = map[string]*ModuleInfo{}
	modulesByFile   = map[string]*ModuleInfo{}
	_               = indexModules()
)

func indexModules() bool {
	for i := range standardModules {
		m := &standardModules[i]
		modulesByID[m.ID] = m
		modulesBySource[m.Source] = m
		if m.File != "" {
			modulesByFile[m.File] = m
		}
	}
	return true
}

// ModuleBuiltin reports whether a module counts as loaded without a
// LoadModule line: compiled into Apache, or implemented by balancerd. name
// is a module identifier ("proxy_module") or source file ("mod_proxy.c").
func ModuleBuiltin(name string) bool {
	if m := modulesBySource[name]; m != nil {
		name = m.ID
	}
	return compiledIn[name] || balancerdModules[name]
}

// StandardModule returns the module of Debian's apache2 with that
// identifier or source file name, or nil.
func StandardModule(name string) *ModuleInfo {
	if m := modulesByID[name]; m != nil {
		return m
	}
	return modulesBySource[name]
}

// moduleFileFor returns the shared-object name a LoadModule path names
// ("mod_proxy.so") if the path is where Apache's modules live (relative
// "modules/…", ServerRoot-relative, or /usr/lib/apache2/modules/…).
func moduleFileFor(p string) string {
	return path.Base(strings.ReplaceAll(p, "\\", "/"))
}

// accepted are directives balancerd reads without modelling them and
// without a diagnostic: server housekeeping that has no equivalent (or no
// effect) in a single Go binary, and settings whose absence changes
// neither routing nor security.
var accepted = words(`
ServerAdmin ServerSignature ServerTokens User Group PidFile Mutex DefaultRuntimeDir
ScoreBoardFile LogLevel ErrorLogFormat HostnameLookups UseCanonicalName UseCanonicalPhysicalPort
AccessFileName AddDefaultCharset DefaultType FileETag EnableMMAP EnableSendfile ContentDigest
ServerPath AcceptFilter Protocols ProtocolsHonorOrder TraceEnable MaxMemFree ThreadStackSize
CoreDumpDirectory StartServers ServerLimit MinSpareThreads MaxSpareThreads MaxClients
MaxRequestWorkers ThreadsPerChild ThreadLimit AsyncRequestWorkerFactor GracefulShutdownTimeout
MaxRequestsPerChild MaxConnectionsPerChild ListenBacklog ListenCoresBucketsRatio SendBufferSize
ReceiveBufferSize ListenTCPDeferAccept ExtendedStatus SeeRequestTail BufferedLogs
TypesConfig AddType AddCharset AddEncoding AddLanguage DefaultLanguage AddHandler RemoveHandler
RemoveType RemoveCharset RemoveEncoding RemoveLanguage MultiviewsMatch ModMimeUsePathInfo
DirectoryIndex DirectorySlash Options IndexOptions IndexIgnore AddIcon AddIconByType
AddIconByEncoding DefaultIcon ReadmeName HeaderName AddDescription IndexOrderDefault
IndexStyleSheet IndexHeadInsert AddAlt AddAltByType AddAltByEncoding LanguagePriority
ForceLanguagePriority CacheNegotiatedDocs BrowserMatch BrowserMatchNoCase
SSLPassPhraseDialog SSLSessionCache SSLSessionCacheTimeout SSLRandomSeed SSLCryptoDevice
SSLStaplingCache SSLUseStapling SSLCompression SSLSessionTickets SSLHonorCipherOrder
SSLStrictSNIVHostCheck SSLOptions
ExpiresActive ExpiresDefault ExpiresByType
AddOutputFilterByType DeflateCompressionLevel DeflateBufferSize DeflateMemLevel DeflateWindowSize
DeflateFilterNote DeflateInflateLimitRequestBody
KeepAliveTimeout MaxKeepAliveRequests
GlobalLog
`)

func init() {
	// SSLVerifyClient none is the default and common in configs; any
	// other level asks for client certificates balancerd cannot verify.
	Implement("SSLVerifyClient", func(b *Builder, d *parser.Directive) error {
		if strings.EqualFold(d.Args[0].Value, "none") {
			return nil
		}
		return errCode("unsupported-directive", "SSLVerifyClient %s (ssl_module) is not supported by balancerd: it does not verify TLS client certificates; remove it or keep this part on Apache httpd", d.Args[0].Value)
	})
}

// unsupported are real Apache directives whose absence would change who
// may access what or where requests go: balancerd refuses them rather
// than silently serving a different policy.
var unsupported = func() map[string]string {
	m := map[string]string{}
	for _, id := range []string{
		"authnz_ldap_module", "ldap_module", "authn_dbm_module", "authz_dbm_module", "authn_dbd_module",
		"authz_dbd_module", "authn_anon_module", "authn_socache_module", "auth_form_module",
		"auth_digest_module", "authnz_fcgi_module", "session_module", "session_cookie_module",
		"session_crypto_module", "session_dbd_module", "authz_owner_module",
	} {
		m[id] = "balancerd implements Basic authentication with AuthUserFile only"
	}
	return m
}()

var unsupportedNames = map[string]string{
	"sslverifyclient":    "balancerd does not verify TLS client certificates",
	"sslrequire":         "balancerd does not evaluate SSLRequire expressions",
	"sslrequiressl":      "balancerd does not evaluate SSLRequireSSL",
	"proxyremote":        "balancerd does not chain to a remote forward proxy",
	"proxyremotematch":   "balancerd does not chain to a remote forward proxy",
	"allowmethods":       "balancerd does not implement mod_allowmethods",
	"authnprovideralias": "balancerd implements Basic authentication with AuthUserFile only",
	"authzprovideralias": "balancerd does not implement authorization provider aliases",
}

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[strings.ToLower(w)] = true
	}
	return m
}

// defaultSupport is the support level of a directive before any file
// calls Implement.
func defaultSupport(s *Spec) Support {
	key := strings.ToLower(s.Name)
	if _, ok := unsupportedNames[key]; ok {
		return Unsupported
	}
	if _, ok := unsupported[s.Module]; ok {
		return Unsupported
	}
	if accepted[key] {
		return Accepted
	}
	return Ignored
}

// unsupportedReason says why a directive is Unsupported.
func unsupportedReason(s *Spec) string {
	if r, ok := unsupportedNames[strings.ToLower(s.Name)]; ok {
		return r
	}
	if r, ok := unsupported[s.Module]; ok {
		return r
	}
	return "balancerd cannot honour it without changing routing or security"
}
