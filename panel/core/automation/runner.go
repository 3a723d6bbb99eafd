// Package automation runs the daily automation: registered steps, in
// order, as of a date, from the CLI (faktura run --at) or the scheduler
// inside faktura serve. Every step must be idempotent: running a day twice,
// or on two nodes at once, changes nothing the second time.
package automation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/lease"
)

// Step is one stage of the daily run (collect usage, invoice, dunning...).
type Step interface {
	// Name is stable, e.g. "billing.invoice".
	Name() string
	// Run does the step's work as of day and reports counts of what it did
	// (e.g. {"invoices_created": 12}). It must be idempotent.
	Run(ctx context.Context, day core.Date) (map[string]int64, error)
}

// DryRunner is a step that only reads and writes the database (no
// server, mail or network call) and joins the transaction in its
// context: a dry run runs it in a transaction it then rolls back. Steps
// that are not DryRunners are skipped in a dry run.
type DryRunner interface {
	DryRunSafe()
}

// Trigger says who started a run.
type Trigger string

// Triggers.
const (
	TriggerSchedule Trigger = "schedule"
	TriggerCLI      Trigger = "cli"
)

// StepResult is what one step did.
type StepResult struct {
	Name       string           `json:"name"`
	Status     string           `json:"status"` // ok or failed
	Counts     map[string]int64 `json:"counts"`
	Error      string           `json:"error,omitempty"`
	DurationMS int64            `json:"duration_ms"`
}

// Summary is what a run did, step by step.
type Summary struct {
	Date      core.Date    `json:"date"`
	Trigger   Trigger      `json:"trigger"`
	Status    string       `json:"status"` // ok or failed
	DryRun    bool         `json:"dry_run,omitempty"`
	Abandoned int          `json:"abandoned_runs,omitempty"` // earlier runs found dead and marked abandoned
	Steps     []StepResult `json:"steps"`
}

// Run states in automation_runs.
const (
	RunRunning   = "running"
	RunOK        = "ok"
	RunFailed    = "failed"
	RunAbandoned = "abandoned"
)

// StepSkipped is the status of a step a dry run leaves out.
const StepSkipped = "skipped"

// Runner holds the registered steps. Steps are registered during wiring;
// registering after the first run is an error.
type Runner struct {
	db    *db.Handle
	clock core.Clock
	node  string
	log   *slog.Logger

	// Heartbeat is how often a running run renews heartbeat_at; a run not
	// renewed for three of them (or whose process on this host is gone)
	// is abandoned. Default 30 s.
	Heartbeat time.Duration

	mu      sync.Mutex
	started bool
	steps   []Step
}

// NewRunner returns a Runner recording its runs in h.
func NewRunner(h *db.Handle, clock core.Clock, node string, log *slog.Logger) *Runner {
	return &Runner{db: h, clock: clock, node: node, log: log, Heartbeat: 30 * time.Second}
}

// Register appends a step; names must be unique.
func (r *Runner) Register(s Step) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return core.E(core.ErrPrecondition, "automation: cannot register step %s after the first run", s.Name())
	}
	for _, o := range r.steps {
		if o.Name() == s.Name() {
			return core.E(core.ErrConflict, "automation: step %s is already registered", s.Name())
		}
	}
	r.steps = append(r.steps, s)
	return nil
}

// Steps returns the registered step names in run order.
func (r *Runner) Steps() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, len(r.steps))
	for i, s := range r.steps {
		names[i] = s.Name()
	}
	return names
}

type runRow struct {
	ID          int64 `gorm:"primaryKey"`
	RunDate     string
	TriggeredBy string
	Node        string
	StartedAt   time.Time
	FinishedAt  *time.Time
	HeartbeatAt *time.Time
	Status      string
	Summary     string
}

func (runRow) TableName() string { return "automation_runs" }

// Run runs every step as of day. A failing step is logged and reported, and
// the following steps still run (each is independent and idempotent); the
// run's status is failed if any step failed. The run is recorded in
// automation_runs, renewed by a heartbeat while it runs; runs that died
// before (their process is gone, or their heartbeat stopped) are marked
// abandoned first.
func (r *Runner) Run(ctx context.Context, day core.Date, trigger Trigger) (Summary, error) {
	steps := r.start()
	abandoned, err := r.abandonDead(ctx)
	if err != nil {
		return Summary{}, err
	}
	now := r.clock.Now()
	row := runRow{RunDate: day.String(), TriggeredBy: string(trigger), Node: r.node, StartedAt: now, HeartbeatAt: &now, Status: RunRunning}
	if err := r.db.Conn(ctx).Create(&row).Error; err != nil {
		return Summary{}, fmt.Errorf("record run start: %w", err)
	}
	stop := r.beat(ctx, row.ID)
	sum := Summary{Date: day, Trigger: trigger, Status: RunOK, Abandoned: abandoned, Steps: []StepResult{}}
	r.log.Info("daily run started", "date", day.String(), "trigger", trigger, "steps", len(steps))
	for _, s := range steps {
		sum.Steps = append(sum.Steps, r.step(ctx, s, day, &sum))
	}
	stop()
	b, _ := json.Marshal(sum)
	end := r.clock.Now()
	err = r.db.Conn(context.WithoutCancel(ctx)).Model(&runRow{}).Where("id = ?", row.ID).
		Updates(map[string]any{"finished_at": end, "heartbeat_at": end, "status": sum.Status, "summary": string(b)}).Error
	if err != nil {
		return sum, fmt.Errorf("record run end: %w", err)
	}
	r.log.Info("daily run finished", "date", day.String(), "status", sum.Status)
	return sum, nil
}

// DryRun runs, as of day, the steps that only touch the database, in one
// transaction that it rolls back: it shows what a real run would do and
// changes nothing (the run is not recorded either). Other steps are
// reported as skipped. inspect, when not nil, is called inside the
// transaction before the steps (before) and after them (after), to look
// at what they wrote.
func (r *Runner) DryRun(ctx context.Context, day core.Date, before, after func(ctx context.Context) error) (Summary, error) {
	steps := r.start()
	sum := Summary{Date: day, Trigger: TriggerCLI, Status: RunOK, DryRun: true, Steps: []StepResult{}}
	err := r.db.WithTx(ctx, func(ctx context.Context) error {
		sum.Status, sum.Steps = RunOK, sum.Steps[:0]
		if before != nil {
			if err := before(ctx); err != nil {
				return err
			}
		}
		for _, s := range steps {
			if _, ok := s.(DryRunner); !ok {
				sum.Steps = append(sum.Steps, StepResult{Name: s.Name(), Status: StepSkipped, Counts: map[string]int64{}})
				continue
			}
			sum.Steps = append(sum.Steps, r.step(ctx, s, day, &sum))
		}
		if after != nil {
			if err := after(ctx); err != nil {
				return err
			}
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return sum, err
}

var errDryRun = errors.New("automation: dry run, rolled back")

func (r *Runner) start() []Step {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started = true
	return append([]Step(nil), r.steps...)
}

// step runs one step and reports it; a failure marks the run failed.
func (r *Runner) step(ctx context.Context, s Step, day core.Date, sum *Summary) StepResult {
	start := time.Now()
	counts, err := s.Run(ctx, day)
	res := StepResult{Name: s.Name(), Status: RunOK, Counts: counts, DurationMS: time.Since(start).Milliseconds()}
	if res.Counts == nil {
		res.Counts = map[string]int64{}
	}
	if err != nil {
		res.Status, res.Error, sum.Status = RunFailed, err.Error(), RunFailed
		r.log.Error("daily run step failed", "step", s.Name(), "date", day.String(), "err", err)
	} else {
		r.log.Info("daily run step done", "step", s.Name(), "date", day.String(), "counts", res.Counts)
	}
	return res
}

// beat renews the run's heartbeat until the returned stop is called.
func (r *Runner) beat(ctx context.Context, id int64) (stop func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(r.Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := r.db.Conn(ctx).Model(&runRow{}).Where("id = ? AND status = ?", id, RunRunning).
					Update("heartbeat_at", r.clock.Now()).Error; err != nil && ctx.Err() == nil {
					r.log.Warn("daily run heartbeat", "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// abandonDead marks running runs abandoned whose process on this host is
// gone, or whose heartbeat is older than three intervals (a killed or
// crashed run); it returns how many.
func (r *Runner) abandonDead(ctx context.Context) (int, error) {
	var rows []runRow
	if err := r.db.Conn(ctx).Where("status = ?", RunRunning).Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("find running runs: %w", err)
	}
	now, n := r.clock.Now(), 0
	for _, row := range rows {
		last := row.StartedAt
		if row.HeartbeatAt != nil {
			last = *row.HeartbeatAt
		}
		if !lease.Expired(row.Node, last, now, 3*r.Heartbeat) {
			continue
		}
		note, _ := json.Marshal(map[string]string{"abandoned": fmt.Sprintf("no sign of life from %s since %s", row.Node, last.UTC().Format(time.RFC3339))})
		res := r.db.Conn(ctx).Model(&runRow{}).Where("id = ? AND status = ?", row.ID, RunRunning).
			Updates(map[string]any{"status": RunAbandoned, "finished_at": now, "summary": string(note)})
		if res.Error != nil {
			return n, fmt.Errorf("mark run %d abandoned: %w", row.ID, res.Error)
		}
		if res.RowsAffected == 1 {
			n++
			r.log.Warn("daily run abandoned", "run", row.ID, "date", row.RunDate, "node", row.Node, "last_seen", last)
		}
	}
	return n, nil
}

// scheduledState tells whether a scheduled run for day succeeded on any
// node, and when the latest one (of any outcome) started.
func (r *Runner) scheduledState(ctx context.Context, day core.Date) (ok bool, lastStart time.Time, err error) {
	var rows []runRow
	err = r.db.Read(ctx).Where("run_date = ? AND triggered_by = ?", day.String(), string(TriggerSchedule)).
		Order("started_at DESC").Find(&rows).Error
	for _, row := range rows {
		ok = ok || row.Status == RunOK
	}
	if len(rows) > 0 {
		lastStart = rows[0].StartedAt
	}
	return ok, lastStart, err
}

// Record is a recorded daily run, for the dashboards.
type Record struct {
	Date       string
	Trigger    string
	Status     string
	StartedAt  time.Time
	FinishedAt *time.Time
	Failed     []StepResult // the steps that failed, with their errors
}

// LastRun is the latest recorded run; ok is false before the first.
func (r *Runner) LastRun(ctx context.Context) (rec Record, ok bool, err error) {
	var row runRow
	res := r.db.Read(ctx).Order("id DESC").Limit(1).Find(&row)
	if res.Error != nil || res.RowsAffected == 0 {
		return rec, false, res.Error
	}
	rec = Record{Date: row.RunDate, Trigger: row.TriggeredBy, Status: row.Status, StartedAt: row.StartedAt, FinishedAt: row.FinishedAt}
	var sum Summary
	if row.Summary != "" && json.Unmarshal([]byte(row.Summary), &sum) == nil {
		for _, st := range sum.Steps {
			if st.Status == RunFailed {
				rec.Failed = append(rec.Failed, st)
			}
		}
	}
	return rec, true, nil
}
