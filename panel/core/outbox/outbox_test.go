package outbox

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/queue"
)

func TestBindings(t *testing.T) {
	b := NewBus(nil, core.SystemClock{})
	var order []string
	for _, c := range []struct {
		id  string
		pri int
	}{{"late", 10}, {"early", -5}, {"middle-a", 0}, {"middle-b", 0}} {
		id := c.id
		if err := On(b, id, c.pri, func(context.Context, Meta, thingHappened) error { order = append(order, id); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	for _, bd := range b.handlers("test.thing_happened") {
		bd.call(context.Background(), Meta{}, []byte(`{"thing":"x","n":1}`))
	}
	if got, want := strings.Join(order, ","), "early,middle-a,middle-b,late"; got != want {
		t.Errorf("run order = %s, want %s", got, want)
	}
	if err := On(b, "late", 0, func(context.Context, Meta, thingHappened) error { return nil }); !errors.Is(err, core.ErrConflict) {
		t.Errorf("duplicate handler id: error = %v, want ErrConflict", err)
	}
	if err := On(b, "", 0, func(context.Context, Meta, thingHappened) error { return nil }); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("empty handler id: error = %v, want ErrInvalid", err)
	}
	b.Start()
	if err := On(b, "after-start", 0, func(context.Context, Meta, thingHappened) error { return nil }); !errors.Is(err, core.ErrPrecondition) {
		t.Errorf("binding after Start: error = %v, want ErrPrecondition", err)
	}
}

func TestPublishJoinsTransaction(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		b := NewBus(h, core.NewFrozenClock(t0))
		ctx := context.Background()
		boom := errors.New("boom")
		err := h.WithTx(ctx, func(ctx context.Context) error {
			if _, err := b.Publish(ctx, thingHappened{Thing: "a", N: 1}, "test"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("WithTx error = %v, want boom", err)
		}
		var n int64
		h.W.Model(&eventRow{}).Count(&n)
		if n != 0 {
			t.Fatalf("rolled-back publish left %d outbox rows, want 0", n)
		}
		if _, err := b.Publish(ctx, thingHappened{Thing: "a", N: 1}, "user:7"); err != nil {
			t.Fatal(err)
		}
		var r eventRow
		h.W.First(&r)
		if r.Name != "test.thing_happened" || r.Aggregate != "thing:a" || r.Actor != "user:7" || r.Status != StatusPending || !r.OccurredAt.Equal(t0) {
			t.Errorf("stored event = %+v", r)
		}
		if _, err := b.Publish(ctx, thingHappened{Thing: strings.Repeat("x", 200)}, "test"); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("over-long aggregate key: error = %v, want ErrInvalid", err)
		}
	})
}

func TestDeliversEachEffectOnceInOrder(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		createEffects(t, h)
		clock := core.NewFrozenClock(t0)
		b := NewBus(h, clock)
		MustOn(b, "first", 0, recordEffect(h, "first"))
		MustOn(b, "second", 1, recordEffect(h, "second"))
		b.Start()
		ids := publishN(t, b, things(5), 10)
		d := NewDispatcher(b, "node-a", Options{BatchSize: 7}, quiet())
		if n := drain(t, d); n != 50 {
			t.Errorf("delivered %d events, want 50", n)
		}
		assertExactlyOnce(t, h, []string{"first", "second"}, ids)
		assertOrderPerThing(t, h)

		// Redelivery: every event back to pending, as after a crash
		// between a handler's commit and the done mark.
		if err := h.W.Exec("UPDATE outbox_events SET status = 'pending', locked_by = NULL, next_attempt_at = ?", clock.Now()).Error; err != nil {
			t.Fatal(err)
		}
		if n := drain(t, d); n != 50 {
			t.Errorf("redelivered %d events, want 50", n)
		}
		assertExactlyOnce(t, h, []string{"first", "second"}, ids)
		bl, err := b.Backlog(context.Background())
		if err != nil || bl != (Backlog{}) {
			t.Errorf("backlog = %+v, %v; want empty", bl, err)
		}
	})
}

func TestFailingHandlerRetriesWithBackoff(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		createEffects(t, h)
		clock := core.NewFrozenClock(t0)
		b := NewBus(h, clock)
		MustOn(b, "steady", 0, recordEffect(h, "steady"))
		var mu sync.Mutex
		fails := map[string]int{}
		flaky := recordEffect(h, "flaky")
		MustOn(b, "flaky", 1, func(ctx context.Context, m Meta, ev thingHappened) error {
			// Write the effect first: a failure must roll it back.
			if err := flaky(ctx, m, ev); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if fails[m.ID] < 2 {
				fails[m.ID]++
				return errors.New("remote not ready")
			}
			return nil
		})
		b.Start()
		ids := publishN(t, b, []string{"a"}, 2)
		d := NewDispatcher(b, "node-a", Options{BackoffBase: time.Second, BackoffMax: time.Minute, MaxAttempts: 5}, quiet())

		drain(t, d)
		first := statusOf(t, h, ids[0])
		if first.Status != StatusPending || first.Attempts != 1 || !first.NextAttemptAt.Equal(t0.Add(time.Second)) {
			t.Fatalf("after 1st failure: status %s attempts %d next %v; want pending, 1, +1s", first.Status, first.Attempts, first.NextAttemptAt)
		}
		if !strings.Contains(first.LastError, "flaky: remote not ready") {
			t.Errorf("last_error = %q, want the handler and its message", first.LastError)
		}
		if second := statusOf(t, h, ids[1]); second.Attempts != 0 {
			t.Errorf("event #2 of the aggregate was tried (%d attempts) while #1 was failing", second.Attempts)
		}
		clock.Advance(time.Second)
		drain(t, d)
		if r := statusOf(t, h, ids[0]); r.Attempts != 2 || !r.NextAttemptAt.Equal(clock.Now().Add(2*time.Second)) {
			t.Fatalf("after 2nd failure: attempts %d next %v; want 2 and doubled backoff", r.Attempts, r.NextAttemptAt)
		}
		for range 10 {
			clock.Advance(time.Minute)
			drain(t, d)
		}
		for _, id := range ids {
			if r := statusOf(t, h, id); r.Status != StatusDone {
				t.Errorf("event %s status %s, want done", id, r.Status)
			}
		}
		assertExactlyOnce(t, h, []string{"steady", "flaky"}, ids)
		assertOrderPerThing(t, h)
	})
}

func TestParkListAndRetry(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		createEffects(t, h)
		clock := core.NewFrozenClock(t0)
		b := NewBus(h, clock)
		broken := true
		rec := recordEffect(h, "h")
		MustOn(b, "h", 0, func(ctx context.Context, m Meta, ev thingHappened) error {
			if broken {
				return errors.New("mailbox full")
			}
			return rec(ctx, m, ev)
		})
		b.Start()
		ids := publishN(t, b, []string{"a"}, 2)
		d := NewDispatcher(b, "node-a", Options{MaxAttempts: 3, BackoffBase: time.Second}, quiet())
		for range 5 {
			drain(t, d)
			clock.Advance(time.Hour)
		}
		ctx := context.Background()
		parked, err := b.Parked(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(parked) != 1 || parked[0].ID != ids[0] || parked[0].Attempts != 3 || !strings.Contains(parked[0].LastError, "mailbox full") {
			t.Fatalf("parked = %+v; want event #1 with 3 attempts and its error", parked)
		}
		if r := statusOf(t, h, ids[1]); r.Status != StatusPending || r.Attempts != 0 {
			t.Errorf("event #2 = %s/%d; want pending and untried behind the parked #1", r.Status, r.Attempts)
		}
		if bl, _ := b.Backlog(ctx); bl != (Backlog{Pending: 1, Parked: 1}) {
			t.Errorf("backlog = %+v, want 1 pending 1 parked", bl)
		}
		if err := b.Retry(ctx, ids[1]); !errors.Is(err, core.ErrPrecondition) {
			t.Errorf("retry of a pending event: error = %v, want ErrPrecondition", err)
		}
		if err := b.Retry(ctx, "no-such-event"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("retry of an unknown event: error = %v, want ErrNotFound", err)
		}
		broken = false
		if err := b.Retry(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		drain(t, d)
		drain(t, d)
		assertExactlyOnce(t, h, []string{"h"}, ids)
		assertOrderPerThing(t, h)
	})
}

func TestCancelledMidBatch(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		createEffects(t, h)
		clock := core.NewFrozenClock(t0)
		b := NewBus(h, clock)
		ctx, cancel := context.WithCancel(context.Background())
		rec := recordEffect(h, "h")
		seen := 0
		MustOn(b, "h", 0, func(hctx context.Context, m Meta, ev thingHappened) error {
			seen++
			if seen == 3 {
				cancel() // shutdown arrives while the 3rd handler runs
			}
			return rec(hctx, m, ev)
		})
		b.Start()
		ids := publishN(t, b, things(10), 1)
		d := NewDispatcher(b, "node-a", Options{BatchSize: 10}, quiet())
		n, err := d.RunOnce(ctx)
		if n != 10 || !errors.Is(err, context.Canceled) {
			t.Fatalf("RunOnce = %d, %v; want 10 claimed and context.Canceled", n, err)
		}
		var pending int64
		h.W.Model(&eventRow{}).Where("status = ? AND locked_by IS NULL AND next_attempt_at <= ?", StatusPending, clock.Now()).Count(&pending)
		if pending == 0 || pending == 10 {
			t.Errorf("%d events released for the next claim, want some but not all", pending)
		}
		// A new dispatcher (after restart) picks up the rest at once.
		drain(t, NewDispatcher(b, "node-b", Options{}, quiet()))
		assertExactlyOnce(t, h, []string{"h"}, ids)
		var attempts int64
		h.W.Model(&eventRow{}).Where("attempts > 0").Count(&attempts)
		if attempts != 0 {
			t.Errorf("%d events counted a failed attempt for a shutdown, want 0", attempts)
		}
	})
}

func TestCrashAndLeaseExpiry(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		createEffects(t, h)
		clock := core.NewFrozenClock(t0)
		b := NewBus(h, clock)
		MustOn(b, "h", 0, recordEffect(h, "h"))
		b.Start()
		ids := publishN(t, b, things(6), 1)
		ctx := context.Background()
		lease := time.Minute
		a := NewDispatcher(b, "node-a", Options{Lease: lease}, quiet())
		rows, err := queue.Claim[eventRow](ctx, a.q, clock.Now(), 100)
		if err != nil || len(rows) != 6 {
			t.Fatalf("claim = %d rows, %v", len(rows), err)
		}
		a.deliver(ctx, rows[0])
		a.deliver(ctx, rows[1])
		// node-a crashes after row 2's handler committed, before marking it done.
		if _, err := a.runHandlers(ctx, rows[2], false); err != nil {
			t.Fatal(err)
		}

		bnode := NewDispatcher(b, "node-b", Options{Lease: lease}, quiet())
		if n := drain(t, bnode); n != 0 {
			t.Fatalf("node-b claimed %d events under node-a's live lease, want 0", n)
		}
		clock.Advance(lease + time.Second)
		if n := drain(t, bnode); n != 4 {
			t.Errorf("node-b claimed %d events after the lease expired, want 4", n)
		}
		// node-a comes back and tries to finish its old claim: fenced off.
		a.deliver(ctx, rows[3])
		assertExactlyOnce(t, h, []string{"h"}, ids)
		for _, id := range ids {
			if r := statusOf(t, h, id); r.Status != StatusDone {
				t.Errorf("event %s is %s, want done", id, r.Status)
			}
		}
	})
}

// TestConcurrentDispatchers runs two dispatchers, each with its own
// connection pool as two processes would have, against one database. No
// event's handler may run while another instance of it runs, every effect
// lands once, and each aggregate's events are handled in order.
func TestConcurrentDispatchers(t *testing.T) {
	for _, backend := range dbtest.Backends(t) {
		t.Run(string(backend), func(t *testing.T) {
			opts := dbtest.Options(t, backend)
			ctx := context.Background()
			h1 := dbtest.OpenWith(t, opts, sets)
			h2 := dbtest.OpenWith(t, opts, sets)
			createEffects(t, h1)

			var mu sync.Mutex
			running := map[string]string{}
			perNode := map[string]int{}
			overlaps := 0
			handler := func(h *db.Handle, node string) func(context.Context, Meta, thingHappened) error {
				rec := recordEffect(h, "h")
				return func(ctx context.Context, m Meta, ev thingHappened) error {
					mu.Lock()
					if other, busy := running[m.ID]; busy {
						overlaps++
						t.Errorf("event %s handled by %s while %s runs it", m.ID, node, other)
					}
					running[m.ID] = node
					perNode[node]++
					mu.Unlock()
					time.Sleep(200 * time.Microsecond)
					err := rec(ctx, m, ev)
					mu.Lock()
					delete(running, m.ID)
					mu.Unlock()
					return err
				}
			}
			var buses []*Bus
			var ds []*Dispatcher
			for i, h := range []*db.Handle{h1, h2} {
				node := []string{"node-1", "node-2"}[i]
				b := NewBus(h, core.SystemClock{})
				MustOn(b, "h", 0, handler(h, node))
				b.Start()
				buses = append(buses, b)
				ds = append(ds, NewDispatcher(b, node, Options{BatchSize: 8, PollInterval: 5 * time.Millisecond, Lease: time.Minute}, quiet()))
			}
			ids := publishN(t, buses[0], things(20), 15)

			runCtx, stop := context.WithCancel(ctx)
			var wg sync.WaitGroup
			for _, d := range ds {
				wg.Go(func() { d.Run(runCtx) })
			}
			deadline := time.Now().Add(2 * time.Minute)
			for time.Now().Before(deadline) {
				bl, err := buses[0].Backlog(ctx)
				if err == nil && bl.Pending == 0 && bl.Parked == 0 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			stop()
			wg.Wait()
			assertExactlyOnce(t, h1, []string{"h"}, ids)
			assertOrderPerThing(t, h1)
			// How the work splits depends on timing (SQLite serializes the
			// claims); exclusion under a live lease is asserted
			// deterministically in TestCrashAndLeaseExpiry.
			t.Logf("300 events over 20 aggregates, 2 dispatchers: handled per node %v, %d overlaps", perNode, overlaps)
		})
	}
}
