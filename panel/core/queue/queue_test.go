package queue_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/queue"
)

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

type item struct {
	ID            int64 `gorm:"primaryKey"`
	Line          string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LockedBy      *string
	LastError     string
}

func (item) TableName() string { return "test_items" }

func (it item) QueueID() int64 { return it.ID }

var spec = queue.Spec{Table: "test_items", Line: "line", Pending: "pending", Stopped: "stopped"}

func setup(t *testing.T, h *db.Handle, lines ...string) {
	t.Helper()
	ts := "DATETIME(3)"
	if h.Dialect == db.SQLite {
		ts = "DATETIME"
	}
	if err := h.W.Exec(`CREATE TABLE test_items (id INTEGER PRIMARY KEY, line VARCHAR(20) NOT NULL, status VARCHAR(20) NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at ` + ts + ` NOT NULL, locked_by VARCHAR(100), last_error TEXT NOT NULL)`).Error; err != nil {
		t.Fatal(err)
	}
	for i, l := range lines {
		if err := h.W.Create(&item{ID: int64(i + 1), Line: l, Status: "pending", NextAttemptAt: t0}).Error; err != nil {
			t.Fatal(err)
		}
	}
}

func ids(items []item) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}

func get(t *testing.T, h *db.Handle, id int64) item {
	t.Helper()
	var it item
	if err := h.W.Where("id = ?", id).Take(&it).Error; err != nil {
		t.Fatal(err)
	}
	return it
}

// TestClaimFirstInLine: a worker claims only the first due item of each
// line; a second worker finds nothing while the lease lives, and the
// items again once it lapsed.
func TestClaimFirstInLine(t *testing.T) {
	dbtest.Each(t, nil, func(t *testing.T, h *db.Handle) {
		setup(t, h, "a", "a", "b", "c", "b")
		ctx := context.Background()
		p := queue.Policy{Lease: time.Minute}
		a, b := queue.New(h, spec, "node-a", p), queue.New(h, spec, "node-b", p)
		got, err := queue.Claim[item](ctx, a, t0, 10)
		if err != nil || len(got) != 3 || got[0].ID != 1 || got[1].ID != 3 || got[2].ID != 4 {
			t.Fatalf("claim = %v, %v; want items 1, 3, 4", ids(got), err)
		}
		if claimed := get(t, h, 1); *claimed.LockedBy != "node-a" || !claimed.NextAttemptAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("claimed row: locked by %v until %s", *claimed.LockedBy, claimed.NextAttemptAt)
		}
		if again, _ := queue.Claim[item](ctx, b, t0.Add(30*time.Second), 10); len(again) != 0 {
			t.Errorf("node-b claimed %v under node-a's lease", ids(again))
		}
		// Item 1 done: item 2 of line a comes next.
		if err := a.Finish(ctx, 1, map[string]any{"status": "done"}); err != nil {
			t.Fatal(err)
		}
		later, _ := queue.Claim[item](ctx, b, t0.Add(2*time.Minute), 10)
		if len(later) != 3 || later[0].ID != 2 || later[1].ID != 3 || later[2].ID != 4 {
			t.Fatalf("after the lease lapsed node-b claimed %v, want 2, 3, 4", ids(later))
		}
		// node-a's late result is fenced off and its Finish changes nothing.
		err = h.WithTx(ctx, func(ctx context.Context) error { return a.Fence(ctx, 3) })
		if !errors.Is(err, queue.ErrLeaseLost) {
			t.Errorf("fence of a lost item = %v", err)
		}
		a.Finish(ctx, 3, map[string]any{"status": "done"})
		if it := get(t, h, 3); it.Status != "pending" || *it.LockedBy != "node-b" {
			t.Errorf("item 3 after node-a's late finish: %s by %v", it.Status, *it.LockedBy)
		}
		if err := h.WithTx(ctx, func(ctx context.Context) error { return b.Fence(ctx, 3) }); err != nil {
			t.Errorf("fence of the holder: %v", err)
		}
	})
}

// TestFailBackoffStopRetry: failures back off (doubling), the last one
// stops the item, which holds back its line until Retry.
func TestFailBackoffStopRetry(t *testing.T) {
	dbtest.Each(t, nil, func(t *testing.T, h *db.Handle) {
		setup(t, h, "a", "a")
		ctx := context.Background()
		q := queue.New(h, spec, "w", queue.Policy{Lease: time.Minute, MaxAttempts: 3, BackoffBase: time.Second, BackoffMax: time.Hour})
		now := t0
		for attempt := 1; attempt <= 3; attempt++ {
			got, err := queue.Claim[item](ctx, q, now, 10)
			if err != nil || len(got) != 1 || got[0].ID != 1 {
				t.Fatalf("attempt %d: claimed %v, %v", attempt, ids(got), err)
			}
			f, err := q.Fail(ctx, 1, got[0].Attempts, errors.New("server down"), now)
			if err != nil || f.Attempts != attempt || f.Stopped != (attempt == 3) || f.Message != "server down" {
				t.Fatalf("fail %d = %+v, %v", attempt, f, err)
			}
			it := get(t, h, 1)
			if attempt < 3 {
				wait := it.NextAttemptAt.Sub(now)
				if wait < time.Duration(1<<(attempt-1))*time.Second/2 || wait > time.Duration(1<<(attempt-1))*time.Second*2 {
					t.Errorf("attempt %d: backoff %s", attempt, wait)
				}
				now = it.NextAttemptAt
			} else if it.Status != "stopped" || it.LockedBy != nil {
				t.Errorf("after the last attempt: %s locked by %v", it.Status, it.LockedBy)
			}
		}
		if got, _ := queue.Claim[item](ctx, q, now.Add(time.Hour), 10); len(got) != 0 {
			t.Errorf("a stopped item's line went on: %v", ids(got))
		}
		pending, stopped, err := queue.Backlog(ctx, h, spec)
		if err != nil || pending != 1 || stopped != 1 {
			t.Errorf("backlog = %d pending, %d stopped, %v", pending, stopped, err)
		}
		if n, err := queue.Retry(ctx, h, spec, now, "line = ?", "a"); err != nil || n != 1 {
			t.Fatalf("retry = %d, %v", n, err)
		}
		got, _ := queue.Claim[item](ctx, q, now, 10)
		if len(got) != 1 || got[0].ID != 1 || got[0].Attempts != 0 {
			t.Errorf("after retry: %+v", got)
		}
		if err := q.Release(ctx, 1, now); err != nil {
			t.Fatal(err)
		}
		if it := get(t, h, 1); it.LockedBy != nil || !it.NextAttemptAt.Equal(now) || it.Attempts != 0 {
			t.Errorf("released: %+v", it)
		}
	})
}

// TestLoop: a batch that did work is followed at once by the next, an
// idle one waits for a wake-up (the poll here is an hour), errors are
// reported, and cancelling ends the loop.
func TestLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wake := make(chan struct{}, 1)
	calls := 0
	once := func(context.Context) (int, error) {
		calls++
		switch calls {
		case 1:
			return 3, nil // did work: again at once
		case 2:
			wake <- struct{}{} // idle, but new work arrives
			return 0, nil
		case 3:
			return 0, errors.New("database gone")
		}
		cancel()
		return 0, nil
	}
	var reported []error
	done := make(chan struct{})
	go func() {
		queue.Loop(ctx, wake, time.Hour, once, func(err error) { reported = append(reported, err) })
		close(done)
	}()
	// The failed third batch waits for the poll: wake it once more.
	time.Sleep(50 * time.Millisecond)
	wake <- struct{}{}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatalf("Loop did not end after %d calls", calls)
	}
	if calls != 4 || len(reported) != 1 {
		t.Errorf("calls = %d, reported = %v; want 4 calls and the one error", calls, reported)
	}
}
