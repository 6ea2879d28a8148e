package proxy

import (
	"sync/atomic"
	"time"
)

// lazyDeadline remembers the deadline last armed on a connection so that
// a request does not re-arm it when the one in place is almost the one
// wanted: moving a deadline is a timer update in the runtime's poller,
// and a proxy would do several per request. A skipped update leaves a
// deadline earlier than wanted by less than deadlineSlack, never later.
// It is safe for a reader and a writer goroutine at once.
type lazyDeadline struct{ at atomic.Int64 } // UnixNano; 0 = none known

// deadlineSlack is how much earlier than wanted a kept deadline may be:
// 1/64 of the timeout, at most a second.
func deadlineSlack(d time.Duration) int64 {
	return int64(min(d/64, time.Second))
}

// due reports whether a deadline of want (= now + d) must be armed; if
// so, the caller arms it and this records it.
func (l *lazyDeadline) due(want time.Time, d time.Duration) bool {
	w := want.UnixNano()
	at := l.at.Load()
	if at != 0 && at <= w && w-at < deadlineSlack(d) {
		return false
	}
	l.at.Store(w)
	return true
}

// forget records that the deadline was changed behind lazyDeadline's
// back: the next due arms one.
func (l *lazyDeadline) forget() { l.at.Store(0) }
