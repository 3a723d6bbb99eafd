package core

import "time"

// Backoff is the wait before the next attempt after `attempts` failures:
// base, doubled per further failure, capped at max.
func Backoff(base, max time.Duration, attempts int) time.Duration {
	d := base
	for i := 1; i < attempts && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}
