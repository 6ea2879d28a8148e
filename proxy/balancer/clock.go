package balancer

import (
	"context"
	"sync"
	"time"
)

// Clock is the source of time for a Registry: error timestamps, retry
// intervals and the balancer timeout wait all go through it, so tests can
// freeze and advance time instead of sleeping.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done (then it returns ctx.Err()).
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock returns the real clock (time.Now, timers).
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ManualClock is a Clock that only moves when told to: Sleep advances it by
// the requested duration at once (after calling OnSleep, if set). It is
// meant for tests of this package and of its callers.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
	// OnSleep, if non-nil, is called (without locks held) at the start of
	// every Sleep with the clock's time before the sleep; tests use it to
	// change member state while a Pick waits for the balancer timeout.
	OnSleep func(now time.Time, d time.Duration)
}

// NewManualClock returns a ManualClock reading t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// Sleep advances the clock by d without blocking, unless ctx is already done.
func (c *ManualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if f := c.OnSleep; f != nil {
		f(c.Now(), d)
	}
	c.Advance(d)
	return nil
}
