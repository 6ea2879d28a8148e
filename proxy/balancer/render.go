package balancer

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

var outcomeText = [...]string{
	Chosen:        "chosen",
	NoMembers:     "no members in balancer",
	AllUnusable:   "all members unusable",
	RouteUnusable: "route unusable and nofailover=On",
	Canceled:      "canceled while waiting",
}

// String returns a short English description.
func (o Outcome) String() string {
	if int(o) < len(outcomeText) {
		return outcomeText[o]
	}
	return "unknown"
}

// MarshalText makes Outcome print as its text in JSON.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// MarshalText makes Source print as its text in JSON.
func (s Source) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MemberName returns the chosen member's name, or "".
func (d *Decision) MemberName() string {
	if d.Member == nil {
		return ""
	}
	return d.Member.name
}

// MarshalJSON renders the decision for `balancerd explain --format json`.
func (d Decision) MarshalJSON() ([]byte, error) {
	type session struct {
		Source   Source `json:"source"`
		Name     string `json:"name,omitempty"`
		Value    string `json:"value,omitempty"`
		Route    string `json:"route,omitempty"`
		HasRoute bool   `json:"has_route"`
	}
	env := map[string]string{}
	for _, e := range d.AppendEnv(nil) {
		env[e.Name] = e.Value
	}
	cons := d.Considered
	if cons == nil {
		cons = []Consideration{}
	}
	return json.Marshal(struct {
		Balancer      string            `json:"balancer"`
		Method        string            `json:"lbmethod"`
		StickySession string            `json:"stickysession,omitempty"`
		Outcome       Outcome           `json:"outcome"`
		Status        int               `json:"status,omitempty"`
		Message       string            `json:"message,omitempty"`
		Member        string            `json:"member,omitempty"`
		WorkerRoute   string            `json:"worker_route,omitempty"`
		Session       session           `json:"session"`
		ViaRoute      bool              `json:"via_route"`
		Redirected    bool              `json:"redirected"`
		RouteChanged  bool              `json:"route_changed"`
		WaitedMS      int64             `json:"waited_ms,omitempty"`
		Considered    []Consideration   `json:"considered"`
		Env           map[string]string `json:"env"`
	}{
		d.Balancer, d.Method, d.Sticky.session(), d.Outcome, d.Status, d.Message(), d.MemberName(), d.WorkerRoute,
		session{d.Session.Source, d.Session.Name, d.Session.Value, d.Session.Route, d.Session.HasRoute},
		d.ViaRoute, d.Redirected, d.RouteChanged, d.Waited.Milliseconds(), cons, env,
	})
}

// session renders the stickysession setting ("A" or "A|B"), "" if none.
func (c StickyConfig) session() string {
	return Settings{StickyCookie: c.Cookie, StickyParam: c.Param}.StickySession()
}

// WriteText writes a human-readable explanation of the decision: the
// session value and where it came from, every member with its state and
// the reason it was or was not chosen, and the result.
func (d *Decision) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "balancer %s (lbmethod %s)\n", d.Balancer, d.Method)
	switch {
	case d.Sticky.Cookie == "":
		b.WriteString("  stickysession: none\n")
	case d.Session.Source == SourceNone:
		fmt.Fprintf(&b, "  stickysession %s: no session value in the URL or Cookie header\n", d.Sticky.session())
	default:
		fmt.Fprintf(&b, "  stickysession %s: %s %s=%q", d.Sticky.session(), d.Session.Source, d.Session.Name, d.Session.Value)
		switch {
		case !d.Session.HasRoute:
			fmt.Fprintf(&b, ", no route (no %q separator in the value)\n", string(d.Sticky.Sep))
		case d.Session.Route == "":
			b.WriteString(", empty route\n")
		case d.ViaRoute && d.Redirected:
			fmt.Fprintf(&b, ", route %q unusable, redirected to route %q\n", d.Session.Route, d.WorkerRoute)
		case d.ViaRoute:
			fmt.Fprintf(&b, ", route %q\n", d.Session.Route)
		default:
			fmt.Fprintf(&b, ", route %q has no usable member\n", d.Session.Route)
		}
	}
	if len(d.Considered) > 0 {
		b.WriteString("  members:\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "    member\tlbset\troute\tstatus\tfactor\tlbstatus\tbusy\treason")
		for _, c := range d.Considered {
			mark := " "
			if c.Reason.Chosen() {
				mark = "*"
			}
			fmt.Fprintf(tw, "  %s %s\t%d\t%s\t%s\t%d.%02d\t%d\t%d\t%s\n", mark, c.Name, c.LBSet, c.Route,
				strings.TrimSpace(c.StatusText), c.LBFactor/100, c.LBFactor%100, c.LBStatus, c.Busy, c.Reason)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if d.Waited > 0 {
		fmt.Fprintf(&b, "  waited %v for a usable member (balancer timeout)\n", d.Waited)
	}
	if d.Member != nil {
		fmt.Fprintf(&b, "  result: %s", d.Member.name)
		if d.RouteChanged {
			b.WriteString(" (BALANCER_ROUTE_CHANGED=1)")
		}
		b.WriteString("\n")
	} else {
		fmt.Fprintf(&b, "  result: %d (%s)\n", d.Status, d.Message())
	}
	_, err := io.WriteString(w, b.String())
	return err
}
