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
// removed, path and query kept byte for byte, user info kept. Any scheme
// is accepted (Apache's manager accepts "xyz://h" too; such a worker
// fails when used). "unix:/path|http://host/..." selects a Unix socket;
// the name keeps the whole string, as balancer-manager shows it.
// Unlike Apache, which wraps the port to 16 bits, a port above 65535 is
// an error.
func NormalizeWorkerURL(raw string) (*model.Worker, error) {
	socket := ""
	rest := raw
	if len(raw) > 5 && strings.EqualFold(raw[:5], "unix:") {
		i := strings.IndexByte(raw, '|')
		if i < 0 || i == 5 {
			return nil, fmt.Errorf("bad worker URL %q: want unix:/socket/path|scheme://host[/path]", raw)
		}
		socket, rest = raw[5:i], raw[i+1:]
	}
	u, err := url.Parse(rest)
	if err != nil {
		return nil, fmt.Errorf("bad worker URL %q: %v", raw, err)
	}
	if u.Scheme == "" || u.Host == "" || u.Opaque != "" {
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
	hostport := host
	if strings.Contains(host, ":") {
		hostport = "[" + host + "]"
	}
	if explicit {
		hostport = net.JoinHostPort(host, strconv.Itoa(port))
	}
	if u.User != nil {
		hostport = u.User.String() + "@" + hostport
	}
	path := u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		path += "?" + u.RawQuery
	}
	name := scheme + "://" + hostport + path
	if socket != "" {
		name = "unix:" + socket + "|" + name
	}
	return &model.Worker{
		Name: name, Scheme: scheme, Host: host, Port: port, Path: path, UnixSocket: socket,
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
