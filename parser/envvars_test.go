package parser

import (
	"os"
	"path/filepath"
	"testing"
)

// debianEnvvars is Debian's /etc/apache2/envvars (comments trimmed).
const debianEnvvars = `# envvars - default environment variables for apache2ctl
unset HOME
if [ "${APACHE_CONFDIR##/etc/apache2-}" != "${APACHE_CONFDIR}" ] ; then
	SUFFIX="-${APACHE_CONFDIR##/etc/apache2-}"
else
	SUFFIX=
fi
export APACHE_RUN_USER=www-data
export APACHE_RUN_GROUP=www-data
# temporary state file location. This might be changed to /run in Wheezy+1
export APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid
export APACHE_RUN_DIR=/var/run/apache2$SUFFIX
export APACHE_LOCK_DIR=/var/lock/apache2$SUFFIX
export APACHE_LOG_DIR=/var/log/apache2$SUFFIX
export LANG=C
#export LANG=en_US.UTF-8
export LANG
`

func TestParseEnvvars(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "envvars")
	if err := os.WriteFile(p, []byte(debianEnvvars), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ParseEnvvars(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"APACHE_RUN_USER": "www-data", "APACHE_RUN_GROUP": "www-data",
		"APACHE_PID_FILE": "/var/run/apache2/apache2.pid", "APACHE_RUN_DIR": "/var/run/apache2",
		"APACHE_LOCK_DIR": "/var/lock/apache2", "APACHE_LOG_DIR": "/var/log/apache2", "LANG": "C",
	}
	checkVars(t, got, want)
	if _, err := ParseEnvvars(filepath.Join(dir, "nope")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestParseEnvvarsQuoting(t *testing.T) {
	src := "export A='single $X' B=\"dq ${A} \\\"q\\\"\"\n" +
		"  export C=$A-x D=${NOPE:-def} E=a\\ b # comment\n" +
		"export F=\"${C}\"'lit'$B\n" +
		"exportG=1\nexport 1X=bad\nX=not-exported\nexport Y=$X\n"
	got := parseEnvvars(src)
	want := map[string]string{
		"A": "single $X", "B": `dq single $X "q"`, "C": "single $X-x", "D": "def", "E": "a b",
		"F": `single $X-xlitdq single $X "q"`, "Y": "",
	}
	checkVars(t, got, want)
}

func checkVars(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d vars %q, want %d", len(got), got, len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// The installed Debian file, when present, parses to the documented values.
func TestParseEnvvarsInstalled(t *testing.T) {
	got, err := ParseEnvvars("/etc/apache2/envvars")
	if err != nil {
		t.Skip("no /etc/apache2/envvars")
	}
	if got["APACHE_LOG_DIR"] != "/var/log/apache2" || got["APACHE_RUN_USER"] != "www-data" {
		t.Errorf("envvars: %q", got)
	}
}
