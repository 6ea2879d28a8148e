package manager

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/balancerd/balancerd/directives/model"
)

// Status flags the worker form shows.
const (
	flagI = model.StatusIgnoreErrors
	flagN = model.StatusDrain
	flagD = model.StatusDisabled
	flagH = model.StatusHotStandby
	flagR = model.StatusHotSpare
	flagS = model.StatusStopped
	flagC = model.StatusHCFailed
)

// defaultMax is hmax/smax when the worker sets no max= (Debian's event
// MPM ThreadsPerChild).
const defaultMax = 25

// writeXML renders ?xml=1 (spec 5.6, 2.4.71 shape with <httpd:nonce>).
func (m *Manager) writeXML(w http.ResponseWriter, v *View) {
	var b strings.Builder
	b.WriteString("<?xml version='1.0' encoding='UTF-8' ?>\n<httpd:manager xmlns:httpd='http://httpd.apache.org'>\n  <httpd:balancers>\n")
	for _, bal := range v.Balancers {
		s := bal.Settings()
		b.WriteString("    <httpd:balancer>\n")
		fmt.Fprintf(&b, "      <httpd:name>%s</httpd:name>\n", bal.Name())
		fmt.Fprintf(&b, "      <httpd:nonce>%s</httpd:nonce>\n", m.Nonce(bal))
		if s.StickyCookie != "" {
			fmt.Fprintf(&b, "      <httpd:stickysession>%s</httpd:stickysession>\n", htmlEscape(s.StickyCookie))
			fmt.Fprintf(&b, "      <httpd:nofailover>%s</httpd:nofailover>\n", onOff(s.NoFailover))
		}
		fmt.Fprintf(&b, "      <httpd:timeout>%d</httpd:timeout>", int64(s.Timeout.Seconds()))
		if s.MaxAttemptsSet {
			fmt.Fprintf(&b, "      <httpd:maxattempts>%d</httpd:maxattempts>\n", s.MaxAttempts)
		}
		fmt.Fprintf(&b, "      <httpd:lbmethod>%s</httpd:lbmethod>\n", s.LBMethod)
		if s.StickyCookie != "" {
			fmt.Fprintf(&b, "      <httpd:scolonpathdelim>%s</httpd:scolonpathdelim>\n", onOff(s.ScolonPathDelim))
		}
		b.WriteString("      <httpd:workers>\n")
		for _, mem := range bal.Members() {
			st := mem.State()
			cfg := mem.Config()
			var p model.WorkerParams
			scheme, host, port := "", "", 0
			if cfg != nil {
				p, scheme, host, port = cfg.Params, cfg.Scheme, cfg.Host, cfg.Port
			}
			set := func(k string) bool { return p.Set != nil && p.Set[k] }
			hmax := p.Max
			if hmax <= 0 {
				hmax = defaultMax
			}
			smax := p.SMax
			if smax <= 0 || smax > hmax {
				smax = hmax
			}
			b.WriteString("        <httpd:worker>\n")
			fmt.Fprintf(&b, "          <httpd:name>%s</httpd:name>\n", st.Name)
			fmt.Fprintf(&b, "          <httpd:scheme>%s</httpd:scheme>\n", scheme)
			fmt.Fprintf(&b, "          <httpd:hostname>%s</httpd:hostname>\n", host)
			fmt.Fprintf(&b, "          <httpd:loadfactor>%.2f</httpd:loadfactor>\n", float64(st.LBFactor)/100.0)
			fmt.Fprintf(&b, "          <httpd:port>%d</httpd:port>\n", port)
			fmt.Fprintf(&b, "          <httpd:min>%d</httpd:min>\n", p.Min)
			fmt.Fprintf(&b, "          <httpd:smax>%d</httpd:smax>\n", smax)
			fmt.Fprintf(&b, "          <httpd:max>%d</httpd:max>\n", hmax)
			fmt.Fprintf(&b, "          <httpd:ttl>%d</httpd:ttl>\n", int64(p.TTL.Seconds()))
			if set("timeout") {
				fmt.Fprintf(&b, "          <httpd:timeout>%d</httpd:timeout>\n", int64(p.Timeout.Seconds()))
			}
			if set("acquire") {
				fmt.Fprintf(&b, "          <httpd:acquire>%d</httpd:acquire>\n", p.Acquire.Milliseconds())
			}
			if set("receivebuffersize") {
				fmt.Fprintf(&b, "          <httpd:recv_buffer_size>%d</httpd:recv_buffer_size>\n", p.ReceiveBufferSize)
			}
			if set("iobuffersize") {
				fmt.Fprintf(&b, "          <httpd:io_buffer_size>%d</httpd:io_buffer_size>\n", p.IOBufferSize)
			}
			if set("keepalive") {
				fmt.Fprintf(&b, "          <httpd:keepalive>%s</httpd:keepalive>\n", onOff(p.KeepAlive))
			}
			if set("disablereuse") || set("enablereuse") {
				fmt.Fprintf(&b, "          <httpd:disablereuse>%s</httpd:disablereuse>\n", onOff(p.DisableReuse))
			}
			if set("connectiontimeout") {
				fmt.Fprintf(&b, "          <httpd:connectiontimeout>%d</httpd:connectiontimeout>\n", p.ConnectionTimeout.Milliseconds())
			}
			if set("retry") {
				fmt.Fprintf(&b, "          <httpd:retry>%d</httpd:retry>\n", int64(p.Retry.Seconds()))
			}
			fmt.Fprintf(&b, "          <httpd:status>%s</httpd:status>\n", st.StatusText())
			if !st.ErrorTime.IsZero() {
				fmt.Fprintf(&b, "          <httpd:error_time>%s</httpd:error_time>\n", st.ErrorTime.UTC().Format(http.TimeFormat))
			}
			fmt.Fprintf(&b, "          <httpd:retries>%d</httpd:retries>\n", st.Retries)
			fmt.Fprintf(&b, "          <httpd:lbstatus>%d</httpd:lbstatus>\n", st.LBStatus)
			fmt.Fprintf(&b, "          <httpd:loadfactor>%.2f</httpd:loadfactor>\n", float64(st.LBFactor)/100.0)
			fmt.Fprintf(&b, "          <httpd:transferred>%d</httpd:transferred>\n", st.Transferred)
			fmt.Fprintf(&b, "          <httpd:read>%d</httpd:read>\n", st.Read)
			fmt.Fprintf(&b, "          <httpd:elected>%d</httpd:elected>\n", st.Elected)
			fmt.Fprintf(&b, "          <httpd:route>%s</httpd:route>\n", htmlEscape(st.Route))
			fmt.Fprintf(&b, "          <httpd:redirect>%s</httpd:redirect>\n", htmlEscape(st.Redirect))
			fmt.Fprintf(&b, "          <httpd:busy>%d</httpd:busy>\n", st.Busy)
			fmt.Fprintf(&b, "          <httpd:lbset>%d</httpd:lbset>\n", st.LBSet)
			if scheme == "ajp" {
				fp := p.FlushPackets
				if fp == "" {
					fp = "Off"
				}
				fmt.Fprintf(&b, "          <httpd:flushpackets>%s</httpd:flushpackets>\n", fp)
				fmt.Fprintf(&b, "          <httpd:flushwait>%d</httpd:flushwait>\n", p.FlushWait.Milliseconds())
				fmt.Fprintf(&b, "          <httpd:ping>%d</httpd:ping>\n", p.Ping.Milliseconds())
			}
			b.WriteString("        </httpd:worker>\n")
		}
		b.WriteString("      </httpd:workers>\n    </httpd:balancer>\n")
	}
	b.WriteString("  </httpd:balancers>\n</httpd:manager>")
	body := b.String()
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(body))
}
