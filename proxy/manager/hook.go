package manager

import (
	"net/http"

	"github.com/balancerd/balancerd/proxy"
)

// Handlers adapts a Manager to the proxy's HandlerProvider: it serves
// "SetHandler balancer-manager" and declines every other handler.
type Handlers struct {
	Manager *Manager
	// Persist is BalancerPersist (shown on the page).
	Persist bool
	// Next serves the handlers the manager does not know; nil declines.
	Next proxy.HandlerProvider
}

var _ proxy.HandlerProvider = (*Handlers)(nil)

// ServeHandler implements proxy.HandlerProvider.
func (h *Handlers) ServeHandler(name string, w http.ResponseWriter, r *http.Request, in *proxy.HandlerInput) bool {
	if name != HandlerName || h.Manager == nil {
		if h.Next != nil {
			return h.Next.ServeHandler(name, w, r, in)
		}
		return false
	}
	v := ViewOf(in.Server, in.Balancers)
	v.Persist = h.Persist
	h.Manager.ServeHTTP(w, r, v)
	return true
}
