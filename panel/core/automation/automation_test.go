package automation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/schema"
)

type fakeStep struct {
	name  string
	err   error
	calls []core.Date
}

func (f *fakeStep) Name() string { return f.name }
func (f *fakeStep) Run(_ context.Context, d core.Date) (map[string]int64, error) {
	f.calls = append(f.calls, d)
	if f.err != nil {
		return nil, f.err
	}
	return map[string]int64{"things": int64(len(f.calls))}, nil
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestParseDate(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"2026-11-22", "2026-11-22", true},
		{"2028-02-29", "2028-02-29", true},
		{"2026-02-29", "", false},
		{"22.11.2026", "", false},
		{"2026-11-22T00:00:00Z", "", false},
		{"", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			d, err := core.ParseDate("--at", tc.in)
			var ve *core.ValidationError
			switch {
			case tc.ok && (err != nil || d.String() != tc.want):
				t.Errorf("core.ParseDate(%q) = %v, %v; want %s", tc.in, d, err, tc.want)
			case !tc.ok && (!errors.As(err, &ve) || ve.Fields["--at"] == ""):
				t.Errorf("core.ParseDate(%q) error = %v, want a field error on --at", tc.in, err)
			}
		})
	}
}

func TestRunner(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{schema.Set}, func(t *testing.T, h *db.Handle) {
		ctx := context.Background()
		clock := core.NewFrozenClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
		day := core.Date{Year: 2026, Month: 11, Day: 22}

		empty := NewRunner(h, clock, "n1", quiet())
		sum, err := empty.Run(ctx, day, TriggerCLI)
		if err != nil || sum.Status != "ok" || len(sum.Steps) != 0 {
			t.Fatalf("empty run = %+v, %v; want ok with no steps", sum, err)
		}

		r := NewRunner(h, clock, "n1", quiet())
		a, bad, c := &fakeStep{name: "a"}, &fakeStep{name: "bad", err: errors.New("server down")}, &fakeStep{name: "c"}
		for _, s := range []Step{a, bad, c} {
			if err := r.Register(s); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Register(&fakeStep{name: "a"}); !errors.Is(err, core.ErrConflict) {
			t.Errorf("duplicate step: error = %v, want ErrConflict", err)
		}
		sum, err = r.Run(ctx, day, TriggerCLI)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Status != "failed" || len(sum.Steps) != 3 || sum.Steps[1].Error != "server down" || sum.Steps[2].Status != "ok" {
			t.Errorf("summary = %+v; want failed, with step c still run after bad", sum)
		}
		if len(c.calls) != 1 || c.calls[0] != day {
			t.Errorf("step c calls = %v, want one as of %s", c.calls, day)
		}
		if err := r.Register(&fakeStep{name: "late"}); !errors.Is(err, core.ErrPrecondition) {
			t.Errorf("register after run: error = %v, want ErrPrecondition", err)
		}
		var rows []runRow
		h.W.Order("id").Find(&rows)
		if len(rows) != 2 || rows[1].Status != "failed" || rows[1].FinishedAt == nil || rows[1].RunDate != "2026-11-22" {
			t.Errorf("recorded runs = %+v", rows)
		}
	})
}

func TestSchedulerDue(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no tzdata:", err)
	}
	s := &Scheduler{Hour: 3, Location: berlin}
	cases := []struct {
		name string
		now  time.Time
		want string
	}{
		{"before the hour", time.Date(2026, 11, 22, 1, 59, 0, 0, time.UTC), ""}, // 02:59 CET
		{"at the hour", time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC), "2026-11-22"},
		{"late evening", time.Date(2026, 11, 22, 22, 30, 0, 0, time.UTC), "2026-11-22"},             // 23:30 CET
		{"after local midnight", time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC), ""},               // 00:30 CET on the 23rd
		{"DST start: 02:00 is skipped", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), "2026-03-29"}, // 03:00 CEST
		{"DST end: 02:30 happens twice", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), ""},        // 02:30 CET
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, ok := s.Due(tc.now)
			got := ""
			if ok {
				got = d.String()
			}
			if got != tc.want {
				t.Errorf("Due(%v) = %q, want %q", tc.now.In(berlin), got, tc.want)
			}
		})
	}
}

func TestSchedulerRunsEachDayOnce(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{schema.Set}, func(t *testing.T, h *db.Handle) {
		ctx := context.Background()
		clock := core.NewFrozenClock(time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC))
		r := NewRunner(h, clock, "n1", quiet())
		step := &fakeStep{name: "s", err: errors.New("flaky")}
		r.Register(step)
		s := &Scheduler{Runner: r, Hour: 3, Location: time.UTC}
		s.check(ctx)
		if len(step.calls) != 0 {
			t.Fatalf("ran before the hour: %v", step.calls)
		}
		clock.Set(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
		s.check(ctx)
		clock.Advance(time.Minute)
		s.check(ctx)
		if len(step.calls) != 1 {
			t.Fatalf("failed day re-ran within %v: %d calls", RetryAfter, len(step.calls))
		}
		step.err = nil
		clock.Advance(RetryAfter)
		s.check(ctx)
		clock.Advance(RetryAfter)
		s.check(ctx)
		if len(step.calls) != 2 {
			t.Fatalf("calls after retry = %d, want 2 (one retry, then done)", len(step.calls))
		}
		// A second node sharing the database sees the day done.
		other := NewRunner(h, clock, "n2", quiet())
		step2 := &fakeStep{name: "s"}
		other.Register(step2)
		(&Scheduler{Runner: other, Hour: 3, Location: time.UTC}).check(ctx)
		if len(step2.calls) != 0 {
			t.Errorf("second node re-ran a finished day")
		}
		clock.Set(time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC))
		s.check(ctx)
		if n := len(step.calls); n != 3 || step.calls[2] != (core.Date{Year: 2026, Month: 11, Day: 23}) {
			t.Errorf("next day: calls %v", step.calls)
		}
	})
}

// TestAbandonedRuns: a run killed midway stays "running" until the next
// run starts, which marks it abandoned when its process on this host is
// gone or its heartbeat stopped; a live run elsewhere is left alone.
func TestAbandonedRuns(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{schema.Set}, func(t *testing.T, h *db.Handle) {
		ctx := context.Background()
		now := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
		clock := core.NewFrozenClock(now)
		host, _ := os.Hostname()
		gone := exec.Command("true")
		if err := gone.Run(); err != nil {
			t.Fatal(err)
		}
		at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
		rows := []runRow{
			{RunDate: "2026-11-21", TriggeredBy: "cli", Node: fmt.Sprintf("%s:%d", host, gone.Process.Pid), StartedAt: now.Add(-time.Minute), HeartbeatAt: at(-time.Second), Status: RunRunning},
			{RunDate: "2026-11-21", TriggeredBy: "schedule", Node: "elsewhere:7", StartedAt: now.Add(-time.Hour), HeartbeatAt: at(-10 * time.Minute), Status: RunRunning},
			{RunDate: "2026-11-22", TriggeredBy: "schedule", Node: "elsewhere:8", StartedAt: now.Add(-time.Minute), HeartbeatAt: at(-20 * time.Second), Status: RunRunning},
			{RunDate: "2026-11-20", TriggeredBy: "cli", Node: "elsewhere:9", StartedAt: now.Add(-time.Hour), Status: RunOK},
		}
		for i := range rows {
			if err := h.W.Create(&rows[i]).Error; err != nil {
				t.Fatal(err)
			}
		}
		r := NewRunner(h, clock, "n1", quiet())
		sum, err := r.Run(ctx, core.Date{Year: 2026, Month: 11, Day: 22}, TriggerCLI)
		if err != nil || sum.Abandoned != 2 {
			t.Fatalf("run = %+v, %v; want 2 earlier runs abandoned", sum, err)
		}
		var got []runRow
		h.W.Order("id").Find(&got)
		want := []string{RunAbandoned, RunAbandoned, RunRunning, RunOK, RunOK}
		for i, w := range want {
			if got[i].Status != w {
				t.Errorf("run %d (%s) is %s, want %s", got[i].ID, got[i].Node, got[i].Status, w)
			}
		}
		if got[0].FinishedAt == nil || !strings.Contains(got[0].Summary, "no sign of life") {
			t.Errorf("abandoned run: finished %v, summary %q", got[0].FinishedAt, got[0].Summary)
		}
	})
}

// TestHeartbeat: a running run renews its heartbeat.
func TestHeartbeat(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{schema.Set}, func(t *testing.T, h *db.Handle) {
		clock := core.NewFrozenClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
		r := NewRunner(h, clock, "n1", quiet())
		r.Heartbeat = 5 * time.Millisecond
		var seen []time.Time
		r.Register(stepFunc(func(ctx context.Context) {
			for range 3 {
				clock.Advance(time.Minute)
				time.Sleep(40 * time.Millisecond)
				var row runRow
				h.R.Order("id DESC").Take(&row)
				seen = append(seen, *row.HeartbeatAt)
			}
		}))
		if _, err := r.Run(context.Background(), core.Date{Year: 2026, Month: 11, Day: 22}, TriggerCLI); err != nil {
			t.Fatal(err)
		}
		if len(seen) != 3 || !seen[2].After(seen[0]) {
			t.Fatalf("heartbeats seen during the run: %v; want them to move", seen)
		}
	})
}

// TestDryRunRollsBack: a dry run runs the database steps in a transaction
// it rolls back, skips the others, and records no run.
func TestDryRunRollsBack(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{schema.Set}, func(t *testing.T, h *db.Handle) {
		clock := core.NewFrozenClock(time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC))
		r := NewRunner(h, clock, "n1", quiet())
		net := &fakeStep{name: "net"}
		r.Register(net)
		var inTx bool
		r.Register(dbStep(func(ctx context.Context) error {
			inTx = db.InTx(ctx)
			return h.Conn(ctx).Exec("INSERT INTO settings (level, scope_id, name, value, updated_at) VALUES ('panel', '', 'x', '1', ?)", clock.Now()).Error
		}))
		var during int64
		sum, err := r.DryRun(context.Background(), core.Date{Year: 2026, Month: 11, Day: 22}, nil, func(ctx context.Context) error {
			return h.Conn(ctx).Table("settings").Count(&during).Error
		})
		if err != nil || !sum.DryRun || sum.Steps[0].Status != StepSkipped || sum.Steps[1].Status != RunOK {
			t.Fatalf("dry run = %+v, %v", sum, err)
		}
		var after, runs int64
		h.W.Table("settings").Count(&after)
		h.W.Table("automation_runs").Count(&runs)
		if !inTx || during != 1 || after != 0 || runs != 0 || len(net.calls) != 0 {
			t.Fatalf("in a transaction %v, rows during %d, after %d, runs recorded %d, network step calls %d", inTx, during, after, runs, len(net.calls))
		}
	})
}

type stepFunc func(ctx context.Context)

func (stepFunc) Name() string { return "func" }
func (f stepFunc) Run(ctx context.Context, _ core.Date) (map[string]int64, error) {
	f(ctx)
	return nil, nil
}

type dbStep func(ctx context.Context) error

func (dbStep) Name() string { return "db" }
func (dbStep) DryRunSafe()  {}
func (f dbStep) Run(ctx context.Context, _ core.Date) (map[string]int64, error) {
	return nil, f(ctx)
}
