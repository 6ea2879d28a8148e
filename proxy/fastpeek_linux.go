//go:build linux

package proxy

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// idlePeekSupported reports whether idlePeek really looks at the socket.
const idlePeekSupported = true

// idlePeek checks, before an idle pooled connection is reused, whether
// the backend has closed it or sent bytes nobody asked for, as Apache
// does (ap_proxy_is_socket_connected): one recv with MSG_PEEK and
// MSG_DONTWAIT, which neither blocks nor consumes anything. Only EAGAIN
// (nothing to read, connection open) means the connection is clean.
type idlePeek struct {
	conn net.Conn // the socket under timeoutConn
	tc   *timeoutConn
	rc   syscall.RawConn
	fn   func(fd uintptr) bool // k.peek, bound once per connection
	dirt bool                  // result of the last peek
	buf  [1]byte
}

// init prepares the check for conn; connections that are not sockets
// (or whose descriptor is unavailable) are never reported stale.
func (k *idlePeek) init(conn net.Conn) {
	if tc, ok := conn.(*timeoutConn); ok {
		k.tc = tc
		conn = tc.Conn
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return
	}
	k.conn, k.rc, k.fn = conn, rc, k.peek
}

// peek is the RawConn.Read callback: it always returns true, so the
// runtime never waits for readability.
func (k *idlePeek) peek(fd uintptr) bool {
	for {
		_, _, err := syscall.Recvfrom(int(fd), k.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			k.dirt = false
		default:
			// A byte is pending, the backend closed (EOF), or the socket
			// failed (ECONNRESET...).
			k.dirt = true
		}
		return true
	}
}

// stale reports whether the idle connection must not be reused: it is
// readable (EOF, an error or unexpected bytes are pending) or closed.
func (k *idlePeek) stale() bool {
	if k.rc == nil {
		return false
	}
	k.dirt = true
	err := k.rc.Read(k.fn)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		// timeoutConn's read deadline from the last exchange has passed
		// while the connection was idle; the next Write arms a new one.
		_ = k.conn.SetReadDeadline(time.Time{})
		if k.tc != nil {
			k.tc.rd.forget()
		}
		k.dirt = true
		err = k.rc.Read(k.fn)
	}
	return err != nil || k.dirt
}
