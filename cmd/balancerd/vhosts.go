package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
)

// printVHosts writes the -S report: Apache's "VirtualHost configuration"
// block in apache2 -S's layout, the run-time settings it prints after it,
// and then balancerd's own addition, every balancer with its members.
func printVHosts(w io.Writer, cfg *model.Config, defines []string) {
	fmt.Fprintln(w, "VirtualHost configuration:")
	for _, set := range vhostSets(cfg) {
		addr := set.addr
		if len(set.hosts) == 1 {
			fmt.Fprintf(w, "%-22s %s (%s)\n", addr, vhostName(cfg, set.hosts[0]), set.hosts[0].Source)
			continue
		}
		fmt.Fprintf(w, "%-22s is a NameVirtualHost\n", addr)
		fmt.Fprintf(w, "         default server %s (%s)\n", vhostName(cfg, set.hosts[0]), set.hosts[0].Source)
		for _, vh := range set.hosts {
			fmt.Fprintf(w, "         port %s namevhost %s (%s)\n", set.port, vhostName(cfg, vh), vh.Source)
			for _, a := range vh.ServerAlias {
				if strings.ContainsAny(a, "*?") {
					fmt.Fprintf(w, "                 wild alias %s\n", a)
				} else {
					fmt.Fprintf(w, "                 alias %s\n", a)
				}
			}
		}
	}
	fmt.Fprintf(w, "ServerRoot: %q\n", cfg.ServerRoot)
	if cfg.Main != nil {
		fmt.Fprintf(w, "Main DocumentRoot: %q\n", cfg.Main.DocumentRoot)
		if cfg.Main.ErrorLog != "" {
			fmt.Fprintf(w, "Main ErrorLog: %q\n", cfg.Main.ErrorLog)
		}
	}
	if cfg.PidFile != "" {
		fmt.Fprintf(w, "PidFile: %q\n", cfg.PidFile)
	}
	for _, d := range defines {
		fmt.Fprintf(w, "Define: %s\n", d)
	}
	printBalancers(w, cfg)
}

// vhostSet is the virtual hosts sharing one address, in config order.
type vhostSet struct {
	addr  string // "127.0.0.1:80", "*:80", "*:*"
	port  string
	hosts []*model.Server
}

// vhostSets groups virtual hosts by address as apache2 -S does: addresses
// with a specific IP first, then wildcard addresses, each in the order the
// address first appears in the configuration.
func vhostSets(cfg *model.Config) []*vhostSet {
	var specific, wild []*vhostSet
	index := map[string]*vhostSet{}
	for _, vh := range cfg.VirtualHosts {
		for _, a := range vh.Addrs {
			port := "*"
			if a.Port != 0 {
				port = strconv.Itoa(a.Port)
			}
			host := a.Host
			if strings.Contains(host, ":") {
				host = "[" + host + "]"
			}
			key := host + ":" + port
			set := index[key]
			if set == nil {
				set = &vhostSet{addr: key, port: port}
				index[key] = set
				if a.Host == "*" {
					wild = append(wild, set)
				} else {
					specific = append(specific, set)
				}
			}
			if len(set.hosts) == 0 || set.hosts[len(set.hosts)-1] != vh {
				set.hosts = append(set.hosts, vh)
			}
		}
	}
	return append(specific, wild...)
}

// vhostName is the name -S shows: ServerName, else the main server's, else
// the machine's host name (Apache's ap_get_local_host).
func vhostName(cfg *model.Config, vh *model.Server) string {
	if vh.ServerName != "" {
		return vh.ServerName
	}
	if cfg.Main != nil && cfg.Main.ServerName != "" {
		return cfg.Main.ServerName
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "localhost"
}

// printBalancers lists every balancer once (virtual hosts inherit the main
// server's, so the same balancer can appear in several servers).
func printBalancers(w io.Writer, cfg *model.Config) {
	seen := map[*model.Balancer]bool{}
	var all []*model.Balancer
	servers := append([]*model.Server{cfg.Main}, cfg.VirtualHosts...)
	for _, s := range servers {
		if s == nil {
			continue
		}
		for _, name := range s.BalancerOrder {
			if b := s.Balancers[name]; b != nil && !seen[b] {
				seen[b] = true
				all = append(all, b)
			}
		}
	}
	if len(all) == 0 {
		return
	}
	fmt.Fprintln(w, "Balancers:")
	for _, b := range all {
		fmt.Fprintf(w, "%s (%s)\n", b.Name, b.Source)
		fmt.Fprintf(w, "         lbmethod=%s%s\n", b.LBMethod, balancerParams(b))
		for _, m := range b.Members {
			fmt.Fprintf(w, "         member %s%s (%s)\n", m.Name, memberParams(m), m.Source)
		}
		if len(b.Members) == 0 {
			fmt.Fprintln(w, "         no members: every request gets 503")
		}
	}
}

func balancerParams(b *model.Balancer) string {
	var sb strings.Builder
	switch {
	case b.StickyCookie != "" && b.StickyCookie == b.StickyParam:
		fmt.Fprintf(&sb, " stickysession=%s", b.StickyCookie)
	case b.StickyCookie != "" || b.StickyParam != "":
		fmt.Fprintf(&sb, " stickysession=%s|%s", b.StickyCookie, b.StickyParam)
	default:
		sb.WriteString(" stickysession=(none)")
	}
	if b.StickySep != "." {
		sep := b.StickySep
		if sep == "" {
			sep = "Off"
		}
		fmt.Fprintf(&sb, " stickysessionsep=%s", sep)
	}
	fmt.Fprintf(&sb, " nofailover=%s", onOff(b.NoFailover))
	if b.MaxAttempts >= 0 {
		fmt.Fprintf(&sb, " maxattempts=%d", b.MaxAttempts)
	}
	if b.Timeout > 0 {
		fmt.Fprintf(&sb, " timeout=%s", b.Timeout)
	}
	if len(b.FailOnStatus) > 0 {
		codes := make([]string, len(b.FailOnStatus))
		for i, c := range b.FailOnStatus {
			codes[i] = strconv.Itoa(c)
		}
		fmt.Fprintf(&sb, " failonstatus=%s", strings.Join(codes, ","))
	}
	return sb.String()
}

func memberParams(m *model.Worker) string {
	p := m.Params
	var sb strings.Builder
	if p.Route != "" {
		fmt.Fprintf(&sb, " route=%s", p.Route)
	}
	if p.Redirect != "" {
		fmt.Fprintf(&sb, " redirect=%s", p.Redirect)
	}
	fmt.Fprintf(&sb, " loadfactor=%s lbset=%d", strconv.FormatFloat(float64(p.LoadFactor)/100, 'f', -1, 64), p.LBSet)
	if st := (p.Status &^ model.StatusInit).Letters(); st != "" {
		fmt.Fprintf(&sb, " status=%s", st)
	}
	return sb.String()
}

func onOff(b bool) string {
	if b {
		return "On"
	}
	return "Off"
}
