package provisioning

import (
	"context"
	"log/slog"

	"faktura/panel/core"
)

// HealthStep is the daily-run step that tests every enabled server's
// connection and records its health.
type HealthStep struct{ S *Service }

// Name names the step in run summaries.
func (HealthStep) Name() string { return "provisioning.health" }

// Run tests each enabled server; a failing server is counted, not an
// error of the step (its health shows on the Servers page).
func (st HealthStep) Run(ctx context.Context, _ core.Date) (map[string]int64, error) {
	servers, err := st.S.Servers(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[string]int64{"ok": 0, "failing": 0}
	for _, srv := range servers {
		if !srv.Enabled {
			continue
		}
		got, err := st.S.TestServer(ctx, srv.ID)
		if err != nil {
			return counts, err
		}
		counts[got.Health]++
	}
	return counts, nil
}

// JobsStep is the daily-run step that runs the driver jobs that are due,
// for installations where no `faktura serve` runs the worker all day.
type JobsStep struct {
	S    *Service
	Node string
	Log  *slog.Logger
}

// Name names the step in run summaries.
func (JobsStep) Name() string { return "provisioning.jobs" }

// Run claims due jobs until none is left (jobs are idempotent, so a rerun
// of the day is harmless) and reports how many ran and how many still wait
// or failed.
func (st JobsStep) Run(ctx context.Context, _ core.Date) (map[string]int64, error) {
	w := st.S.NewWorker(st.Node, st.Log)
	var ran int64
	for range 1000 {
		n, err := w.RunOnce(ctx)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		ran += int64(n)
	}
	backlog, err := st.S.JobBacklog(ctx)
	if err != nil {
		return nil, err
	}
	return map[string]int64{"ran": ran, "waiting": backlog[JobPending], "failed": backlog[JobFailed]}, nil
}
