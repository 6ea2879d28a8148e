package directives

// AllowEncodedSlashes On|Off|NoDecode (core): whether "%2F" in a request
// path is refused (Off, 404), decoded (On) or kept encoded (NoDecode).
// Stored per server; package proxy inherits the main server's value.

import (
	"strings"

	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("AllowEncodedSlashes", applyAllowEncodedSlashes)
}

func applyAllowEncodedSlashes(b *Builder, d *parser.Directive) error {
	v := strings.ToLower(d.Args[0].Value)
	switch v {
	case "on", "off", "nodecode":
		b.Server.AllowEncodedSlashes = v
		return nil
	}
	return apacheErr("AllowEncodedSlashes must be On, Off, or NoDecode")
}
