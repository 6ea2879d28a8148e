package model

// TLSConfig is a server's mod_ssl configuration (SSLEngine and the
// certificate directives). A virtual host without its own TLSConfig, or
// with fields left unset, inherits the main server's, as mod_ssl merges
// per-server configurations; package proxy applies that merge.
type TLSConfig struct {
	// Engine is SSLEngine On; EngineSet records that SSLEngine was written.
	Engine       bool
	EngineSet    bool
	EngineSource string

	// Certificates are the SSLCertificateFile directives in order (one per
	// key type); Keys the SSLCertificateKeyFile directives, paired with
	// Certificates by position (a certificate without its key file has
	// the key in the same file). Paths are resolved against ServerRoot.
	Certificates []TLSFile
	Keys         []TLSFile
	// Chain is SSLCertificateChainFile (intermediate certificates sent
	// after the server certificate); Path "" if not set.
	Chain TLSFile

	// MinVersion and MaxVersion are the TLS wire versions SSLProtocol
	// enables (0x0301 TLSv1 ... 0x0304 TLSv1.3); 0 = not set (Apache's
	// default "all -SSLv3", bounded by what Go supports: TLSv1.2+).
	MinVersion, MaxVersion uint16
	ProtocolSource         string

	// CipherSuite is SSLCipherSuite as written (not applied: Go's cipher
	// suites are used); HonorCipherOrder is SSLHonorCipherOrder
	// (accepted, Go's server order always applies).
	CipherSuite      string
	HonorCipherOrder bool
}

// TLSFile is a file named by a mod_ssl directive.
type TLSFile struct {
	Path   string
	Source string // "FILE:LINE" of the directive
}
