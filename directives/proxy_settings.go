package directives

// mod_proxy's server and per-directory switches (spec 3.10).

import (
	"strings"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("ProxyRequests", applyProxyFlag("ProxyRequests", func(p *model.ProxySettings, v bool) { p.Requests = v }))
	Implement("ProxyPassInherit", applyProxyFlag("ProxyPassInherit", func(p *model.ProxySettings, v bool) { p.PassInherit = v }))
	Implement("BalancerInherit", applyProxyFlag("BalancerInherit", func(p *model.ProxySettings, v bool) { p.BalancerInherit = v }))
	Implement("BalancerPersist", applyProxyFlag("BalancerPersist", func(p *model.ProxySettings, v bool) { p.BalancerPersist = v }))
	Implement("Proxy100Continue", applyProxyFlag("Proxy100Continue", func(p *model.ProxySettings, v bool) { p.Continue100 = v }))
	Implement("ProxyPreserveHost", applyProxyPreserveHost)
	Implement("ProxyAddHeaders", applyProxyAddHeaders)
	Implement("ProxyVia", applyProxyVia)
	Implement("ProxyTimeout", applyProxyTimeout)
	Implement("ProxyErrorOverride", applyProxyErrorOverride)
	Implement("ProxyBadHeader", applyProxyBadHeader)
	Implement("ProxyMaxForwards", applyProxyMaxForwards)
	Implement("ProxyIOBufferSize", applyProxyIOBufferSize)
	Implement("BalancerGrowth", applyBalancerGrowth)
	Implement("ProxyStatus", applyProxyStatus)
}

func flagValue(d *parser.Directive) bool { return strings.EqualFold(d.Args[0].Value, "on") }

func applyProxyFlag(name string, set func(*model.ProxySettings, bool)) ApplyFunc {
	return func(b *Builder, d *parser.Directive) error {
		set(&b.Server.Proxy, flagValue(d))
		b.markSet(name)
		return nil
	}
}

// atServerLevel reports whether no per-directory section encloses the
// directive (only <VirtualHost> or nothing).
func (b *Builder) atServerLevel() bool {
	return b.Section == nil
}

func applyProxyPreserveHost(b *Builder, d *parser.Directive) error {
	v := flagValue(d)
	if b.atServerLevel() {
		b.Server.Proxy.PreserveHost = v
		b.markSet("ProxyPreserveHost")
		return nil
	}
	b.Dir.PreserveHost = &v
	return nil
}

func applyProxyAddHeaders(b *Builder, d *parser.Directive) error {
	v := flagValue(d)
	if b.atServerLevel() {
		b.Server.Proxy.AddHeaders = v
		b.markSet("ProxyAddHeaders")
		return nil
	}
	b.Dir.AddHeaders = &v
	return nil
}

func applyProxyVia(b *Builder, d *parser.Directive) error {
	modes := map[string]model.ViaMode{"off": model.ViaOff, "on": model.ViaOn, "full": model.ViaFull, "block": model.ViaBlock}
	m, ok := modes[strings.ToLower(d.Args[0].Value)]
	if !ok {
		return apacheErrorf("ProxyVia must be one of: off | on | full | block")
	}
	b.Server.Proxy.Via = m
	b.markSet("ProxyVia")
	return nil
}

func applyProxyTimeout(b *Builder, d *parser.Directive) error {
	n := atoi(d.Args[0].Value)
	if n < 1 {
		return apacheErrorf("Proxy Timeout must be at least 1 second.")
	}
	b.Server.Proxy.Timeout = time.Duration(n) * time.Second
	b.markSet("ProxyTimeout")
	return nil
}

func applyProxyErrorOverride(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	on, ok := onOff(args[0])
	if !ok {
		return apacheErrorf("ProxyErrorOverride first parameter must be one of: off | on")
	}
	var codes []int
	for _, a := range args[1:] {
		if !on {
			return apacheErrorf("ProxyErrorOverride: status codes must follow a value of 'on'")
		}
		c := atoi(a)
		if c < 400 || c >= 600 {
			return apacheErrorf("ProxyErrorOverride: status codes to intercept must be valid HTTP Status Codes >=400 && <600")
		}
		codes = append(codes, c)
	}
	if b.Ctx&CtxDirs != 0 {
		// Per-directory (mod_proxy's dir config): only this section.
		b.Dir.ErrorOverride = &model.ErrorOverride{On: on, Codes: codes, Source: source(d)}
		return nil
	}
	b.Server.Proxy.ErrorOverride = on
	b.Server.Proxy.ErrorOverrideCodes = codes
	b.markSet("ProxyErrorOverride")
	return nil
}

func applyProxyBadHeader(b *Builder, d *parser.Directive) error {
	v := d.Args[0].Value
	for _, m := range []string{"IsError", "Ignore", "StartBody"} {
		if strings.EqualFold(v, m) {
			b.Server.Proxy.BadHeader = strings.ToLower(m[:1]) + m[1:]
			b.markSet("ProxyBadHeader")
			return nil
		}
	}
	return apacheErrorf("ProxyBadHeader must be one of: IsError | Ignore | StartBody")
}

func applyProxyMaxForwards(b *Builder, d *parser.Directive) error {
	b.Server.Proxy.MaxForwards = atoi(d.Args[0].Value)
	b.markSet("ProxyMaxForwards")
	return nil
}

func applyProxyIOBufferSize(b *Builder, d *parser.Directive) error {
	n := atoi(d.Args[0].Value)
	if n != 0 && n < 512 {
		return apacheErrorf("ProxyIOBufferSize must be >= 512 bytes, or 0 for system default.")
	}
	if n == 0 {
		n = 8192
	}
	b.Server.Proxy.IOBufferSize = n
	b.markSet("ProxyIOBufferSize")
	return nil
}

func applyBalancerGrowth(b *Builder, d *parser.Directive) error {
	n := atoi(d.Args[0].Value)
	if n < 0 || n > 1000 {
		return apacheErrorf("BalancerGrowth must be between 0 and 1000")
	}
	b.Server.Proxy.BalancerGrowth = n
	b.markSet("BalancerGrowth")
	return nil
}

func applyProxyStatus(b *Builder, d *parser.Directive) error {
	switch strings.ToLower(d.Args[0].Value) {
	case "off":
		b.Server.Proxy.Status = false
	case "on", "full":
		b.Server.Proxy.Status = true
	default:
		return apacheErrorf("ProxyStatus must be one of: off | on | full")
	}
	b.markSet("ProxyStatus")
	return nil
}
