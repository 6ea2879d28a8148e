package proxy

import "net/http"

// HandlerMap implements HandlerProvider with one function per SetHandler
// name. The CLI wires balancer-manager with it, e.g.
//
//	m := &manager.Manager{...}
//	proxy.HandlerMap{manager.HandlerName: func(w http.ResponseWriter, r *http.Request, in *proxy.HandlerInput) {
//		m.ServeHTTP(w, r, manager.ViewOf(in.Server, in.Balancers))
//	}}
//
// (package proxy does not import its hook packages: they import proxy.)
type HandlerMap map[string]func(w http.ResponseWriter, r *http.Request, in *HandlerInput)

// ServeHandler runs the function registered for name.
func (m HandlerMap) ServeHandler(name string, w http.ResponseWriter, r *http.Request, in *HandlerInput) bool {
	f := m[name]
	if f == nil {
		return false
	}
	f(w, r, in)
	return true
}
