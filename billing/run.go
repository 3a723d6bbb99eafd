package billing

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/settings"
)

// runSettings are the keys the run resolves per contract and invoice.
var runSettings = []string{LeadDays.Name, Grouping.Name, AutoFinalize.Name, ApprovalThreshold.Name, ApprovalNewCustomer.Name,
	ApprovalManualLines.Name, VIESFallback.Name, VIESUnconfirmed.Name, PaymentDays.Name}

// RunSummary is what one invoice run did.
type RunSummary struct {
	Contracts int      // contracts whose periods were invoiced
	Periods   int      // periods invoiced
	Invoices  int      // documents created
	Finalized int      // documents numbered and finalized (also ones an earlier run left unnumbered)
	Held      int      // of which awaiting approval
	Drafts    int      // of which left as drafts (auto-finalize off)
	Skipped   int      // planned contracts another run invoiced first
	Failed    int      // units that failed (logged, retried next run)
	Pending   int      // buckets another run still held when this one stopped
	Retries   int64    // transactions run again after a conflict (deadlock, Galera certification)
	Errors    []string // the first failures
}

func (r *RunSummary) add(o RunSummary) {
	r.Contracts += o.Contracts
	r.Periods += o.Periods
	r.Invoices += o.Invoices
	r.Finalized += o.Finalized
	r.Held += o.Held
	r.Drafts += o.Drafts
	r.Skipped += o.Skipped
	r.Failed += o.Failed
	r.Pending += o.Pending
	for _, e := range o.Errors {
		if len(r.Errors) < 20 {
			r.Errors = append(r.Errors, e)
		}
	}
}

// InvoiceRun invoices every contract whose next period starts within its
// lead time of day; it is the billing.invoice step of the daily run.
//
// It plans the due contracts into units (one invoice each: a subproject,
// or a customer that is billed one invoice per customer) and hashes the
// units into buckets. Workers claim buckets in billing_run_claims (each
// process starts at its own place in the list), so several workers,
// processes or Galera nodes share a run and rarely touch the same rows;
// a claim whose holder died or stopped renewing it is taken over. Each
// chunk of a bucket is one transaction: it locks the units' contracts,
// re-reads which are due, builds the documents, advances the contracts,
// then locks the seller's number series and writes the documents,
// numbered, with their lines and billed periods. On Galera the documents
// are written as issuing instead and numbered by a second, short
// transaction (issue), so two nodes never lock one series row in their
// long transactions. A unique key per billed (subject, period) and the
// re-check under lock make a re-run, runs at once, or a run after a crash
// invoice nothing twice; numbers stay gapless. The run waits for buckets
// other live runs hold, so when it returns the day is invoiced, except
// for units that failed (counted and named; the next run retries them).
//
// Inside a caller's transaction (a dry run) it works with one worker and
// does not wait for other runs.
func (s *Service) InvoiceRun(ctx context.Context, day Date) (RunSummary, error) {
	snap, err := s.settings.Snapshot(ctx, runSettings...)
	if err != nil {
		return RunSummary{}, err
	}
	retries := s.db.Retries()
	r, err := s.newRun(ctx, snap, day)
	if err != nil {
		return RunSummary{}, err
	}
	if err := s.pruneClaims(ctx, day); err != nil {
		return RunSummary{}, err
	}
	if err := s.fire("run.planned"); err != nil {
		return RunSummary{}, err
	}
	workers := s.opt.RunWorkers
	if r.dry {
		workers = 1
	}
	s.log.Info("invoice run planned", "day", day.String(), "units", r.units, "buckets", len(r.buckets), "holder", r.holder)
	r.claimPass(ctx, min(workers, max(1, len(r.buckets))))
	r.waitPass(ctx)
	n, err := s.IssuePending(ctx)
	r.sum.Finalized += n
	if err != nil {
		r.sum.Errors = append(r.sum.Errors, "issue pending documents: "+err.Error())
	}
	r.sum.Retries = s.db.Retries() - retries
	s.log.Info("invoice run done", "day", day.String(), "invoices", r.sum.Invoices, "finalized", r.sum.Finalized, "held", r.sum.Held,
		"failed", r.sum.Failed, "skipped", r.sum.Skipped, "retries", r.sum.Retries)
	return r.sum, ctx.Err()
}

// run is one invoice run's state, shared by its workers.
type run struct {
	s       *Service
	snap    *settings.Snapshot
	day     Date
	planAt  time.Time
	horizon string // day plus the longest lead time
	holder  string
	dry     bool
	units   int
	buckets []bucket
	groups  *groupCache

	mu       sync.Mutex
	sum      RunSummary
	deferred []int // buckets other runs held
}

func (s *Service) newRun(ctx context.Context, snap *settings.Snapshot, day Date) (*run, error) {
	r := &run{s: s, snap: snap, day: day, planAt: s.now(), holder: s.newHolder(), dry: db.InTx(ctx)}
	units, err := s.plan(ctx, r)
	if err != nil {
		return nil, err
	}
	r.units = len(units)
	r.buckets = bucketize(units, s.opt.RunChunk)
	return r, nil
}

func (r *run) add(o RunSummary) {
	r.mu.Lock()
	r.sum.add(o)
	r.mu.Unlock()
}

// claimPass walks every bucket once, starting at a place of its own
// (so processes that start together start apart): it works the buckets
// it claims and sets aside those another run holds.
func (r *run) claimPass(ctx context.Context, workers int) {
	n := len(r.buckets)
	if n == 0 {
		return
	}
	h := fnv.New32a()
	h.Write([]byte(r.holder))
	start := int(h.Sum32() % uint32(n))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				b := (start + i) % n
				if !r.visit(ctx, b) {
					r.mu.Lock()
					r.deferred = append(r.deferred, b)
					r.mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
}

// visit claims bucket b and works it; false when another run holds it
// and it must be looked at again. A claim that fails (after the
// database's retries) counts the bucket's units as failed, for the next
// run, rather than waiting for it.
func (r *run) visit(ctx context.Context, b int) bool {
	st, err := r.s.claim(ctx, r.day, r.buckets[b].key, r.holder, r.planAt, false)
	switch {
	case err != nil:
		r.s.log.Error("invoice run: claim failed", "bucket", r.buckets[b].key, "err", err)
		r.add(RunSummary{Failed: len(r.buckets[b].units), Errors: []string{fmt.Sprintf("bucket %s: %v", r.buckets[b].key, err)}})
		return true
	case st == claimHeld:
		return false
	case st == claimDone:
		r.add(RunSummary{Skipped: r.buckets[b].contracts})
		return true
	}
	r.work(ctx, b)
	return true
}

// waitPass waits for the buckets other runs held, taking over those whose
// holder died or stopped renewing its claim.
func (r *run) waitPass(ctx context.Context) {
	wait := 20 * time.Millisecond
	for len(r.deferred) > 0 && ctx.Err() == nil && !r.dry {
		var still []int
		for _, b := range r.deferred {
			if !r.visit(ctx, b) {
				still = append(still, b)
			}
		}
		if r.deferred = still; len(still) == 0 || core.Sleep(ctx, wait) != nil {
			break
		}
		wait = min(2*wait, r.s.opt.ClaimPoll)
	}
	r.sum.Pending = len(r.deferred)
	if r.sum.Pending > 0 {
		r.sum.Errors = append(r.sum.Errors, fmt.Sprintf("%d buckets were still held by another run", r.sum.Pending))
	}
}

// work invoices a claimed bucket chunk by chunk, renewing the claim after
// each, and marks it done.
func (r *run) work(ctx context.Context, b int) {
	bk := r.buckets[b]
	for _, ch := range chunkUnits(bk.units, r.s.opt.RunChunk) {
		if ctx.Err() != nil {
			return
		}
		got, issuing, err := r.s.runChunk(ctx, r, ch)
		if err != nil {
			// A failing chunk is retried unit by unit, so one bad customer
			// (no country, say) holds back only itself.
			got, issuing = r.s.runUnits(ctx, r, ch)
		}
		n, err := r.s.issue(ctx, issuing)
		got.Finalized += n
		if err != nil {
			got.Errors = append(got.Errors, fmt.Sprintf("number %d documents: %v", len(issuing), err))
			r.s.log.Error("invoice run: numbering failed; the run's end retries it", "documents", len(issuing), "err", err)
		}
		r.add(got)
		r.s.log.Info("invoice run progress", "bucket", bk.key, "invoices", got.Invoices, "contracts", got.Contracts)
		if !r.s.renewClaim(ctx, r.day, bk.key, r.holder) {
			r.s.log.Warn("invoice run: claim taken over by another run", "bucket", bk.key)
			return
		}
	}
	r.s.finishClaim(ctx, r.day, bk.key, r.holder)
}
