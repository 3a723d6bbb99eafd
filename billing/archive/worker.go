package archive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/queue"
)

// Job states.
const (
	JobPending = "pending"
	JobDone    = "done"
	JobFailed  = "failed" // stopped after jobAttempts; `faktura` retries it once mended
)

// jobAttempts is how often a rendering is tried before it stops.
const jobAttempts = 6

// job is a document waiting to be rendered.
type job struct {
	ID            int64
	InvoiceID     int64
	Line          string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LockedBy      *string
	LastError     string
	CreatedAt     time.Time
	DoneAt        *time.Time
}

func (job) TableName() string { return "document_jobs" }

// QueueID implements queue.Item.
func (j job) QueueID() int64 { return j.ID }

var jobQueue = queue.Spec{Table: "document_jobs", Line: "line", Pending: JobPending, Stopped: JobFailed}

// Worker renders queued documents; several may run, in one process or many.
type Worker struct {
	s     *Service
	q     *queue.Queue
	log   *slog.Logger
	batch int
	par   int
	done  atomic.Int64
}

// NewWorker returns a worker that identifies itself as node and renders
// up to par documents at once (the rendering is CPU-bound: one per core).
func (s *Service) NewWorker(node string, par int, log *slog.Logger) *Worker {
	return &Worker{s: s, log: log, batch: 50 * max(par, 1), par: max(par, 1), q: queue.New(s.db, jobQueue, node,
		queue.Policy{Lease: 10 * time.Minute, MaxAttempts: jobAttempts, BackoffBase: 10 * time.Second, BackoffMax: time.Hour})}
}

// Run works until ctx ends.
func (w *Worker) Run(ctx context.Context) {
	queue.Loop(ctx, w.s.wake, 5*time.Second, w.RunOnce, func(err error) { w.log.Error("document rendering", "err", err) })
}

// RunOnce claims due documents, renders them (par at a time, outside any
// transaction), stores each one's files in its own transaction, and
// returns how many it claimed. Progress is logged per batch.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	jobs, err := queue.Claim[job](ctx, w.q, w.s.now(), w.batch)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan job)
	var failed atomic.Int64
	for range w.par {
		wg.Go(func() {
			for j := range next {
				if w.one(ctx, j) != nil { // logged by one
					failed.Add(1)
				}
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	total := w.done.Add(int64(len(jobs)) - failed.Load())
	w.log.Info("documents rendered", "batch", len(jobs), "failed", failed.Load(), "seconds", time.Since(start).Seconds(), "total", total)
	return len(jobs), nil
}

// one renders and stores one document; a failure is recorded on its job.
func (w *Worker) one(ctx context.Context, j job) error {
	rs, err := w.s.render(ctx, j.InvoiceID, nil)
	if err == nil {
		err = w.s.db.WithTx(ctx, func(ctx context.Context) error {
			if err := w.q.Fence(ctx, j.ID); err != nil {
				return err
			}
			if err := w.s.storeTx(ctx, j.InvoiceID, rs); err != nil {
				return err
			}
			return w.q.Finish(ctx, j.ID, map[string]any{"status": JobDone, "done_at": w.s.now(), "last_error": ""})
		})
	}
	if err == nil || errors.Is(err, queue.ErrLeaseLost) {
		return nil
	}
	attempts := j.Attempts
	if errors.Is(err, core.ErrNotFound) || errors.Is(err, core.ErrPrecondition) {
		attempts = jobAttempts - 1 // no retry mends it
	}
	f, ferr := w.q.Fail(ctx, j.ID, attempts, err, w.s.now())
	if ferr != nil {
		return ferr
	}
	w.log.Warn("document not rendered", "invoice", j.InvoiceID, "attempts", f.Attempts, "stopped", f.Stopped, "err", err)
	return err
}

// Pending counts documents waiting to be rendered and those stopped.
func (s *Service) Pending(ctx context.Context) (pending, stopped int64, err error) {
	return queue.Backlog(ctx, s.db, jobQueue)
}

// EnqueueMissing queues every finalized document that has no rendering
// job yet (issued while events were not delivered, or before the archive
// existed), a batch at a time; it returns how many it queued.
func (s *Service) EnqueueMissing(ctx context.Context) (int64, error) {
	var total int64
	for {
		var ids []int64
		err := s.db.Read(ctx).Table("invoices").
			Where("number IS NOT NULL AND NOT EXISTS (SELECT 1 FROM document_jobs j WHERE j.invoice_id = invoices.id)").
			Order("id").Limit(1000).Pluck("id", &ids).Error
		if err != nil {
			return total, fmt.Errorf("documents to render: %w", err)
		}
		if len(ids) == 0 {
			return total, nil
		}
		if err := s.Enqueue(ctx, ids...); err != nil {
			return total, err
		}
		total += int64(len(ids))
	}
}

// RenderStep is documents.render in the daily run: it queues what was
// finalized and renders the queue with Workers workers until it is empty.
type RenderStep struct {
	S       *Service
	Node    string
	Workers int
	Log     *slog.Logger
}

// Name implements automation.Step.
func (RenderStep) Name() string { return "documents.render" }

// Run implements automation.Step.
func (st RenderStep) Run(ctx context.Context, _ core.Date) (map[string]int64, error) {
	queued, err := st.S.EnqueueMissing(ctx)
	if err != nil {
		return nil, err
	}
	w := st.S.NewWorker(st.Node, st.Workers, st.Log)
	var claimed int64
	for {
		n, err := w.RunOnce(ctx)
		claimed += int64(n)
		if err != nil {
			return map[string]int64{"queued": queued, "rendered": w.done.Load()}, err
		}
		if n == 0 {
			break
		}
	}
	_, stopped, err := st.S.Pending(ctx)
	return map[string]int64{"queued": queued, "rendered": w.done.Load(), "failed": claimed - w.done.Load(), "stopped": stopped}, err
}
