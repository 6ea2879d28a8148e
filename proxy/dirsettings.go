package proxy

import "github.com/balancerd/balancerd/directives/model"

// Per-request settings Apache keeps in per-directory or per-server
// configuration that balancerd reads at request time: ProxyErrorOverride
// of the matched sections, AllowEncodedSlashes of the virtual host.

// errorOverride is ProxyErrorOverride for the request: the innermost
// section that sets it (<Location>, <Proxy>, ...), else the server's.
func (rt *route) errorOverride() (bool, []int) {
	for i := len(rt.dirs) - 1; i >= 0; i-- {
		if eo := rt.dirs[i].ErrorOverride; eo != nil {
			return eo.On, eo.Codes
		}
	}
	p := &rt.vh.srv.Proxy
	return p.ErrorOverride, p.ErrorOverrideCodes
}

// AllowEncodedSlashes modes.
const (
	slashesOff      = ""
	slashesOn       = "on"
	slashesNoDecode = "nodecode"
)

// encodedSlashes is AllowEncodedSlashes for a server: its own, else the
// main server's (core's per-server merge), else Off.
func encodedSlashes(main, srv *model.Server) string {
	v := srv.AllowEncodedSlashes
	if v == "" && main != nil {
		v = main.AllowEncodedSlashes
	}
	if v == "off" {
		v = slashesOff
	}
	return v
}
