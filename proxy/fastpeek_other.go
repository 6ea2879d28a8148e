//go:build !linux

package proxy

import "net"

// idlePeekSupported reports whether idlePeek really looks at the socket.
const idlePeekSupported = false

// idlePeek is the portable fallback: idle connections are not checked
// before reuse. A backend's close is found when the reused connection
// fails (roundTrip then retries once on a new one); stray bytes sent
// after a complete response are not detected.
type idlePeek struct{}

func (*idlePeek) init(net.Conn) {}

func (*idlePeek) stale() bool { return false }
