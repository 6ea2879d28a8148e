// Package apachetest runs the real Apache httpd 2.4 (Debian's apache2) for
// differential tests: it finds the binary (skipping the test when it is
// absent, failing instead under BALANCERD_REQUIRE_APACHE=1), writes the
// sandbox lines of a minimal main configuration, and serves a
// configuration on a loopback port for the length of a test.
//
// It depends on the standard library only, so that any package's tests
// (parser, directives, proxy/...) can import it without a cycle.
package apachetest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ModuleDir is where Debian installs Apache's modules.
const ModuleDir = "/usr/lib/apache2/modules"

// RequireEnv is the environment variable that turns a missing apache2 into
// a test failure instead of a skip.
const RequireEnv = "BALANCERD_REQUIRE_APACHE"

// ApacheEnv names another apache2 binary to compare with (e.g. an upstream
// httpd build); it takes precedence over the installed one.
const ApacheEnv = "BALANCERD_APACHE"

// Find returns the path of apache2 ($BALANCERD_APACHE, then PATH, then
// /usr/sbin/apache2 and /usr/local/apache2/bin/httpd), or "" when it is
// not installed.
func Find() string {
	if p := os.Getenv(ApacheEnv); p != "" {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
		return ""
	}
	if p, err := exec.LookPath("apache2"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/apache2", "/usr/local/apache2/bin/httpd"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// Binary returns the path of apache2. When it is absent the test is
// skipped, or fails when BALANCERD_REQUIRE_APACHE=1 (CI, where a skipped
// differential test would hide a regression).
func Binary(t testing.TB) string {
	t.Helper()
	if p := Find(); p != "" {
		return p
	}
	if Required() {
		t.Fatal("apache2 not found ($" + ApacheEnv + ", PATH, /usr/sbin/apache2) but " + RequireEnv + "=1")
	}
	t.Skip("apache2 not installed (looked at $" + ApacheEnv + ", PATH and /usr/sbin): differential test skipped; set " + RequireEnv + "=1 to make this a failure")
	return ""
}

// Required reports whether BALANCERD_REQUIRE_APACHE=1 is set.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// LoadModules returns a "LoadModule NAME_module ModuleDir/mod_NAME.so" line
// for each short module name ("mpm_event", "proxy_http") whose file exists.
func LoadModules(names ...string) string {
	var b strings.Builder
	for _, m := range names {
		so := filepath.Join(ModuleDir, "mod_"+m+".so")
		if _, err := os.Stat(so); err == nil {
			fmt.Fprintf(&b, "LoadModule %s_module %s\n", m, so)
		}
	}
	return b.String()
}

// Sandbox returns the main-config lines that keep Apache inside dir:
// ServerRoot root, and the pid file, error log and mutexes in dir.
func Sandbox(root, dir string) string {
	return fmt.Sprintf("ServerRoot %q\nPidFile %q\nErrorLog %q\nMutex file:%s default\n",
		root, filepath.Join(dir, "pid"), filepath.Join(dir, "error.log"), dir)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// FreeAddr returns "127.0.0.1:PORT" for a port that was free a moment ago.
func FreeAddr(t testing.TB) string {
	return fmt.Sprintf("127.0.0.1:%d", FreePort(t))
}

// Server is an apache2 process started by Serve.
type Server struct {
	// ErrorLog is the error log file the configuration names, read by Logs.
	ErrorLog string
	stderr   string
	cmd      *exec.Cmd
	done     chan struct{}
}

// Serve checks conf with apache2 -t (failing the test with Apache's
// output when it is rejected), starts bin -f conf -DFOREGROUND (or, when
// given, bin -f conf mode..., e.g. "-X" for one process) in its own
// process group, waits up to 15 s until it accepts connections on addr and
// registers a cleanup that stops the whole group (SIGTERM, SIGKILL after
// 5 s). errorLog is the ErrorLog path of conf ("" if unknown), quoted
// when Apache does not start.
func Serve(t testing.TB, bin, conf, addr, errorLog string, mode ...string) *Server {
	t.Helper()
	if out, err := exec.Command(bin, "-t", "-f", conf).CombinedOutput(); err != nil {
		t.Fatalf("apache2 -t -f %s: %v\n%s", conf, err, out)
	}
	stderr := conf + ".stderr"
	out, err := os.Create(stderr)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if len(mode) == 0 {
		mode = []string{"-DFOREGROUND"}
	}
	cmd := exec.Command(bin, append([]string{"-f", conf}, mode...)...)
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group, so that the cleanup reaches the workers too
	// (killing only the parent would orphan them).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{ErrorLog: errorLog, stderr: stderr, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	t.Cleanup(s.stop)
	// Readiness of an external process: bounded polling of its socket.
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("apache2 exited at start:\n%s", s.Logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("apache2 did not listen on %s within 15 s:\n%s", addr, s.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Logs returns what Apache wrote to stderr and to its error log.
func (s *Server) Logs() string {
	var b strings.Builder
	for _, f := range []string{s.stderr, s.ErrorLog} {
		if f == "" {
			continue
		}
		if data, err := os.ReadFile(f); err == nil && len(data) > 0 {
			fmt.Fprintf(&b, "--- %s\n%s", filepath.Base(f), data)
		}
	}
	return b.String()
}

func (s *Server) stop() {
	pgid := -s.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-s.done
	}
}
