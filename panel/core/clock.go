package core

import (
	"sync"
	"time"
)

// Clock tells the time. Billing and automation code take a Clock instead of
// calling time.Now, so tests can freeze and advance it. Now is always UTC.
type Clock interface {
	Now() time.Time
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }

// FrozenClock is a Clock that moves only when told to. It is safe for
// concurrent use.
type FrozenClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFrozenClock returns a clock stopped at t.
func NewFrozenClock(t time.Time) *FrozenClock { return &FrozenClock{now: t.UTC()} }

// Now returns the frozen time.
func (c *FrozenClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *FrozenClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t.UTC()
	c.mu.Unlock()
}

// Advance moves the clock forward by d.
func (c *FrozenClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}
