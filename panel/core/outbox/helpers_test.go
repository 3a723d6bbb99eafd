package outbox

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"faktura/panel/core/db"
	"faktura/panel/core/schema"
)

var sets = []db.MigrationSet{schema.Set}

var t0 = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// thingHappened is the test event; N orders events of one thing.
type thingHappened struct {
	Thing string `json:"thing"`
	N     int    `json:"n"`
}

func (thingHappened) EventName() string      { return "test.thing_happened" }
func (e thingHappened) AggregateKey() string { return "thing:" + e.Thing }

// effects is a table a handler writes to inside its transaction. It has no
// unique key, so a duplicate delivery would show as a second row.
func createEffects(t testing.TB, h *db.Handle) {
	t.Helper()
	if err := h.W.Exec("CREATE TABLE test_effects (seq INTEGER NOT NULL, handler VARCHAR(50) NOT NULL, event_id VARCHAR(36) NOT NULL, thing VARCHAR(50) NOT NULL, n INTEGER NOT NULL)").Error; err != nil {
		t.Fatal(err)
	}
}

func recordEffect(h *db.Handle, handler string) func(ctx context.Context, m Meta, ev thingHappened) error {
	return func(ctx context.Context, m Meta, ev thingHappened) error {
		return h.Conn(ctx).Exec("INSERT INTO test_effects (seq, handler, event_id, thing, n) VALUES (?, ?, ?, ?, ?)", m.Seq, handler, m.ID, ev.Thing, ev.N).Error
	}
}

// publishN publishes n events for each thing, numbered 1..n per thing.
func publishN(t testing.TB, b *Bus, things []string, n int) []string {
	t.Helper()
	var ids []string
	for i := 1; i <= n; i++ {
		for _, th := range things {
			id, err := b.Publish(context.Background(), thingHappened{Thing: th, N: i}, "test")
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
	}
	return ids
}

// drain runs the dispatcher until a claim finds nothing.
func drain(t testing.TB, d *Dispatcher) int {
	t.Helper()
	total := 0
	for range 10000 {
		n, err := d.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatal("dispatcher never ran dry")
	return total
}

type effectCount struct {
	Handler string
	EventID string
	N       int
}

// assertExactlyOnce checks every (handler, event) has exactly one effect row.
func assertExactlyOnce(t testing.TB, h *db.Handle, handlers []string, ids []string) {
	t.Helper()
	var rows []effectCount
	if err := h.W.Raw("SELECT handler, event_id, COUNT(*) AS n FROM test_effects GROUP BY handler, event_id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range rows {
		got[r.Handler+"/"+r.EventID] = r.N
	}
	for _, hd := range handlers {
		for _, id := range ids {
			if n := got[hd+"/"+id]; n != 1 {
				t.Errorf("handler %s applied event %s %d times, want exactly once", hd, id, n)
			}
		}
	}
	if want := len(handlers) * len(ids); len(rows) != want {
		t.Errorf("%d distinct effects, want %d", len(rows), want)
	}
}

// assertOrderPerThing checks each handler saw each thing's events in
// publication order.
func assertOrderPerThing(t testing.TB, h *db.Handle) {
	t.Helper()
	var rows []struct {
		Handler string
		Thing   string
		N       int
	}
	if err := h.W.Raw("SELECT handler, thing, n FROM test_effects ORDER BY handler, thing, seq").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	last := map[string]int{}
	for _, r := range rows {
		k := r.Handler + "/" + r.Thing
		if r.N <= last[k] {
			t.Errorf("%s saw %s #%d after #%d", r.Handler, r.Thing, r.N, last[k])
		}
		last[k] = r.N
	}
}

func statusOf(t testing.TB, h *db.Handle, id string) eventRow {
	t.Helper()
	var r eventRow
	if err := h.W.Where("event_id = ?", id).First(&r).Error; err != nil {
		t.Fatal(err)
	}
	return r
}

func things(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("t%02d", i)
	}
	return out
}
