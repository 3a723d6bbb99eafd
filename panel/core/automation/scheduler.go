package automation

import (
	"context"
	"time"

	"faktura/panel/core"
)

// Scheduler starts the daily run once a day at a local hour. After a
// restart or downtime it catches up: once the hour has passed, a day without
// a successful scheduled run gets one. Several nodes may run the same day
// concurrently; steps are idempotent and claim their work.
type Scheduler struct {
	Runner   *Runner
	Hour     int            // local hour, 0-23
	Location *time.Location // the operator's time zone
	Tick     time.Duration  // how often to check; a minute in production
}

// RetryAfter is how long the scheduler waits before it runs a day again
// whose scheduled run failed or is still running elsewhere.
const RetryAfter = 30 * time.Minute

// Due returns the day that should run at now, if any: today (in Location)
// once its hour has come.
func (s *Scheduler) Due(now time.Time) (core.Date, bool) {
	local := now.In(s.Location)
	if local.Hour() < s.Hour {
		return core.Date{}, false
	}
	return core.DateOf(local), true
}

// Run checks every Tick until ctx is cancelled, running each due day once.
func (s *Scheduler) Run(ctx context.Context) {
	t := time.NewTicker(s.Tick)
	defer t.Stop()
	for {
		s.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *Scheduler) check(ctx context.Context) {
	now := s.Runner.clock.Now()
	day, ok := s.Due(now)
	if !ok {
		return
	}
	done, last, err := s.Runner.scheduledState(ctx, day)
	if err != nil {
		s.Runner.log.Error("scheduler: read run history", "err", err)
		return
	}
	if done || (!last.IsZero() && now.Sub(last) < RetryAfter) {
		return
	}
	if _, err := s.Runner.Run(ctx, day, TriggerSchedule); err != nil {
		s.Runner.log.Error("scheduler: daily run", "date", day.String(), "err", err)
	}
}
