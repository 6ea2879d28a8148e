package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/proxy"
	"github.com/balancerd/balancerd/proxy/stack"
)

// runCLI runs the program with args and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

const seedDir = "../../testdata/check/seed"

func TestExitCodes(t *testing.T) {
	garbagePid := filepath.Join(t.TempDir(), "garbage.pid")
	if err := os.WriteFile(garbagePid, []byte("not a pid\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		stdoutHas  string
		stderrHas  string
		stderrLast string
	}{
		{"help", []string{"--help"}, exitOK, "Usage: balancerd", "", ""},
		{"help command", []string{"help"}, exitOK, "balancerd explain", "", ""},
		{"version", []string{"-v"}, exitOK, "Server version: Apache/2.4.67", "", ""},
		{"unknown flag", []string{"--no-such-flag"}, exitUsage, "", "unknown flag: --no-such-flag", ""},
		{"stray argument", []string{"-t", "extra"}, exitUsage, "", `unexpected argument "extra"`, ""},
		{"bad format", []string{"-t", "--format", "xml"}, exitUsage, "", "--format must be text or json", ""},
		{"bad -k", []string{"-k", "reboot"}, exitUsage, "", "-k must be one of", ""},
		{"backend without check", []string{"--backend", "x.conf"}, exitUsage, "", "only meaningful with --check", ""},
		{"check seed", []string{"-t", "-d", seedDir, "-f", "lb.conf", "--root", seedDir,
			"--backend", seedDir + "/http1.conf", "--backend", seedDir + "/http2.conf"}, exitOK, "", "", "Syntax OK"},
		{"check published seed", []string{"-t", "-d", "../../testdata/check/seed-published", "-f", "lb.conf"}, exitError, "",
			"lb.conf:2:1: error: <VirtualHost> was not closed.", ""},
		{"missing file", []string{"-t", "-f", "/nonexistent/balancerd.conf"}, exitError, "", "/nonexistent/balancerd.conf", ""},
		// httpd -k stop with no server running says so and exits 0.
		{"stop not running", []string{"-k", "stop", "--pidfile", "/nonexistent/balancerd.pid"}, exitOK, "", "balancerd (no pid file) not running", ""},
		{"stop garbage pid", []string{"-k", "stop", "--pidfile", garbagePid}, exitError, "", "does not hold a process id", ""},
		{"explain bad header", []string{"explain", "-d", seedDir, "-f", "lb.conf", "-H", "no colon", "http://www.example.com/"}, exitUsage, "",
			`header "no colon" is not 'Name: value'`, ""},
		{"explain relative URL", []string{"explain", "-d", seedDir, "-f", "lb.conf", "/path"}, exitUsage, "", "needs a host", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdoutHas) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdoutHas, stdout)
			}
			if !strings.Contains(stderr, tt.stderrHas) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderrHas, stderr)
			}
			if tt.stderrLast != "" {
				lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
				if last := lines[len(lines)-1]; last != tt.stderrLast {
					t.Errorf("last stderr line %q, want %q", last, tt.stderrLast)
				}
			}
		})
	}
}

// TestCheckJSON checks --format json: one JSON array on stdout, each
// finding with its position, and exit 1 for the backend cookie mismatch.
func TestCheckJSON(t *testing.T) {
	code, stdout, stderr := runCLI(t, "-t", "--format", "json", "-d", seedDir, "-f", "lb.conf", "--root", seedDir,
		"--backend", "../../testdata/check/74-backend-cookie-typo/http1.conf")
	if code != exitError {
		t.Fatalf("exit %d, want 1; stderr: %s", code, stderr)
	}
	var findings []struct {
		File, Severity, Code, Message string
		Line, Col                     int
	}
	if err := json.Unmarshal([]byte(stdout), &findings); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, stdout)
	}
	if len(findings) != 1 {
		t.Fatalf("got %d findings, want 1: %+v", len(findings), findings)
	}
	f := findings[0]
	if f.Code != "sticky-cookie-unset" || f.Severity != "error" || !strings.HasSuffix(f.File, "seed/lb.conf") || f.Line != 19 {
		t.Errorf("finding = %+v", f)
	}
	if strings.Contains(stderr, "Syntax OK") {
		t.Errorf("json mode printed Syntax OK on stderr")
	}
}

// TestDumpVHosts checks -S against the corrected seed: apache2 -S's layout
// plus the balancer listing.
func TestDumpVHosts(t *testing.T) {
	code, stdout, stderr := runCLI(t, "-S", "-d", seedDir, "-f", "lb.conf")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"VirtualHost configuration:\n",
		"*:80                   www.example.com (",
		"Balancers:\nbalancer://mycluster (",
		"         lbmethod=byrequests stickysession=BALANCEID nofailover=On\n",
		"         member http://http1.example.com route=http1 loadfactor=1 lbset=0 (",
		"         member http://http2.example.com route=http2 loadfactor=1 lbset=0 (",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("-S output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestExplain runs the explain command on the seed with a sticky cookie.
func TestExplain(t *testing.T) {
	code, stdout, stderr := runCLI(t, "explain", "-d", seedDir, "-f", "lb.conf", "--format", "json",
		"-H", "Cookie: BALANCEID=balancer.http2", "http://www.example.com/forum/")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var ex struct{ Outcome, Balancer, Backend string }
	if err := json.Unmarshal([]byte(stdout), &ex); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout)
	}
	if ex.Outcome != "proxy" || ex.Balancer != "balancer://mycluster" {
		t.Errorf("outcome %q balancer %q, want proxy to balancer://mycluster", ex.Outcome, ex.Balancer)
	}
	if ex.Backend != "http://http2.example.com/forum/" {
		t.Errorf("backend %q, want the sticky member http2", ex.Backend)
	}
	code, _, stderr = runCLI(t, "explain", "-d", seedDir, "-f", "lb.conf")
	if code != exitUsage || !strings.Contains(stderr, "exactly one URL") {
		t.Errorf("explain without URL: exit %d, stderr %q", code, stderr)
	}
}

// TestReloadKeepsServingOnError: a reload with a broken configuration
// leaves the old configuration serving, and a good one takes effect.
func TestReloadKeepsServingOnError(t *testing.T) {
	backend := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "backend:"+r.URL.Path)
	})}
	bln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go backend.Serve(bln)
	defer backend.Close()

	dir := t.TempDir()
	conf := filepath.Join(dir, "lb.conf")
	good := "<VirtualHost *>\nProxyPass /a http://" + bln.Addr().String() + "/one\n</VirtualHost>\n"
	if err := os.WriteFile(conf, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	o := &options{configFile: conf, serverRoot: dir, configSet: true}
	var logBuf bytes.Buffer
	cfg, lo := load(o, &logBuf)
	if cfg == nil {
		t.Fatalf("good config rejected: %s", logBuf.String())
	}
	srv, err := stack.New(cfg, lo, proxy.Options{ListenOverride: []string{"127.0.0.1:0"}, ErrorLog: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	lns, err := srv.Listen()
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(lns...)
	defer srv.Shutdown(context.Background())
	get := func() string {
		t.Helper()
		resp, err := http.Get("http://" + lns[0].Addr().String() + "/a/x")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Status + " " + string(b)
	}
	if got := get(); got != "200 OK backend:/one/x" {
		t.Fatalf("before reload: %q", got)
	}

	// A broken config: unclosed section.
	os.WriteFile(conf, []byte("<VirtualHost *>\nProxyPass /a http://"+bln.Addr().String()+"/two\n"), 0o644)
	logBuf.Reset()
	reload(o, srv, &logBuf)
	if !strings.Contains(logBuf.String(), "reload failed") || !strings.Contains(logBuf.String(), "was not closed") {
		t.Errorf("reload log = %q", logBuf.String())
	}
	if got := get(); got != "200 OK backend:/one/x" {
		t.Fatalf("after failed reload: %q, want the old config", got)
	}

	os.WriteFile(conf, []byte(strings.Replace(good, "/one", "/two", 1)), 0o644)
	logBuf.Reset()
	reload(o, srv, &logBuf)
	if got := get(); got != "200 OK backend:/two/x" {
		t.Fatalf("after good reload: %q (log %q)", got, logBuf.String())
	}
}
