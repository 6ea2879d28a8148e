package directives

// mod_remoteip is not implemented: the client address stays the peer's.
// That is harmless unless access rules judge addresses, in which case the
// configuration is refused (Build reports it at the first mod_remoteip
// directive).

import (
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func init() {
	for _, s := range standardSpecs {
		if s.Module == "remoteip_module" {
			Implement(s.Name, applyRemoteIP)
		}
	}
}

func applyRemoteIP(b *Builder, d *parser.Directive) error {
	if b.remoteIP == nil {
		b.remoteIP = d
		b.Warnf(d, "ignored-directive", "%s (remoteip_module, mod_remoteip.c) is not implemented by balancerd and is ignored: the client address is the peer's (reported once)", canonicalName(d.Name))
	}
	return nil
}

// checkRemoteIP refuses mod_remoteip when address-based access rules
// exist (they would judge the address of the proxy in front).
func (b *Builder) checkRemoteIP() {
	if b.remoteIP == nil {
		return
	}
	servers := append([]*model.Server{b.Config.Main}, b.Config.VirtualHosts...)
	for _, s := range servers {
		dirs := []*model.DirConfig{s.Dir}
		for _, list := range [][]*model.Section{s.Locations, s.Directories, s.Proxies, s.Files} {
			for _, sec := range list {
				dirs = append(dirs, sec.Dir)
			}
		}
		for _, dc := range dirs {
			if dc != nil && accessUsesAddress(dc.Access) {
				b.Errorf(b.remoteIP, "unsupported-directive", "%s (remoteip_module) is not supported by balancerd: it does not take the client address from a header, and this configuration has address-based access rules (Require ip/host, Allow/Deny from) that would then judge the address of the proxy in front; remove it or keep this part on Apache httpd", canonicalName(b.remoteIP.Name))
				return
			}
		}
	}
}

func accessUsesAddress(a *model.Access) bool {
	if a == nil {
		return false
	}
	for _, h := range append(append([]model.HostMatch(nil), a.Allow...), a.Deny...) {
		if h.CIDR != "" || h.Host != "" {
			return true
		}
	}
	if requireUsesAddress(a.Require) {
		return true
	}
	for _, l := range a.Limited {
		if accessUsesAddress(l) {
			return true
		}
	}
	return false
}

func requireUsesAddress(n *model.RequireNode) bool {
	if n == nil {
		return false
	}
	switch strings.ToLower(n.Provider) {
	case "ip", "host", "forward-dns", "local":
		return true
	}
	for _, c := range n.Children {
		if requireUsesAddress(c) {
			return true
		}
	}
	return false
}
