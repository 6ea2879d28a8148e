package proxy

import "net"

// textAddr is a net.Addr whose text is computed once: the server puts the
// connection's local address in every request's context
// (http.LocalAddrContextKey), and vhost selection, access checks, rewrite
// variables and the access log each turn it into a string per request.
type textAddr struct {
	net.Addr
	s string
}

func (a *textAddr) String() string { return a.s }

// LocalAddr is the connection's local address with its text computed
// now; net/http asks once per connection.
func (c *apacheConn) LocalAddr() net.Addr {
	a := c.Conn.LocalAddr()
	if a == nil {
		return nil
	}
	return &textAddr{Addr: a, s: a.String()}
}
