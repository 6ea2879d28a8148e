package balancer

import "github.com/balancerd/balancerd/directives/model"

// Reason says why a member was or was not chosen (Decision.Considered).
type Reason uint8

// Reasons, from chosen to never looked at.
const (
	// ReasonNotConsidered: selection stopped before this member mattered
	// (nofailover 503 for another member's route).
	ReasonNotConsidered Reason = iota
	// ReasonChosen: picked by the lbmethod.
	ReasonChosen
	// ReasonChosenByRoute: picked because the session route names it
	// (directly or through redirect=).
	ReasonChosenByRoute
	// ReasonChosenSpare: picked as a hot spare replacing an unusable member.
	ReasonChosenSpare
	// ReasonChosenStandby: picked as a hot standby (nothing else usable in its lbset).
	ReasonChosenStandby
	// ReasonOtherRoute: the request is sticky to another member.
	ReasonOtherRoute
	// ReasonNotBest: usable, but the lbmethod preferred another member.
	ReasonNotBest
	// ReasonLBSetNotReached: a lower lbset produced a member first.
	ReasonLBSetNotReached
	// ReasonDraining: N flag; takes only sticky requests routed to it.
	ReasonDraining
	// ReasonStandbyNotNeeded: H flag; regular members or spares of its
	// lbset were usable.
	ReasonStandbyNotNeeded
	// ReasonSpareNotNeeded: R flag; no unusable regular member left for it
	// to replace.
	ReasonSpareNotNeeded
	// ReasonDisabled: D flag.
	ReasonDisabled
	// ReasonStopped: S flag.
	ReasonStopped
	// ReasonError: E flag, retry interval not elapsed.
	ReasonError
	// ReasonHCFailed: C flag (failed health check).
	ReasonHCFailed
	// ReasonShutdown: U flag.
	ReasonShutdown
	// ReasonNotInit: not initialised.
	ReasonNotInit
)

var reasonText = [...]string{
	ReasonNotConsidered:    "not considered",
	ReasonChosen:           "chosen by lbmethod",
	ReasonChosenByRoute:    "chosen by session route",
	ReasonChosenSpare:      "chosen as hot spare for an unusable member",
	ReasonChosenStandby:    "chosen as hot standby: nothing else usable in its lbset",
	ReasonOtherRoute:       "request is sticky to another member",
	ReasonNotBest:          "usable, lbmethod preferred another member",
	ReasonLBSetNotReached:  "lbset not reached: a lower lbset had a usable member",
	ReasonDraining:         "draining (N): only sticky requests for its route",
	ReasonStandbyNotNeeded: "hot standby (H): other members of its lbset usable",
	ReasonSpareNotNeeded:   "hot spare (R): no unusable member to replace",
	ReasonDisabled:         "disabled (D)",
	ReasonStopped:          "stopped (S)",
	ReasonError:            "in error state (E), retry interval not elapsed",
	ReasonHCFailed:         "failed health check (C)",
	ReasonShutdown:         "shutting down (U)",
	ReasonNotInit:          "not initialized",
}

// String returns a short English explanation.
func (r Reason) String() string {
	if int(r) < len(reasonText) {
		return reasonText[r]
	}
	return "unknown"
}

// MarshalText makes Reason print as its text in JSON.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Chosen reports whether the reason is one of the Chosen* reasons.
func (r Reason) Chosen() bool { return r >= ReasonChosen && r <= ReasonChosenStandby }

// Consideration is one member's part in a Decision (Request.Explain).
type Consideration struct {
	Member *Member `json:"-"`
	Name   string  `json:"name"`
	LBSet  int     `json:"lbset"`
	Route  string  `json:"route,omitempty"`
	// Status are the flags after the pick (retry timer applied).
	Status     model.Status `json:"-"`
	StatusText string       `json:"status"`
	Reason     Reason       `json:"reason"`
	// LBFactor, LBStatus, Busy, Transferred and Read are the lbmethod's
	// inputs after the pick.
	LBFactor    int   `json:"lbfactor"`
	LBStatus    int   `json:"lbstatus"`
	Busy        int64 `json:"busy"`
	Transferred int64 `json:"transferred"`
	Read        int64 `json:"read"`
	// Retried: the member's retry interval had elapsed, so its E flag was
	// cleared during this pick. ForcedRecovery: every member was in error
	// and forcerecovery cleared them all.
	Retried        bool `json:"retried,omitempty"`
	ForcedRecovery bool `json:"forced_recovery,omitempty"`

	visited, spareUsed, standbyUsed bool
}

// statusReason is the reason an unusable member was skipped.
func statusReason(s model.Status) Reason {
	switch {
	case s&model.StatusInit == 0:
		return ReasonNotInit
	case s&model.StatusStopped != 0:
		return ReasonStopped
	case s&model.StatusDisabled != 0:
		return ReasonDisabled
	case s&model.StatusShutdown != 0:
		return ReasonShutdown
	case s&model.StatusHCFailed != 0:
		return ReasonHCFailed
	}
	return ReasonError
}

// explainLocked completes cons (b.mu held) for decision d.
func (b *Balancer) explainLocked(cons []Consideration, d *Decision) []Consideration {
	if cons == nil {
		return nil
	}
	for i := range cons {
		c := &cons[i]
		m := c.Member
		c.Status, c.StatusText = m.status, StatusText(m.status)
		c.LBFactor, c.LBStatus = m.lbfactor, m.lbstatus
		c.Busy, c.Transferred, c.Read = m.busy.Load(), m.transferred.Load(), m.read.Load()
		st := m.status
		switch {
		case m == d.Member && d.ViaRoute:
			c.Reason = ReasonChosenByRoute
		case m == d.Member && c.spareUsed:
			c.Reason = ReasonChosenSpare
		case m == d.Member && c.standbyUsed:
			c.Reason = ReasonChosenStandby
		case m == d.Member:
			c.Reason = ReasonChosen
		case d.ViaRoute || d.Outcome == RouteUnusable:
			if c.Route == d.Session.Route && !usable(st) {
				c.Reason = statusReason(st)
			} else if d.ViaRoute {
				c.Reason = ReasonOtherRoute
			} else {
				c.Reason = ReasonNotConsidered
			}
		case !c.visited:
			c.Reason = ReasonLBSetNotReached
		case st&model.StatusDrain != 0:
			c.Reason = ReasonDraining
		case !usable(st):
			c.Reason = statusReason(st)
		case st&model.StatusHotSpare != 0 && !c.spareUsed:
			c.Reason = ReasonSpareNotNeeded
		case st&model.StatusHotStandby != 0 && !c.standbyUsed:
			c.Reason = ReasonStandbyNotNeeded
		default:
			c.Reason = ReasonNotBest
		}
	}
	return cons
}
