package directives

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/balancerd/balancerd/parser"
)

// TestStockDebianConfig loads the installed /etc/apache2/apache2.conf with
// Debian's envvars, as apache2ctl does: a stock install must give no error.
func TestStockDebianConfig(t *testing.T) {
	if _, err := os.Stat("/etc/apache2/apache2.conf"); err != nil {
		t.Skip("no /etc/apache2/apache2.conf (Debian apache2 not installed)")
	}
	env, err := parser.ParseEnvvars("/etc/apache2/envvars")
	if err != nil {
		t.Fatalf("envvars: %v", err)
	}
	opts := LoadOptions{
		ServerRoot: "/etc/apache2",
		Env: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	}
	cfg, res, diags := Load("/etc/apache2/apache2.conf", opts)
	for _, d := range diags {
		if d.Severity == parser.Error {
			t.Errorf("%s", d)
		}
	}
	if len(res.Files) < 2 {
		t.Errorf("expected apache2.conf to include mods-enabled/ and sites-enabled/ files, read %v", res.Files)
	}
	if len(cfg.Listeners) == 0 {
		t.Errorf("no Listen from ports.conf")
	}
	if cfg.Timeout.Seconds() != 300 {
		t.Errorf("Timeout = %v, want 300s from apache2.conf", cfg.Timeout)
	}
	if len(cfg.VirtualHosts) == 0 {
		t.Errorf("no virtual host from sites-enabled/000-default.conf")
	}
}

// TestDebianFragments loads every file Debian ships under
// conf-available/, mods-available/ and sites-available/ on its own, the
// way `balancerd -f /etc/apache2/sites-available/x.conf` reads a
// fragment: none may give an error.
func TestDebianFragments(t *testing.T) {
	files, _ := filepath.Glob("/etc/apache2/*-available/*.conf")
	if len(files) == 0 {
		t.Skip("no /etc/apache2/*-available (Debian apache2 not installed)")
	}
	for _, f := range files {
		_, _, diags := Load(f, LoadOptions{ServerRoot: "/etc/apache2", Defines: debianEnvDefines})
		for _, d := range diags {
			if d.Severity == parser.Error {
				t.Errorf("%s", d)
			}
		}
	}
}
