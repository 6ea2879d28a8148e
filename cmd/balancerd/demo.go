package main

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/balancerd/balancerd/directives"
	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/rewrite"
	"github.com/balancerd/balancerd/proxy/stack"
	"github.com/spf13/pflag"
	"golang.org/x/crypto/bcrypt"
)

//go:embed demo/lb.conf demo/backend.conf
var demoFiles embed.FS

// demoEnv is a running demo: its temporary directory and its variables.
type demoEnv struct {
	dir      string
	vars     map[string]string
	password string
}

// runDemo runs the seed's whole setup on localhost: two backends that set
// the BALANCEID route cookie with the seed's RewriteRule, and the load
// balancer vhost with a Basic-auth-protected balancer-manager. It serves
// until interrupted.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("balancerd demo", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "127.0.0.1:8080", "load balancer `ADDR`")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "Usage: balancerd demo [--listen ADDR]")
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demo(ctx, *listen, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "balancerd demo: %v\n", err)
		return exitError
	}
	return exitOK
}

// demo runs until ctx is done.
func demo(ctx context.Context, listen string, stdout, stderr io.Writer) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: want HOST:PORT: %w", listen, err)
	}
	env, err := newDemoEnv(host, port)
	if err != nil {
		return err
	}
	defer os.RemoveAll(env.dir)

	var backends []*http.Server
	for i, route := range []string{"http1", "http2"} {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return fmt.Errorf("backend %s: %w", route, err)
		}
		h, err := newDemoBackend(route, env)
		if err != nil {
			ln.Close()
			return err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go srv.Serve(ln)
		backends = append(backends, srv)
		env.vars[fmt.Sprintf("DEMO_HTTP%d_PORT", i+1)] = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}
	defer func() {
		for _, b := range backends {
			b.Close()
		}
	}()

	confPath := filepath.Join(env.dir, "default")
	// The file the demo serves has its ${DEMO_*} variables written out, so
	// that it stands alone: balancerd -t, -S and explain work on it as
	// printed below.
	lb, _ := demoFiles.ReadFile("demo/lb.conf")
	lb = []byte(os.Expand(string(lb), func(name string) string {
		if v, ok := env.vars[name]; ok {
			return v
		}
		return "${" + name + "}"
	}))
	if err := os.WriteFile(confPath, lb, 0o644); err != nil {
		return err
	}
	lo := env.loadOptions()
	cfg, _, diags := directives.Load(confPath, lo)
	if diags.HasErrors() {
		directives.FormatText(stderr, diags)
		return errors.New("the embedded configuration has errors")
	}
	srv, err := stack.New(cfg, lo, proxy.Options{ErrorLog: stderr})
	if err != nil {
		return err
	}
	lns, err := srv.Listen()
	if err != nil {
		return err
	}
	base := "http://" + net.JoinHostPort(host, port)
	fmt.Fprintf(stdout, `balancerd demo: the session-aware mod_proxy_balancer setup on localhost

  load balancer     %[1]s/   (config: %[2]s)
  backend http1     http://%[3]s/   sets BALANCEID=balancer.http1
  backend http2     http://%[4]s/   sets BALANCEID=balancer.http2
  balancer-manager  %[1]s/balancer-manager   user "admin", password %[5]q

Try:
  curl -s -c /tmp/jar -b /tmp/jar %[1]s/      # repeat: same backend (sticky)
  curl -s %[1]s/                              # repeat: alternates (byrequests)
  curl -s -u admin:%[5]s %[1]s/balancer-manager
  go run ./cmd/balancerd explain -f %[2]s -H 'Cookie: BALANCEID=balancer.http2' %[1]s/
  go run ./cmd/balancerd -S -f %[2]s

Ctrl-C stops.
`, base, confPath, net.JoinHostPort(host, env.vars["DEMO_HTTP1_PORT"]),
		net.JoinHostPort(host, env.vars["DEMO_HTTP2_PORT"]), env.password)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(lns...) }()
	select {
	case err := <-served:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
}

// newDemoEnv creates the demo's directory: DocumentRoot and an .htpasswd
// with a random password for "admin" (bcrypt, as htpasswd -B writes it).
func newDemoEnv(host, port string) (*demoEnv, error) {
	dir, err := os.MkdirTemp("", "balancerd-demo-")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "www"), 0o755); err != nil {
		return nil, err
	}
	raw := make([]byte, 9)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	password := base64.RawURLEncoding.EncodeToString(raw)
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ".htpasswd"), []byte("admin:"+string(hash)+"\n"), 0o600); err != nil {
		return nil, err
	}
	return &demoEnv{
		dir:      dir,
		password: password,
		vars: map[string]string{
			"DEMO_DIR":    dir,
			"DEMO_LISTEN": net.JoinHostPort(host, port),
			"DEMO_PORT":   port,
		},
	}, nil
}

func (e *demoEnv) loadOptions() directives.LoadOptions {
	return directives.LoadOptions{
		ServerRoot: e.dir,
		Version:    apacheVersion,
		Env: func(name string) (string, bool) {
			v, ok := e.vars[name]
			return v, ok
		},
	}
}

// newDemoBackend builds one backend: a page naming the backend, with the
// seed's backend RewriteRule (read from the embedded backend.conf) run on
// every request so that it sets the route cookie exactly as the
// configuration says.
func newDemoBackend(route string, env *demoEnv) (http.Handler, error) {
	src, _ := demoFiles.ReadFile("demo/backend.conf")
	opts := env.loadOptions()
	opts.Env = func(name string) (string, bool) {
		if name == "DEMO_ROUTE" {
			return route, true
		}
		v, ok := env.vars[name]
		return v, ok
	}
	cfg, _, diags := directives.LoadBytes(route+".conf", src, opts)
	if diags.HasErrors() {
		return nil, fmt.Errorf("backend %s config: %v", route, diags)
	}
	var rules *model.RewriteConfig
	if cfg.Main != nil {
		rules = cfg.Main.Rewrite
	}
	engine := rewrite.New(rules)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := engine.Run(rewrite.FromHTTP(r, nil, time.Now()))
		for _, c := range out.Cookies {
			w.Header().Add("Set-Cookie", c)
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		cookie := "(none)"
		if c, err := r.Cookie("BALANCEID"); err == nil {
			cookie = c.Value
		}
		fmt.Fprintf(w, "<!DOCTYPE html>\n<title>%[1]s.example.com</title>\n<h1>%[1]s.example.com</h1>\n"+
			"<p>Served by backend <b>%[1]s</b>. Request: %[2]s %[3]s. BALANCEID cookie received: %[4]s</p>\n",
			route, html.EscapeString(r.Method), html.EscapeString(r.URL.RequestURI()), html.EscapeString(cookie))
	}), nil
}
