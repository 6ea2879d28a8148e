package model

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// IPMatch is an address pattern of "Require ip" and "Allow/Deny from":
// a (possibly partial) IP address with a network mask. The mask may be any
// bit pattern for IPv4 (Apache accepts 255.0.255.0), so it is kept as
// bytes rather than a prefix length.
type IPMatch struct {
	Addr netip.Addr // network address, masked
	Mask []byte     // 4 or 16 bytes
}

// Errors of ParseIPMatch, worded as APR's apr_strerror.
var (
	// ErrNotIP means the text does not look like an IP address at all
	// (Allow/Deny then treat it as a host name).
	ErrNotIP = errors.New("not an IP address")
	// ErrBadIP is APR_EBADIP.
	ErrBadIP error = aprError("The specified IP address is invalid.")
	// ErrBadMask is APR_EBADMASK.
	ErrBadMask error = aprError("The specified network mask is invalid.")
)

// aprError carries apr_strerror's text verbatim.
type aprError string

func (e aprError) Error() string { return string(e) }

// ParseIPMatch parses "10", "10.1", "10.1.0.0/16", "10.1.0.0/255.255.0.0",
// "2001:db8::/48" like apr_ipsubnet_create.
func ParseIPMatch(s string) (IPMatch, error) {
	addr, mask, hasMask := strings.Cut(s, "/")
	if hasMask && mask == "" {
		return IPMatch{}, ErrBadMask
	}
	if strings.Contains(addr, ":") {
		a, err := netip.ParseAddr(addr)
		if err != nil || a.Zone() != "" {
			return IPMatch{}, ErrBadIP
		}
		if a.Is4In6() {
			a = a.Unmap()
		}
		bits := a.BitLen()
		if hasMask {
			n, err := strconv.Atoi(mask)
			if err != nil || n <= 0 || n > bits {
				return IPMatch{}, ErrBadMask
			}
			bits = n
		}
		return ipMatchBits(a, bits), nil
	}
	for _, c := range addr {
		if c != '.' && (c < '0' || c > '9') {
			return IPMatch{}, ErrNotIP
		}
	}
	if addr == "" {
		return IPMatch{}, ErrNotIP
	}
	// Partial IPv4: up to four octets; missing ones are a shorter mask.
	parts := strings.Split(strings.TrimSuffix(addr, "."), ".")
	if len(parts) > 4 {
		return IPMatch{}, ErrBadIP
	}
	var b [4]byte
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if p == "" || err != nil || n > 255 {
			return IPMatch{}, ErrBadIP
		}
		b[i] = byte(n)
	}
	a := netip.AddrFrom4(b)
	if !hasMask {
		return ipMatchBits(a, 8*len(parts)), nil
	}
	if n, err := strconv.Atoi(mask); err == nil {
		if n <= 0 || n > 32 {
			return IPMatch{}, ErrBadMask
		}
		return ipMatchBits(a, n), nil
	}
	m, err := netip.ParseAddr(mask)
	if err != nil || !m.Is4() {
		return IPMatch{}, ErrBadMask
	}
	mb := m.As4()
	return IPMatch{Addr: applyMask(a, mb[:]), Mask: mb[:]}, nil
}

func ipMatchBits(a netip.Addr, bits int) IPMatch {
	mask := make([]byte, a.BitLen()/8)
	for i := range mask {
		switch {
		case bits >= 8:
			mask[i] = 0xff
			bits -= 8
		case bits > 0:
			mask[i] = byte(0xff << (8 - bits))
			bits = 0
		}
	}
	return IPMatch{Addr: applyMask(a, mask), Mask: mask}
}

func applyMask(a netip.Addr, mask []byte) netip.Addr {
	s := a.AsSlice()
	for i := range s {
		s[i] &= mask[i]
	}
	out, _ := netip.AddrFromSlice(s)
	return out
}

// Contains reports whether ip is in the network. IPv4-mapped IPv6
// addresses match IPv4 networks, as in apr_ipsubnet_test.
func (m IPMatch) Contains(ip netip.Addr) bool {
	if !m.Addr.IsValid() {
		return false
	}
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.BitLen() != m.Addr.BitLen() {
		return false
	}
	return applyMask(ip, m.Mask) == m.Addr
}
