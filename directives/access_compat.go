package directives

// 2.2-style host access control (mod_access_compat; Satisfy is core):
//
//	Order Deny,Allow | Allow,Deny | Mutual-failure
//	Allow from all|host|IP|env=[!]VAR ...
//	Deny from all|host|IP|env=[!]VAR ...
//	Satisfy Any|All
//
// Apache registers the first three in lowercase, which shows in its
// messages ("order not allowed here"). Inside <Limit> they apply to the
// selected methods only.

import (
	"fmt"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("Order", applyOrder)
	Implement("Allow", applyAllowDeny)
	Implement("Deny", applyAllowDeny)
	Implement("Satisfy", applySatisfy)
}

func applyOrder(b *Builder, d *parser.Directive) error {
	v := strings.ToLower(d.Args[0].Value)
	switch v {
	case "allow,deny", "deny,allow", "mutual-failure":
		limitedAccess(b, d).Order = v
		return nil
	}
	return apacheErr("unknown order")
}

// parseHostMatch parses one "Allow from"/"Deny from" argument like
// mod_access_compat's allow_cmd.
func parseHostMatch(where string) (model.HostMatch, error) {
	lw := strings.ToLower(where)
	switch {
	case strings.HasPrefix(lw, "env=!"):
		return model.HostMatch{Env: where[5:], NegateEnv: true}, nil
	case strings.HasPrefix(lw, "env="):
		return model.HostMatch{Env: where[4:]}, nil
	case lw == "all":
		return model.HostMatch{All: true}, nil
	}
	if strings.Contains(where, "/") {
		m, err := model.ParseIPMatch(where)
		if err == model.ErrNotIP {
			return model.HostMatch{}, apacheErr("An IP address was expected")
		}
		if err != nil {
			return model.HostMatch{}, err
		}
		return model.HostMatch{CIDR: ipMatchString(m)}, nil
	}
	m, err := model.ParseIPMatch(where)
	switch {
	case err == nil:
		return model.HostMatch{CIDR: ipMatchString(m)}, nil
	case err != model.ErrNotIP:
		return model.HostMatch{}, err
	case strings.Contains(where, "#"):
		return model.HostMatch{}, apacheErr("No comments are allowed here")
	}
	return model.HostMatch{Host: lw}, nil
}

// ipMatchString writes an IPMatch as CIDR when its mask is contiguous,
// else as address/dotted-mask; model.ParseIPMatch reads both back.
func ipMatchString(m model.IPMatch) string {
	bits, contiguous := 0, true
	for _, b := range m.Mask {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) != 0 {
				if !contiguous {
					return fmt.Sprintf("%s/%d.%d.%d.%d", m.Addr, m.Mask[0], m.Mask[1], m.Mask[2], m.Mask[3])
				}
				bits++
			} else {
				contiguous = false
			}
		}
	}
	return fmt.Sprintf("%s/%d", m.Addr, bits)
}

func applyAllowDeny(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	if !strings.EqualFold(args[0], "from") {
		return apacheErr("allow and deny must be followed by 'from'")
	}
	var list []model.HostMatch
	for _, w := range args[1:] {
		hm, err := parseHostMatch(w)
		if err != nil {
			return err
		}
		list = append(list, hm)
	}
	a := limitedAccess(b, d)
	if strings.EqualFold(d.Name, "allow") {
		a.Allow = append(a.Allow, list...)
	} else {
		a.Deny = append(a.Deny, list...)
	}
	return nil
}

func applySatisfy(b *Builder, d *parser.Directive) error {
	v := strings.ToLower(d.Args[0].Value)
	if v != "any" && v != "all" {
		return apacheErr("Satisfy either 'any' or 'all'.")
	}
	limitedAccess(b, d).Satisfy = v
	return nil
}
