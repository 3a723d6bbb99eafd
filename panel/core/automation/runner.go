// Package automation runs the daily automation: registered steps, in
// order, as of a date, from the CLI (faktura run --at) or the scheduler
// inside faktura serve. Every step must be idempotent: running a day twice,
// or on two nodes at once, changes nothing the second time.
package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
)

// Step is one stage of the daily run (collect usage, invoice, dunning...).
type Step interface {
	// Name is stable, e.g. "billing.invoice".
	Name() string
	// Run does the step's work as of day and reports counts of what it did
	// (e.g. {"invoices_created": 12}). It must be idempotent.
	Run(ctx context.Context, day Date) (map[string]int64, error)
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
	Date    Date         `json:"date"`
	Trigger Trigger      `json:"trigger"`
	Status  string       `json:"status"` // ok or failed
	Steps   []StepResult `json:"steps"`
}

// Runner holds the registered steps. Steps are registered during wiring;
// registering after the first run is an error.
type Runner struct {
	db    *db.Handle
	clock core.Clock
	node  string
	log   *slog.Logger

	mu      sync.Mutex
	started bool
	steps   []Step
}

// NewRunner returns a Runner recording its runs in h.
func NewRunner(h *db.Handle, clock core.Clock, node string, log *slog.Logger) *Runner {
	return &Runner{db: h, clock: clock, node: node, log: log}
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
	Status      string
	Summary     string
}

func (runRow) TableName() string { return "automation_runs" }

// Run runs every step as of day. A failing step is logged and reported, and
// the following steps still run (each is independent and idempotent); the
// run's status is failed if any step failed. The run is recorded in
// automation_runs.
func (r *Runner) Run(ctx context.Context, day Date, trigger Trigger) (Summary, error) {
	r.mu.Lock()
	r.started = true
	steps := append([]Step(nil), r.steps...)
	r.mu.Unlock()

	row := runRow{RunDate: day.String(), TriggeredBy: string(trigger), Node: r.node, StartedAt: r.clock.Now(), Status: "running"}
	if err := r.db.Conn(ctx).Create(&row).Error; err != nil {
		return Summary{}, fmt.Errorf("record run start: %w", err)
	}
	sum := Summary{Date: day, Trigger: trigger, Status: "ok", Steps: []StepResult{}}
	r.log.Info("daily run started", "date", day.String(), "trigger", trigger, "steps", len(steps))
	for _, s := range steps {
		start := time.Now()
		counts, err := s.Run(ctx, day)
		res := StepResult{Name: s.Name(), Status: "ok", Counts: counts, DurationMS: time.Since(start).Milliseconds()}
		if res.Counts == nil {
			res.Counts = map[string]int64{}
		}
		if err != nil {
			res.Status, res.Error, sum.Status = "failed", err.Error(), "failed"
			r.log.Error("daily run step failed", "step", s.Name(), "date", day.String(), "err", err)
		} else {
			r.log.Info("daily run step done", "step", s.Name(), "date", day.String(), "counts", res.Counts)
		}
		sum.Steps = append(sum.Steps, res)
	}
	b, _ := json.Marshal(sum)
	end := r.clock.Now()
	err := r.db.Conn(context.WithoutCancel(ctx)).Model(&runRow{}).Where("id = ?", row.ID).
		Updates(map[string]any{"finished_at": end, "status": sum.Status, "summary": string(b)}).Error
	if err != nil {
		return sum, fmt.Errorf("record run end: %w", err)
	}
	r.log.Info("daily run finished", "date", day.String(), "status", sum.Status)
	return sum, nil
}

// scheduledState tells whether a scheduled run for day succeeded on any
// node, and when the latest one (of any outcome) started.
func (r *Runner) scheduledState(ctx context.Context, day Date) (ok bool, lastStart time.Time, err error) {
	var rows []runRow
	err = r.db.Read(ctx).Where("run_date = ? AND triggered_by = ?", day.String(), string(TriggerSchedule)).
		Order("started_at DESC").Find(&rows).Error
	for _, row := range rows {
		ok = ok || row.Status == "ok"
	}
	if len(rows) > 0 {
		lastStart = rows[0].StartedAt
	}
	return ok, lastStart, err
}
