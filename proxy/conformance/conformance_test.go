// Package conformance is balancerd's differential conformance suite: every
// scenario under testdata/conformance runs through real Apache httpd 2.4 and
// through balancerd with the very same config file, against the same
// recording backends, and the two normalised transcripts must be equal.
//
// Run:
//
//	go test ./proxy/conformance/                 # compare (Apache live if installed)
//	go test ./proxy/conformance/ -update         # re-record apache.golden + COMPAT.md
//	go test ./proxy/conformance/ -run 'TestConformance/01-seed' -v
//
// Without apache2 the balancerd side is compared against the recorded
// apache.golden files; with BALANCERD_REQUIRE_APACHE=1 a missing apache2 is
// a failure. BALANCERD_APACHE=/path/to/httpd selects another Apache binary.
package conformance

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/balancerd/balancerd/proxy/conformance/harness"
)

var update = flag.Bool("update", false, "re-record apache.golden files from live Apache and rewrite COMPAT.md")

// scenarioRoot is testdata/conformance relative to this package.
const scenarioRoot = "../../testdata/conformance"

// Starter starts a front server for one scenario run: it must serve conf
// (the generated main config, which Includes the scenario's vhost file) with
// vars as the environment its ${VAR} references read, listen on
// vars["FRONT"], and return once it accepts connections.
type Starter func(t *testing.T, conf, dir string, vars harness.Vars) (stop func(), err error)

// startBalancerd is the single plug-in point of balancerd (balancerd_test.go);
// nil while balancerd cannot serve yet.
var startBalancerd Starter

type outcome struct {
	name, feature, apache, balancerd string
}

func TestConformance(t *testing.T) {
	bin, apacheErr := harness.FindApache()
	if apacheErr != nil {
		if os.Getenv("BALANCERD_REQUIRE_APACHE") == "1" {
			t.Fatalf("BALANCERD_REQUIRE_APACHE=1 but %v", apacheErr)
		}
		if *update {
			t.Skipf("-update needs real Apache: %v", apacheErr)
		}
		t.Logf("%v: comparing balancerd against the recorded apache.golden files only", apacheErr)
	}
	names, err := scenarioNames()
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no scenarios under %s", scenarioRoot)
	}
	version := ""
	if apacheErr == nil {
		version = harness.ApacheVersion(bin)
		t.Logf("Apache %s at %s", version, bin)
	}
	// The goldens were recorded with one Apache version; another version
	// may legitimately differ, so only the same version must match them.
	versionFile := filepath.Join(scenarioRoot, "apache-version")
	checkGolden := true
	if rec, err := os.ReadFile(versionFile); err == nil && apacheErr == nil && !*update &&
		strings.TrimSpace(string(rec)) != version {
		checkGolden = false
		t.Logf("apache.golden files were recorded with Apache %s, this is %s: not checking them; balancerd is compared with live Apache",
			strings.TrimSpace(string(rec)), version)
	}
	var results []outcome
	for _, name := range names {
		res := outcome{name: name, apache: "-", balancerd: "not run"}
		t.Run(name, func(t *testing.T) {
			runScenario(t, &res, bin, apacheErr == nil, checkGolden)
		})
		results = append(results, res)
	}
	if *update {
		if !allSelected() {
			t.Log("COMPAT.md not rewritten: -run selected a subset of the scenarios")
			return
		}
		if err := writeCompat(results, version); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(versionFile, []byte(version+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// allSelected reports whether the -run filter selected every scenario.
func allSelected() bool {
	f := flag.Lookup("test.run")
	return f == nil || f.Value.String() == "" || f.Value.String() == "TestConformance" ||
		f.Value.String() == "^TestConformance$"
}

func scenarioNames() ([]string, error) {
	entries, err := os.ReadDir(scenarioRoot)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(scenarioRoot, e.Name(), "script")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// runScenario runs one scenario and records its outcome in res as it goes,
// so that a fatal failure still leaves the right COMPAT.md entry.
func runScenario(t *testing.T, res *outcome, bin string, haveApache, checkGolden bool) {
	name := res.name
	dir, err := filepath.Abs(filepath.Join(scenarioRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	script, err := harness.ParseScriptFile(filepath.Join(dir, "script"))
	if err != nil {
		t.Fatal(err)
	}
	res.feature = script.Feature
	fx, err := harness.StartFixture(script, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()

	golden := filepath.Join(dir, "apache.golden")
	var want string
	if haveApache {
		want = runOn(t, fx, dir, apacheStarter(bin))
		res.apache = "recorded"
		if *update {
			if err := os.WriteFile(golden, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
		} else if old, err := os.ReadFile(golden); err != nil {
			t.Errorf("no %s: record it with -update", golden)
		} else if d := harness.Diff("apache.golden", string(old), "apache (live)", want); d != "" && checkGolden {
			t.Errorf("live Apache no longer matches apache.golden (harness or Apache changed; re-record with -update):\n%s", d)
		}
	} else {
		old, err := os.ReadFile(golden)
		if err != nil {
			t.Skipf("no Apache and no %s", golden)
		}
		want = string(old)
		res.apache = "golden"
	}

	if startBalancerd == nil {
		t.Log("balancerd side not wired in yet (startBalancerd is nil): Apache side only")
		return
	}
	res.balancerd = "FAIL" // until proven equal (also if balancerd cannot start)
	got := runOn(t, fx, dir, startBalancerd)
	if d := harness.Diff("apache", want, "balancerd", got); d != "" {
		res.balancerd = "FAIL"
		t.Errorf("balancerd differs from Apache (- apache, + balancerd):\n%s", d)
	} else {
		res.balancerd = "pass"
	}
}

// runOn runs the scenario through one front server and renders it.
func runOn(t *testing.T, fx *harness.Fixture, scenarioDir string, start Starter) string {
	t.Helper()
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	runDir := t.TempDir()
	vars := fx.Vars(port)
	conf, err := harness.WriteMainConfig(harness.MainConfig{
		Dir: runDir, Include: filepath.Join(scenarioDir, "vhost.conf"),
	})
	if err != nil {
		t.Fatal(err)
	}
	stop, err := start(t, conf, runDir, vars)
	if err != nil {
		t.Fatal(err)
	}
	ex := fx.Run(port)
	stop()
	return fx.Render(ex, port)
}

func apacheStarter(bin string) Starter {
	return func(t *testing.T, conf, dir string, vars harness.Vars) (func(), error) {
		a, err := harness.StartApache(bin, conf, dir, vars["FRONT"], vars)
		if err != nil {
			return nil, err
		}
		return func() {
			a.Stop()
			if logs := a.Logs(); logs != "" && testing.Verbose() {
				t.Logf("apache logs:\n%s", logs)
			}
		}, nil
	}
}

func writeCompat(results []outcome, version string) error {
	var b strings.Builder
	b.WriteString("<!-- Generated by `go test ./proxy/conformance -update`; do not edit. -->\n")
	fmt.Fprintf(&b, "Each scenario ran through Apache httpd %s and balancerd with the same config file and\n", version)
	b.WriteString("requests; **pass** means clients and backends saw exactly the same thing (see testdata/conformance/README.md).\n\n")
	b.WriteString("| Feature | Scenario | Apache | balancerd |\n|---|---|---|---|\n")
	pass := 0
	for _, r := range results {
		if r.balancerd == "pass" {
			pass++
		}
		fmt.Fprintf(&b, "| %s | [`%s`](testdata/conformance/%s/) | %s | %s |\n",
			strings.ReplaceAll(r.feature, "|", `\|`), r.name, r.name, r.apache, r.balancerd)
	}
	fmt.Fprintf(&b, "\n%d of %d scenarios behave exactly like Apache.\n", pass, len(results))
	return os.WriteFile(filepath.Join(scenarioRoot, "COMPAT.md"), []byte(b.String()), 0o644)
}
