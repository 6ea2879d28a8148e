package manager

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/balancerd/balancerd/directives/model"
	"github.com/balancerd/balancerd/proxy/balancer"
)

// Apache's error documents for the statuses the manager itself sends.
const (
	errHead        = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\" \"http://www.w3.org/TR/html4/strict.dtd\">\n<html><head>\n<title>"
	badRequestText = "<p>Your browser sent a request that this server could not understand.<br />\n</p>\n"
)

func writeError(w http.ResponseWriter, status int, text string) {
	body := errHead + strconv.Itoa(status) + " " + http.StatusText(status) + "</title>\n</head><body>\n<h1>" +
		http.StatusText(status) + "</h1>\n" + text + "</body></html>\n"
	w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if status == http.StatusBadRequest {
		w.Header().Set("Connection", "close")
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// htmlEscape is ap_escape_html: & < > and " (not ').
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;").Replace(s)
}

// escapeURI is ap_escape_uri (ap_os_escape_path with partial): every byte
// outside the path-safe set becomes %XX.
func escapeURI(s string) string {
	const safe = "$-_.+!*'(),:@&=/~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strings.IndexByte(safe, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return b.String()
}

// strfsize is apr_strfsize: always four characters.
func strfsize(size int64) string {
	if size < 0 {
		return "  - "
	}
	if size < 973 {
		return fmt.Sprintf("%3d ", size)
	}
	const units = "KMGTPE"
	for i := 0; i < len(units); i++ {
		rem := size & 1023
		size >>= 10
		if size >= 973 {
			continue
		}
		if size < 9 || (size == 9 && rem < 973) {
			rem = (rem*5 + 256) / 512
			if rem >= 10 {
				size++
				rem = 0
			}
			return fmt.Sprintf("%d.%d%c", size, rem, units[i])
		}
		if rem >= 512 {
			size++
		}
		return fmt.Sprintf("%3d%c", size, units[i])
	}
	return "****"
}

const pageHead = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">
<html><head><title>Balancer Manager</title>
<style type='text/css'>
table {
 border-width: 1px;
 border-spacing: 3px;
 border-style: solid;
 border-color: gray;
 border-collapse: collapse;
 background-color: white;
 text-align: center;
}
th {
 border-width: 1px;
 padding: 2px;
 border-style: dotted;
 border-color: gray;
 background-color: lightgray;
 text-align: center;
}
td {
 border-width: 1px;
 padding: 2px;
 border-style: dotted;
 border-color: gray;
 background-color: white;
 text-align: center;
}
</style>
</head>
`

func not(on bool) string {
	if on {
		return ""
	}
	return "NOT "
}

func onOff(on bool) string {
	if on {
		return "On"
	}
	return "Off"
}

// managerURL is ap_construct_url for the request's URI: the absolute URL
// the edit forms post to.
func managerURL(r *http.Request) string {
	scheme, def := "http", ":80"
	if r.TLS != nil {
		scheme, def = "https", ":443"
	}
	return scheme + "://" + strings.TrimSuffix(r.Host, def) + r.URL.Path
}

func (m *Manager) writeHTML(w http.ResponseWriter, r *http.Request, v *View, bsel *balancer.Balancer, wsel *balancer.Member) {
	var b strings.Builder
	uri := escapeURI(r.URL.Path)
	version, built := m.ServerVersion, m.ServerBuilt
	if version == "" {
		version = "balancerd"
	}
	if built == "" {
		built = "-"
	}
	b.WriteString(pageHead)
	fmt.Fprintf(&b, "<body><h1>Load Balancer Manager for %s</h1>\n\n", htmlEscape(serverName(r)))
	fmt.Fprintf(&b, "<dl><dt>Server Version: %s</dt>\n<dt>Server Built: %s</dt>\n", version, built)
	fmt.Fprintf(&b, "<dt>Balancer changes will %sbe persisted on restart.</dt>", not(v.Persist))
	fmt.Fprintf(&b, "<dt>Balancers are %sinherited from main server.</dt>", not(v.BalancerInherit))
	fmt.Fprintf(&b, "<dt>ProxyPass settings are %sinherited from main server.</dt></dl>\n", not(v.ProxyPassInherit))
	for _, bal := range v.Balancers {
		name := strings.TrimPrefix(bal.Name(), "balancer://")
		nonce := m.Nonce(bal)
		s := bal.Settings()
		b.WriteString("<hr />\n")
		fmt.Fprintf(&b, "<h3>LoadBalancer Status for <a href=\"%s?b=%s&amp;nonce=%s\">%s</a> [%s_%s]</h3>\n\n\n",
			uri, name, nonce, bal.Name(), v.ID, name)
		b.WriteString("<table><tr><th>MaxMembers</th><th>StickySession</th><th>DisableFailover</th><th>Timeout</th><th>FailoverAttempts</th><th>Method</th><th>Path</th><th>Active</th></tr>\n")
		fmt.Fprintf(&b, "<tr><td>%d [%d Used]</td>\n", s.Slots, s.Used)
		if ss := s.StickySession(); ss != "" {
			fmt.Fprintf(&b, "<td>%s</td><td>%s</td>\n", htmlEscape(ss), onOff(s.NoFailover))
		} else {
			fmt.Fprintf(&b, "<td> (None) </td><td>%s</td>\n", onOff(s.NoFailover))
		}
		fmt.Fprintf(&b, "<td>%d</td><td>%d</td>\n", int64(s.Timeout.Seconds()), s.MaxAttempts)
		fmt.Fprintf(&b, "<td>%s</td>\n", s.LBMethod)
		fmt.Fprintf(&b, "<td>%s</td>\n", htmlEscape(v.Paths[bal.Name()]))
		b.WriteString("<td>Yes</td>\n</tr>\n</table>\n<br />\n\n")
		b.WriteString("<table><tr><th>Worker URL</th><th>Route</th><th>RouteRedir</th><th>Factor</th><th>Set</th><th>Status</th><th>Elected</th><th>Busy</th><th>Load</th><th>To</th><th>From</th>")
		if v.HCheck {
			b.WriteString("<th>HC Method</th><th>HC Interval</th><th>Passes</th><th>Fails</th><th>HC uri</th><th>HC Expr</th>")
		}
		b.WriteString("</tr>\n")
		for _, mem := range bal.Members() {
			st := mem.State()
			cfg := mem.Config()
			fmt.Fprintf(&b, "<tr>\n<td><a href=\"%s?b=%s&amp;w=%s&amp;nonce=%s\">", uri, name, escapeURI(st.Name), nonce)
			if cfg != nil && cfg.UnixSocket != "" {
				fmt.Fprintf(&b, "<i>%s</i>", st.Name)
			} else {
				b.WriteString(st.Name)
			}
			fmt.Fprintf(&b, "</a></td><td>%s</td><td>%s</td><td>%.2f</td><td>%d</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td>",
				htmlEscape(st.Route), htmlEscape(st.Redirect), float64(st.LBFactor)/100.0, st.LBSet, st.StatusText(),
				st.Elected, st.Busy, st.LBStatus, strfsize(st.Transferred), strfsize(st.Read))
			if v.HCheck && cfg != nil {
				hc := hcDefaults(cfg.Params.HealthCheck)
				fmt.Fprintf(&b, "<td>%s</td><td>%dms</td><td>%d (%d)</td><td>%d (%d)</td><td>%s</td><td>%s</td>",
					hc.Method, hc.Interval.Milliseconds(), hc.Passes, st.HCPasses, hc.Fails, st.HCFails, htmlEscape(hc.URI), htmlEscape(hc.Expr))
			}
			b.WriteString("</tr>\n")
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("<hr />\n")
	if v.HCheck && len(v.HCExprs) > 0 {
		b.WriteString("\n\n<table><tr><th colspan='2'>Health check cond. expressions:</th></tr>\n<tr><th>Expr name</th><th>Expression</th></tr>\n")
		for _, name := range sortedKeys(v.HCExprs) {
			fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td></tr>\n", htmlEscape(name), htmlEscape(v.HCExprs[name]))
		}
		b.WriteString("</table><hr/>\n")
	}
	if wsel != nil && bsel != nil {
		writeWorkerForm(&b, r, v, bsel, wsel, m.Nonce(bsel))
	} else if bsel != nil {
		writeBalancerForm(&b, r, v, bsel, m.Nonce(bsel))
	}
	b.WriteString("</body></html>\n")

	w.Header().Set("Content-Type", "text/html; charset=ISO-8859-1")
	w.WriteHeader(http.StatusOK)
	if f, ok := w.(http.Flusher); ok {
		f.Flush() // chunked, as Apache sends the page
	}
	_, _ = w.Write([]byte(b.String()))
}

func radio(b *strings.Builder, name string, on bool) {
	c1, c0 := "", " checked"
	if on {
		c1, c0 = " checked", ""
	}
	fmt.Fprintf(b, "<label for='%s1'>On</label> <input name='%s' id='%s1' value='1' type=radio%s> <br/> <label for='%s0'>Off</label> <input name='%s' id='%s0' value='0' type=radio%s>",
		name, name, name, c1, name, name, name, c0)
}

func writeWorkerForm(b *strings.Builder, r *http.Request, v *View, bsel *balancer.Balancer, w *balancer.Member, nonce string) {
	st := w.State()
	fmt.Fprintf(b, "<h3>Edit worker settings for %s</h3>\n", st.Name)
	fmt.Fprintf(b, "<form method='POST' enctype='application/x-www-form-urlencoded' action=\"%s\">\n", htmlEscape(managerURL(r)))
	fmt.Fprintf(b, "<table><tr><td>Load factor:</td><td><input name='w_lf' id='w_lf' type=text value='%.2f'></td></tr>\n", float64(st.LBFactor)/100.0)
	fmt.Fprintf(b, "<tr><td>LB Set:</td><td><input name='w_ls' id='w_ls' type=text value='%d'></td></tr>\n", st.LBSet)
	fmt.Fprintf(b, "<tr><td>Route:</td><td><input name='w_wr' id='w_wr' type=text value=\"%s\"></td></tr>\n", htmlEscape(st.Route))
	fmt.Fprintf(b, "<tr><td>Route Redirect:</td><td><input name='w_rr' id='w_rr' type=text value=\"%s\"></td></tr>\n", htmlEscape(st.Redirect))
	b.WriteString("<tr><td>Status:</td><td><table><tr><th>Ignore Errors</th><th>Draining Mode</th><th>Disabled</th><th>Hot Standby</th><th>Hot Spare</th>")
	if v.HCheck {
		b.WriteString("<th>HC Fail</th>")
	}
	b.WriteString("<th>Stopped</th></tr>\n<tr>")
	flags := []struct {
		key string
		on  bool
	}{
		{"w_status_I", st.Status&flagI != 0}, {"w_status_N", st.Status&flagN != 0}, {"w_status_D", st.Status&flagD != 0},
		{"w_status_H", st.Status&flagH != 0}, {"w_status_R", st.Status&flagR != 0},
	}
	if v.HCheck {
		flags = append(flags, struct {
			key string
			on  bool
		}{"w_status_C", st.Status&flagC != 0})
	}
	flags = append(flags, struct {
		key string
		on  bool
	}{"w_status_S", st.Status&flagS != 0})
	for i, f := range flags {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("<td>")
		radio(b, f.key, f.on)
		b.WriteString("</td>")
	}
	b.WriteString("\n</tr></table></td></tr>\n")
	if v.HCheck {
		writeHCFields(b, v, w)
	}
	b.WriteString("<tr><td colspan='2'><input type=submit value='Submit'></td></tr>\n</table>\n")
	fmt.Fprintf(b, "<input type=hidden name='w' id='w' value=\"%s\">\n", escapeURI(st.Name))
	fmt.Fprintf(b, "<input type=hidden name='b' id='b' value=\"%s\">\n", strings.TrimPrefix(bsel.Name(), "balancer://"))
	fmt.Fprintf(b, "<input type=hidden name='nonce' id='nonce' value='%s'>\n", nonce)
	b.WriteString("</form>\n<hr />\n")
}

// formMethods are the lbmethods offered, in the order Apache lists its
// loaded providers.
var formMethods = []string{balancer.ByRequests, balancer.ByBusyness, balancer.ByTraffic}

func writeBalancerForm(b *strings.Builder, r *http.Request, v *View, bal *balancer.Balancer, nonce string) {
	s := bal.Settings()
	fmt.Fprintf(b, "<h3>Edit balancer settings for %s</h3>\n", bal.Name())
	fmt.Fprintf(b, "<form method='POST' enctype='application/x-www-form-urlencoded' action=\"%s\">\n", htmlEscape(managerURL(r)))
	b.WriteString("<table>\n<tr><td>LBmethod:</td><td>\n<select name='b_lbm' id='b_lbm'>")
	methods := v.LBMethods
	if methods == nil {
		methods = formMethods
	}
	for _, name := range methods {
		sel := ""
		if name == s.LBMethod {
			sel = " selected "
		}
		fmt.Fprintf(b, "<option value='%s'%s>%s\n", name, sel, name)
	}
	b.WriteString("</select>\n</td></tr>\n")
	fmt.Fprintf(b, "<tr><td>Timeout:</td><td><input name='b_tmo' id='b_tmo' type=text value='%d'></td></tr>\n", int64(s.Timeout.Seconds()))
	fmt.Fprintf(b, "<tr><td>Failover Attempts:</td><td><input name='b_max' id='b_max' type=text value='%d'></td></tr>\n", s.MaxAttempts)
	b.WriteString("<tr><td>Disable Failover:</td><td>")
	radio(b, "b_sforce", s.NoFailover)
	b.WriteString("</td>\n</tr>\n")
	fmt.Fprintf(b, "<tr><td>Sticky Session:</td><td><input name='b_ss' id='b_ss' size=64 type=text value =\"%s\">&nbsp;&nbsp;&nbsp;&nbsp;(Use '-' to delete)</td></tr>\n", htmlEscape(s.StickySession()))
	if s.Used < s.Slots {
		b.WriteString("<tr><td>Add New Worker:</td><td><input name='b_nwrkr' id='b_nwrkr' size=32 type=text>&nbsp;&nbsp;&nbsp;&nbsp;Are you sure? <input name='b_wyes' id='b_wyes' type=checkbox value='1'></td></tr>")
	}
	b.WriteString("<tr><td colspan=2><input type=submit value='Submit'></td></tr>\n</table>\n")
	fmt.Fprintf(b, "<input type=hidden name='b' id='b' value=\"%s\">\n", strings.TrimPrefix(bal.Name(), "balancer://"))
	fmt.Fprintf(b, "<input type=hidden name='nonce' id='nonce' value='%s'>\n", nonce)
	b.WriteString("</form>\n<hr />\n")
}

// hcMethods are mod_proxy_hcheck's methods in its form order.
var hcMethods = []string{"NONE", "TCP", "OPTIONS", "HEAD", "GET", "OPTIONS11", "HEAD11", "GET11"}

// hcDefaults fills mod_proxy_hcheck's defaults: method NONE, interval
// 30s, one pass, one fail.
func hcDefaults(hc model.HealthCheck) model.HealthCheck {
	if hc.Method == "" {
		hc.Method = "NONE"
	}
	if hc.Interval <= 0 {
		hc.Interval = 30 * time.Second
	}
	if hc.Passes <= 0 {
		hc.Passes = 1
	}
	if hc.Fails <= 0 {
		hc.Fails = 1
	}
	return hc
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// writeHCFields writes the worker form's health-check table.
func writeHCFields(b *strings.Builder, v *View, w *balancer.Member) {
	var hc model.HealthCheck
	if cfg := w.Config(); cfg != nil {
		hc = cfg.Params.HealthCheck
	}
	hc = hcDefaults(hc)
	b.WriteString("<tr><td colspan='2'>\n<table align='center'><tr><th>Health Check param</th><th>Value</th></tr>\n")
	b.WriteString("<tr><td>Method</td><td><select name='w_hm'>\n")
	for _, m := range hcMethods {
		sel := "  "
		if strings.EqualFold(m, hc.Method) {
			sel = " selected "
		}
		fmt.Fprintf(b, "<option value='%s'%s>%s</option>\n", m, sel, m)
	}
	b.WriteString("</select>\n</td></tr>\n<tr><td>Expr</td><td><select name='w_he'>\n")
	for _, name := range sortedKeys(v.HCExprs) {
		sel := "  "
		if strings.EqualFold(name, hc.Expr) {
			sel = " selected "
		}
		fmt.Fprintf(b, "<option value='%s'%s>%s</option>\n", htmlEscape(name), sel, htmlEscape(name))
	}
	b.WriteString("</select>\n</td></tr>\n")
	fmt.Fprintf(b, "<tr><td>Interval (ms)</td><td><input name='w_hi' id='w_hi' type='text' value='%d'></td></tr>\n", hc.Interval.Milliseconds())
	fmt.Fprintf(b, "<tr><td>Passes trigger</td><td><input name='w_hp' id='w_hp' type='text' value='%d'></td></tr>\n", hc.Passes)
	fmt.Fprintf(b, "<tr><td>Fails trigger)</td><td><input name='w_hf' id='w_hf' type='text' value='%d'></td></tr>\n", hc.Fails)
	fmt.Fprintf(b, "<tr><td>HC uri</td><td><input name='w_hu' id='w_hu' type='text' value=\"%s\"></td></tr>\n", htmlEscape(hc.URI))
	b.WriteString("</table>\n</td></tr>\n")
}
