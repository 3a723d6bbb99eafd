package outbox

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/queue"
)

// Options tune a Dispatcher. Zero fields take the defaults of DefaultOptions.
type Options struct {
	BatchSize    int           // events claimed at once
	PollInterval time.Duration // idle wait between empty claims
	Lease        time.Duration // how long a claim is exclusive; longer than any handler takes
	MaxAttempts  int           // failed deliveries before an event is parked
	BackoffBase  time.Duration // wait after the first failure, doubled per failure
	BackoffMax   time.Duration // longest wait between attempts
}

// DefaultOptions are the settings used when config says nothing.
var DefaultOptions = Options{
	BatchSize: 100, PollInterval: time.Second, Lease: 5 * time.Minute,
	MaxAttempts: 10, BackoffBase: 2 * time.Second, BackoffMax: 30 * time.Minute,
}

func (o Options) withDefaults() Options {
	d := DefaultOptions
	return Options{
		BatchSize:    cmp.Or(o.BatchSize, d.BatchSize),
		PollInterval: cmp.Or(o.PollInterval, d.PollInterval),
		Lease:        cmp.Or(o.Lease, d.Lease),
		MaxAttempts:  cmp.Or(o.MaxAttempts, d.MaxAttempts),
		BackoffBase:  cmp.Or(o.BackoffBase, d.BackoffBase),
		BackoffMax:   cmp.Or(o.BackoffMax, d.BackoffMax),
	}
}

// Dispatcher delivers outbox events to the bus's handlers. Several
// dispatchers (goroutines or processes on one database) may run at once:
// each claims a batch under a lease, and a handler runs only while its
// dispatcher holds the event's row (fenced), so no event's handler ever runs
// twice at the same time.
type Dispatcher struct {
	bus   *Bus
	store store
	q     *queue.Queue
	clock core.Clock
	opts  Options
	log   *slog.Logger
}

// NewDispatcher returns a dispatcher identified by node (unique per process,
// e.g. host:pid).
func NewDispatcher(b *Bus, node string, o Options, log *slog.Logger) *Dispatcher {
	o = o.withDefaults()
	q := queue.New(b.db, spec, node, queue.Policy{Lease: o.Lease, MaxAttempts: o.MaxAttempts, BackoffBase: o.BackoffBase, BackoffMax: o.BackoffMax})
	return &Dispatcher{bus: b, store: store{db: b.db}, q: q, clock: b.clock, opts: o, log: log}
}

// Run delivers events until ctx is cancelled. A batch in progress when ctx
// is cancelled is finished first (graceful shutdown), with handlers running
// on a context that is not cancelled.
func (d *Dispatcher) Run(ctx context.Context) error {
	finish := func(ctx context.Context) (int, error) { return d.RunOnce(context.WithoutCancel(ctx)) }
	queue.Loop(ctx, d.bus.wake, d.opts.PollInterval, finish, func(err error) { d.log.Error("outbox batch", "err", err) })
	return nil
}

// RunOnce claims one batch and delivers it, returning how many events it
// claimed. When ctx is cancelled mid-batch, the events not yet delivered are
// released for the next claim, with no attempt counted.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	rows, err := queue.Claim[eventRow](ctx, d.q, d.clock.Now(), d.opts.BatchSize)
	if err != nil {
		return 0, err
	}
	for i, r := range rows {
		if ctx.Err() != nil {
			d.release(rows[i:])
			return len(rows), ctx.Err()
		}
		d.deliver(ctx, r)
	}
	return len(rows), nil
}

// deliver runs every handler of one event and marks it done, or counts a
// failed attempt and schedules the next (or parks the event).
func (d *Dispatcher) deliver(ctx context.Context, r eventRow) {
	handler, err := d.runHandlers(ctx, r, true)
	switch {
	case err == nil:
	case errors.Is(err, queue.ErrLeaseLost):
		d.log.Warn("outbox lease lost", "event", r.EventID, "name", r.Name)
	case ctx.Err() != nil:
		d.release([]eventRow{r})
	default:
		d.fail(r, handler, err)
	}
}

// runHandlers runs each handler of r in its own transaction, fenced by the
// lease and skipped when (handler, event) is already recorded. With
// markDone, the last transaction also marks the event done, so a delivered
// event costs one commit per handler. It stops at the first failure and
// names the handler that failed.
func (d *Dispatcher) runHandlers(ctx context.Context, r eventRow, markDone bool) (string, error) {
	bindings := d.bus.handlers(r.Name)
	if len(bindings) == 0 && markDone {
		return "", d.markDone(ctx, r)
	}
	for i, b := range bindings {
		err := d.bus.db.WithTx(ctx, func(ctx context.Context) error {
			if err := d.q.Fence(ctx, r.ID); err != nil {
				return err
			}
			first, err := d.store.markHandled(ctx, b.id, r.EventID, d.clock.Now())
			if err != nil {
				return err
			}
			if first {
				if err := b.call(ctx, r.meta(), []byte(r.Payload)); err != nil {
					return err
				}
			}
			if markDone && i == len(bindings)-1 {
				return d.markDone(ctx, r)
			}
			return nil
		})
		if err != nil {
			return b.id, err
		}
	}
	return "", nil
}

func (d *Dispatcher) markDone(ctx context.Context, r eventRow) error {
	return d.q.Finish(ctx, r.ID, map[string]any{"status": StatusDone, "done_at": d.clock.Now(), "last_error": ""})
}

func (d *Dispatcher) fail(r eventRow, handler string, cause error) {
	f, err := d.q.Fail(context.Background(), r.ID, r.Attempts, fmt.Errorf("%s: %w", handler, cause), d.clock.Now())
	if err != nil {
		d.log.Error("outbox record failure", "event", r.EventID, "err", err)
	}
	if f.Stopped {
		d.log.Error("outbox event parked", "event", r.EventID, "name", r.Name, "attempts", f.Attempts, "err", f.Message)
	} else {
		d.log.Warn("outbox delivery failed", "event", r.EventID, "name", r.Name, "attempt", f.Attempts, "err", f.Message)
	}
}

// release hands claimed events back at once, without counting an attempt.
func (d *Dispatcher) release(rows []eventRow) {
	now := d.clock.Now()
	for _, r := range rows {
		if err := d.q.Release(context.Background(), r.ID, now); err != nil {
			d.log.Error("outbox release", "event", r.EventID, "err", err)
		}
	}
}

// Parked lists parked events (the ones 'faktura events failed' shows).
func (b *Bus) Parked(ctx context.Context, limit int) ([]Record, error) {
	return store{db: b.db}.parked(ctx, limit)
}

// Retry puts a parked event back in line with a fresh attempt budget.
func (b *Bus) Retry(ctx context.Context, eventID string) error {
	return store{db: b.db}.retry(ctx, eventID, b.clock.Now())
}

// Backlog counts undelivered (pending) and parked events.
func (b *Bus) Backlog(ctx context.Context) (Backlog, error) {
	return store{db: b.db}.backlog(ctx)
}
