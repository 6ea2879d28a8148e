package directives

// ProxyPass, ProxyPassMatch, ProxyPassReverse and the cookie rules
// (spec 3.2, 3.9).

import (
	"regexp"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/parser"
)

func init() {
	Implement("ProxyPass", func(b *Builder, d *parser.Directive) error { return applyProxyPass(b, d, false) })
	Implement("ProxyPassMatch", func(b *Builder, d *parser.Directive) error { return applyProxyPass(b, d, true) })
	Implement("ProxyPassReverse", applyProxyPassReverse)
	Implement("ProxyPassReverseCookieDomain", func(b *Builder, d *parser.Directive) error { return applyCookieRule(b, d, true) })
	Implement("ProxyPassReverseCookiePath", func(b *Builder, d *parser.Directive) error { return applyCookieRule(b, d, false) })
}

const errParamForm = "Invalid ProxyPass|ProxyPassMatch parameter. Parameter must be in the form 'key=value'."

// inLocation returns the enclosing <Location>/<LocationMatch> (or <Proxy>)
// section of the current scope: Apache's cmd->path.
func (b *Builder) inLocation() (*model.Section, bool) {
	if b.Section == nil || len(b.stack) == 0 {
		return nil, false
	}
	switch b.Section.Kind {
	case "Location", "LocationMatch", "Proxy", "ProxyMatch":
		return b.Section, true
	}
	return nil, false
}

func applyProxyPass(b *Builder, d *parser.Directive, isRegex bool) error {
	var f, r string
	haveF, haveR := false, false
	useRegex := isRegex
	rule := &model.ProxyPassRule{Source: source(d)}
	var params []param
	loc, inLoc := b.inLocation()
	for _, a := range d.Args {
		word := a.Value
		switch {
		case !haveF:
			if word == "~" {
				if isRegex {
					return apacheErrorf("ProxyPassMatch invalid syntax ('~' usage).")
				}
				useRegex = true
				continue
			}
			f, haveF = word, true
		case !inLoc && !haveR:
			r, haveR = word, true
		case strings.EqualFold(word, "nocanon"):
			rule.NoCanon = true
		case strings.EqualFold(word, "interpolate"):
			rule.Interpolate = true
		case strings.EqualFold(word, "noquery"):
			rule.NoQuery = true
		default:
			i := strings.IndexByte(word, '=')
			if i < 0 {
				if inLoc && strings.HasPrefix(f, "/") {
					return apacheErrorf("ProxyPass|ProxyPassMatch can not have a path when defined in a location.")
				}
				return apacheErrorf("%s", errParamForm)
			}
			k, v := word[:i], word[i+1:]
			if strings.EqualFold(k, "mapping") {
				switch strings.ToLower(v) {
				case "encoded", "servlet":
					rule.Mapping = strings.ToLower(v)
				default:
					return apacheErrorf("unknown mapping")
				}
				continue
			}
			params = append(params, param{k, v})
		}
	}
	if inLoc {
		if !haveF {
			return apacheErrorf("ProxyPass|ProxyPassMatch needs a path when not defined in a location")
		}
		r, haveR = f, true
		f = loc.Path
		rule.InLocation = loc.Path
		if loc.Regex != nil {
			useRegex = true
		}
	} else if !haveR {
		return apacheErrorf("ProxyPass|ProxyPassMatch needs a path when not defined in a location")
	}

	rule.Path = f
	if useRegex {
		if inLoc && loc.Regex != nil {
			rule.Regex = loc.Regex
		} else {
			re, err := regexp.Compile(f)
			if err != nil {
				return apacheErrorf("Regular expression could not be compiled. (%v)", err)
			}
			rule.Regex = re
		}
	}

	if r == "!" {
		rule.Exclude = true
		b.addRule(rule, loc, inLoc)
		return nil
	}
	if validBalancerName(r) {
		if err := checkBalancerName("ProxyPass ", r); err != nil {
			return err
		}
		rule.URL = r
		rule.Balancer = balancerKey(r)
		bal := b.balancer(r, d, true)
		if err := b.applyBalancerParams(bal, params, prefixed("ProxyPass ")); err != nil {
			return err
		}
		b.addRule(rule, loc, inLoc)
		return nil
	}
	if strings.HasPrefix(strings.ToLower(r), "balancer:") {
		return apacheErrorf("ProxyPass Bad syntax for a balancer name (%s)", r)
	}
	name, _, ok := normalizeURL(r)
	if !ok {
		return apacheErrorf("ProxyPass URL must be absolute!: %s", r)
	}
	rule.URL = name
	if w := sharedWorker(b.serverWorkers(), name); w != nil {
		rule.Worker = w
		b.warnSharing(d, "AH01146", w, params)
	} else {
		if err := b.checkWorkerLimits(d, "ProxyPass ", r); err != nil {
			return err
		}
		w := makeWorker(r, d)
		if useRegex && strings.Contains(w.Path, "$") {
			// 2.4.47+: no connection reuse when the path has $n.
			w.Params.DisableReuse = true
		}
		if err := b.applyWorkerParams(w, params, prefixed("ProxyPass ")); err != nil {
			return err
		}
		b.Server.Workers[w.Name] = w
		rule.Worker = w
	}
	b.addRule(rule, loc, inLoc)
	return nil
}

// addRule appends a server-level rule, or sets the one rule of a location.
func (b *Builder) addRule(rule *model.ProxyPassRule, loc *model.Section, inLoc bool) {
	if inLoc {
		if old := b.proxy.locRule[loc]; old != nil {
			*old = *rule
			return
		}
		b.proxy.locRule[loc] = rule
	}
	b.Server.ProxyPass = append(b.Server.ProxyPass, rule)
}

func applyProxyPassReverse(b *Builder, d *parser.Directive) error {
	args := d.ArgValues()
	f := args[0]
	r, i := "", ""
	if len(args) > 1 {
		r = args[1]
	}
	if len(args) > 2 {
		i = args[2]
	}
	rule := model.ReverseRule{Source: source(d)}
	if loc, ok := b.inLocation(); ok {
		if r != "" && !strings.EqualFold(r, "interpolate") {
			return apacheErrorf("ProxyPassReverse can not have a path when defined in a location")
		}
		rule.Path, rule.URL = loc.Path, f
		rule.Interpolate = strings.EqualFold(r, "interpolate")
	} else {
		if r == "" || strings.EqualFold(r, "interpolate") {
			return apacheErrorf("ProxyPassReverse needs a path when not defined in a location")
		}
		rule.Path, rule.URL = f, r
		rule.Interpolate = strings.EqualFold(i, "interpolate")
	}
	b.Dir.Reverse = append(b.Dir.Reverse, rule)
	return nil
}

func applyCookieRule(b *Builder, d *parser.Directive, domain bool) error {
	args := d.ArgValues()
	rule := model.CookieRule{Source: source(d), Internal: args[0], Public: args[1]}
	if len(args) > 2 {
		rule.Interpolate = strings.EqualFold(args[2], "interpolate")
	}
	if domain {
		b.Dir.CookieDomain = append(b.Dir.CookieDomain, rule)
	} else {
		b.Dir.CookiePath = append(b.Dir.CookiePath, rule)
	}
	return nil
}
