package manager

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

var nonceRE = regexp.MustCompile(`<httpd:nonce>(.*)</httpd:nonce>`)

// TestCurlRecipeNetHTTP runs spec 5.7's script with net/http.
func TestCurlRecipeNetHTTP(t *testing.T) {
	f := newFixture(t, true, "")
	_, xml := f.do("GET", "/balancer-manager?xml=1", ref, "")
	m := nonceRE.FindStringSubmatch(xml)
	if m == nil || len(m[1]) != 36 {
		t.Fatalf("no nonce in %q", xml)
	}
	nonce := m[1]
	w := "http://127.0.0.1:38778"
	post := func(extra string) {
		resp, _ := f.do("POST", "/balancer-manager", ref, "b=mycluster&w="+w+"&nonce="+nonce+"&"+extra)
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: %d", extra, resp.StatusCode)
		}
	}
	post("w_status_N=1")
	if got := f.status(w); got != "Init Drn Ok " {
		t.Fatalf("after drain: %q", got)
	}
	post("w_status_D=1")
	if got := f.status(w); got != "Init Drn Dis " {
		t.Fatalf("after disable: %q", got)
	}
	post("w_status_D=0&w_status_N=0")
	if got := f.status(w); got != "Init Ok " {
		t.Fatalf("after re-enable: %q", got)
	}
	if other := f.status("http://127.0.0.1:38779"); other != "Init Ok " {
		t.Errorf("other member changed: %q", other)
	}
}

// TestCurlRecipe runs spec 5.7's script with the real curl binary.
func TestCurlRecipe(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed; TestCurlRecipeNetHTTP covers the same sequence")
	}
	f := newFixture(t, true, "")
	bm := f.srv.URL + "/balancer-manager"
	script := `set -e
BM=` + bm + `
REF="Referer: $BM"
NONCE=$(` + curl + ` -s -H "$REF" "$BM?xml=1" | sed -n 's:.*<httpd\:nonce>\(.*\)</httpd\:nonce>.*:\1:p')
test -n "$NONCE"
` + curl + ` -s -o /dev/null -H "$REF" --data "b=mycluster&w=http://127.0.0.1:38778&nonce=$NONCE&w_status_N=1" "$BM"
` + curl + ` -s -o /dev/null -H "$REF" --data "b=mycluster&w=http://127.0.0.1:38778&nonce=$NONCE&w_status_D=1" "$BM"
`
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	if got := f.status("http://127.0.0.1:38778"); got != "Init Drn Dis " {
		t.Fatalf("after drain+disable: %q", got)
	}
	out, err = exec.Command("sh", "-c", `BM=`+bm+`; REF="Referer: $BM"
NONCE=$(`+curl+` -s -H "$REF" "$BM?xml=1" | sed -n 's:.*<httpd\:nonce>\(.*\)</httpd\:nonce>.*:\1:p')
`+curl+` -s -o /dev/null -H "$REF" --data "b=mycluster&w=http://127.0.0.1:38778&nonce=$NONCE&w_status_D=0&w_status_N=0" "$BM"`).CombinedOutput()
	if err != nil {
		t.Fatalf("re-enable: %v\n%s", err, out)
	}
	if got := f.status("http://127.0.0.1:38778"); got != "Init Ok " {
		t.Fatalf("after re-enable: %q", got)
	}
}

// TestIgnoredChanges covers spec 5.7's failure modes: each leaves the
// member unchanged and still answers 200.
func TestIgnoredChanges(t *testing.T) {
	w := "http://127.0.0.1:38778"
	good := "b=mycluster&w=" + w + "&nonce=" + testNonce
	tests := []struct {
		name, method, target, referer, body string
	}{
		{"GET with w_status", "GET", "/balancer-manager?" + good + "&w_status_D=1", ref, ""},
		{"no Referer", "POST", "/balancer-manager", "", good + "&w_status_D=1"},
		{"foreign Referer", "POST", "/balancer-manager", "http://evil.example/balancer-manager", good + "&w_status_D=1"},
		{"wrong nonce", "POST", "/balancer-manager", ref, "b=mycluster&w=" + w + "&nonce=x&w_status_D=1"},
		{"missing nonce", "POST", "/balancer-manager", ref, "b=mycluster&w=" + w + "&w_status_D=1"},
		{"b with prefix", "POST", "/balancer-manager", ref, "b=balancer://mycluster&w=" + w + "&nonce=" + testNonce + "&w_status_D=1"},
		{"unnormalised worker", "POST", "/balancer-manager", ref, "b=mycluster&w=http://127.0.0.1:38778/&nonce=" + testNonce + "&w_status_D=1"},
		{"params in query of POST", "POST", "/balancer-manager?" + good, ref, "w_status_D=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, true, testNonce)
			resp, _ := f.do(tt.method, tt.target, tt.referer, tt.body)
			if resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
			if got := f.status(w); got != "Init Ok " {
				t.Errorf("member changed: %q", got)
			}
		})
	}
	t.Run("Referer port ignored", func(t *testing.T) {
		f := newFixture(t, true, testNonce)
		f.do("POST", "/balancer-manager", "http://127.0.0.1/x", good+"&w_status_D=1")
		if got := f.status(w); got != "Init Dis " {
			t.Errorf("change not applied: %q", got)
		}
	})
	t.Run("nonce=None is read-only", func(t *testing.T) {
		f := newFixture(t, true, "None")
		f.do("POST", "/balancer-manager", ref, "b=mycluster&w="+w+"&nonce=&w_status_D=1")
		if got := f.status(w); got != "Init Ok " {
			t.Errorf("member changed: %q", got)
		}
	})
	t.Run("xml with b and no nonce is still XML", func(t *testing.T) {
		f := newFixture(t, true, testNonce)
		resp, _ := f.do("GET", "/balancer-manager?b=mycluster&xml=1", ref, "")
		if resp.Header.Get("Content-Type") != "text/xml" {
			t.Errorf("got %q", resp.Header.Get("Content-Type"))
		}
	})
	t.Run("xml without Referer is HTML", func(t *testing.T) {
		f := newFixture(t, true, testNonce)
		resp, body := f.do("GET", "/balancer-manager?xml=1", "", "")
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<h1>Load Balancer Manager") {
			t.Errorf("got %q", resp.Header.Get("Content-Type"))
		}
		if len(f.logs) == 0 || !strings.HasPrefix(f.logs[0], "AH10187") {
			t.Errorf("no AH10187 log: %v", f.logs)
		}
	})
}
