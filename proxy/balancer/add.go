package balancer

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/balancerd/balancerd/directives/model"
)

// defaultPorts are the scheme default ports removed by name normalisation.
var defaultPorts = map[string]int{
	"http": 80, "https": 443, "ws": 80, "wss": 443, "ajp": 8009,
	"fcgi": 8000, "scgi": 4000, "h2": 443, "h2c": 80, "ftp": 21,
}

// NormalizeWorkerURL normalises a worker URL as Apache names workers
// (spec 3.1): scheme and host lowercased, the scheme's default port
// removed, the path kept byte for byte. It returns the parts too.
func NormalizeWorkerURL(raw string) (*model.Worker, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("bad worker URL %q: %v", raw, err)
	}
	if u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.User != nil {
		return nil, fmt.Errorf("bad worker URL %q: want scheme://host[:port][/path]", raw)
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return nil, fmt.Errorf("bad worker URL %q: no host name", raw)
	}
	port, explicit := defaultPorts[scheme], false
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("bad worker URL %q: port %q out of range 1-65535", raw, p)
		}
		port, explicit = n, n != defaultPorts[scheme]
	}
	if port == 0 {
		return nil, fmt.Errorf("bad worker URL %q: no port and no default port for scheme %q", raw, scheme)
	}
	hostport := host
	if strings.Contains(host, ":") {
		hostport = "[" + host + "]"
	}
	if explicit {
		hostport = net.JoinHostPort(host, strconv.Itoa(port))
	}
	path := u.EscapedPath()
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return &model.Worker{
		Name:   scheme + "://" + hostport + path,
		Scheme: scheme, Host: host, Port: port, Path: path,
	}, nil
}

// AddMember adds a member at runtime, as balancer-manager's b_nwrkr does:
// the URL is normalised, must not name an existing member, and needs a
// free slot (members added so far < growth). The new member has Apache's
// default parameters and starts disabled ("Init Dis "). It is kept across
// reloads until the configuration defines the same name.
func (b *Balancer) AddMember(rawURL string) (*Member, error) {
	w, err := NormalizeWorkerURL(rawURL)
	if err != nil {
		return nil, err
	}
	w.Source = "balancer-manager"
	w.Params = model.WorkerParams{
		LoadFactor: 100,
		Retry:      60 * time.Second,
		Status:     model.StatusDisabled,
		AddressTTL: -time.Second,
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.byName[w.Name] != nil {
		return nil, fmt.Errorf("%s: worker %s already exists", b.name, w.Name)
	}
	if len(b.members) >= b.configured+b.growth {
		return nil, fmt.Errorf("%s: no free member slot for %s (set growth= on the balancer to allow runtime additions)", b.name, w.Name)
	}
	m := newMember(b, w)
	m.dynamic = true
	b.members = append(b.members, m)
	b.byName[w.Name] = m
	return m, nil
}
