package proxy

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
)

// vhostTier names the address-phase step (spec 2.3) that produced the
// candidate list; Explain prints it.
var vhostTiers = [...]string{
	"vhosts with this exact IP:port",
	"vhosts with this IP and any port",
	"wildcard-address vhosts with this port",
	"wildcard-address vhosts with any port",
	"no vhost matches the address: main server",
}

// addrCandidates is the result of the address phase for one local address.
type addrCandidates struct {
	tier  int
	hosts []*vhost
}

// candidatesFor runs the address phase for the local address a connection
// arrived on (spec 2.3 step 1). Results are cached per address.
func (sn *snapshot) candidatesFor(local string) *addrCandidates {
	if c, ok := sn.addrCache.Load(local); ok {
		return c.(*addrCandidates)
	}
	ip, port := splitLocal(local)
	var tiers [4][]*vhost
	for _, vh := range sn.vhosts {
		best := -1
		for _, a := range vh.srv.Addrs {
			t := addrTier(a, ip, port)
			if t >= 0 && (best < 0 || t < best) {
				best = t
			}
		}
		if best >= 0 {
			tiers[best] = append(tiers[best], vh)
		}
	}
	c := &addrCandidates{tier: 4}
	for i, l := range tiers {
		if len(l) > 0 {
			c = &addrCandidates{tier: i, hosts: l}
			break
		}
	}
	sn.addrCache.Store(local, c)
	return c
}

// addrTier returns which address-phase step a matches ip:port in, or -1.
func addrTier(a model.VHostAddr, ip netip.Addr, port int) int {
	wildHost := a.Host == "*" || a.Host == "_default_" || a.Host == ""
	portOK := a.Port == 0 || a.Port == port
	if !portOK {
		return -1
	}
	if wildHost {
		if a.Port == 0 {
			return 3
		}
		return 2
	}
	h, err := netip.ParseAddr(strings.Trim(a.Host, "[]"))
	if err != nil || !ip.IsValid() || h.Unmap() != ip.Unmap() {
		return -1
	}
	if a.Port == 0 {
		return 1
	}
	return 0
}

func splitLocal(local string) (netip.Addr, int) {
	host, p, err := net.SplitHostPort(local)
	if err != nil {
		return netip.Addr{}, 0
	}
	port, _ := strconv.Atoi(p)
	ip, _ := netip.ParseAddr(host)
	if i := strings.IndexByte(host, '%'); i >= 0 && !ip.IsValid() {
		ip, _ = netip.ParseAddr(host[:i])
	}
	return ip, port
}

// hostName returns the lowercase host of a Host header value without port
// or trailing dot.
func hostName(h string) string {
	if h == "" {
		return ""
	}
	if h[0] == '[' {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return strings.ToLower(h[1:i])
		}
		return strings.ToLower(h)
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	return strings.ToLower(h)
}

// nameMatch reports how vh matches host in the name phase: "ServerName",
// "ServerAlias PATTERN", "address text" or "".
func nameMatch(vh *model.Server, host string) string {
	if host == "" {
		return ""
	}
	if vh.ServerName != "" && vh.ServerName == host {
		return "ServerName " + vh.ServerName
	}
	for _, a := range vh.ServerAlias {
		if strings.ContainsAny(a, "*?") {
			if globMatch(a, host) {
				return "ServerAlias " + a
			}
		} else if a == host {
			return "ServerAlias " + a
		}
	}
	return ""
}

// addrTextMatch is the name phase's fallback (spec 2.3 2b): a vhost whose
// <VirtualHost> address text equals the host.
func addrTextMatch(vh *model.Server, host string) bool {
	for _, a := range vh.Addrs {
		t := strings.ToLower(a.Text)
		if h, _, err := net.SplitHostPort(t); err == nil {
			t = h
		}
		if strings.Trim(t, "[]") == host {
			return true
		}
	}
	return false
}

// globMatch is a case-insensitive shell pattern match where '*' also
// matches dots and '?' matches one character (ap_strcasecmp_match).
func globMatch(pattern, s string) bool { return wildMatch(pattern, s, true) }

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 32
	}
	return c
}

// selectVHost runs both phases of spec 2.3 for a request that arrived on
// local with Host header host. ex, when non-nil, records why.
func (sn *snapshot) selectVHost(local, host string, ex *Explanation) *vhost {
	c := sn.candidatesFor(local)
	if c.tier == 4 {
		if ex != nil {
			ex.VHost = VHostChoice{Server: describeServer(sn.main.srv), Reason: vhostTiers[4]}
		}
		return sn.main
	}
	name := hostName(host)
	for _, vh := range c.hosts {
		if why := nameMatch(vh.srv, name); why != "" {
			if ex != nil {
				ex.VHost = VHostChoice{Server: describeServer(vh.srv), Reason: vhostTiers[c.tier] + "; Host " + strconv.Quote(name) + " matches " + why, Candidates: describeAll(c.hosts)}
			}
			return vh
		}
	}
	for _, vh := range c.hosts {
		if addrTextMatch(vh.srv, name) {
			if ex != nil {
				ex.VHost = VHostChoice{Server: describeServer(vh.srv), Reason: vhostTiers[c.tier] + "; Host " + strconv.Quote(name) + " equals the <VirtualHost> address", Candidates: describeAll(c.hosts)}
			}
			return vh
		}
	}
	if ex != nil {
		why := "no ServerName/ServerAlias matches Host " + strconv.Quote(name) + ": first vhost for the address (default server)"
		if name == "" {
			why = "no Host: first vhost for the address (default server)"
		}
		ex.VHost = VHostChoice{Server: describeServer(c.hosts[0].srv), Reason: vhostTiers[c.tier] + "; " + why, Candidates: describeAll(c.hosts)}
	}
	return c.hosts[0]
}

func describeServer(s *model.Server) string {
	if len(s.Addrs) == 0 {
		n := s.ServerName
		if n == "" {
			n = "(no ServerName)"
		}
		return "main server " + n
	}
	var addrs []string
	for _, a := range s.Addrs {
		addrs = append(addrs, a.Text)
	}
	d := "<VirtualHost " + strings.Join(addrs, " ") + ">"
	if s.ServerName != "" {
		d += " ServerName " + s.ServerName
	}
	if s.Source != "" {
		d += " (" + s.Source + ")"
	}
	return d
}

func describeAll(l []*vhost) []string {
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = describeServer(v.srv)
	}
	return out
}
