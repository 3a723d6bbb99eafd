package provisioning

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"faktura/panel/core/queue"
)

// Worker runs queued jobs: it claims those first in line for their
// account under a lease, calls the drivers outside any transaction (the
// jobs of one server one after another, servers side by side), and
// records each result in a transaction fenced by the lease.
type Worker struct {
	s    *Service
	q    *queue.Queue
	log  *slog.Logger
	poll time.Duration
}

// jobQueue is the job table as a leased queue: an account's jobs run in
// order, and a failed one holds back the account's later jobs.
var jobQueue = queue.Spec{Table: "provisioning_jobs", Line: "account_id", Pending: JobPending, Stopped: JobFailed}

// NewWorker returns a worker that identifies itself as node.
func (s *Service) NewWorker(node string, log *slog.Logger) *Worker {
	q := queue.New(s.db, jobQueue, node, queue.Policy{Lease: s.opt.Lease, MaxAttempts: s.opt.MaxAttempts, BackoffBase: s.opt.BackoffBase, BackoffMax: s.opt.BackoffMax})
	return &Worker{s: s, q: q, log: log, poll: 2 * time.Second}
}

// Run works until ctx ends, waking on new jobs in this process and
// polling for jobs that come due.
func (w *Worker) Run(ctx context.Context) error {
	queue.Loop(ctx, w.s.wake, w.poll, w.RunOnce, func(err error) { w.log.Error("provisioning worker", "err", err) })
	return nil
}

// RunOnce claims a batch of due jobs, runs them and returns how many it
// claimed.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	jobs, err := queue.Claim[Job](ctx, w.q, w.s.now(), 50)
	if err != nil || len(jobs) == 0 {
		return 0, err
	}
	byServer := map[int64][]Job{}
	for _, j := range jobs {
		byServer[j.ServerID] = append(byServer[j.ServerID], j)
	}
	var wg sync.WaitGroup
	for _, js := range byServer {
		wg.Go(func() {
			for _, j := range js {
				w.run(ctx, j)
			}
		})
	}
	wg.Wait()
	return len(jobs), nil
}

// run makes one job's driver call and records the outcome.
func (w *Worker) run(ctx context.Context, j Job) {
	err := w.call(ctx, j)
	if ctx.Err() != nil {
		w.release(j)
		return
	}
	if err == nil {
		err = w.s.db.WithTx(ctx, func(ctx context.Context) error {
			if err := w.fence(ctx, j); err != nil {
				return err
			}
			return w.s.apply(ctx, j)
		})
		if err == nil || errors.Is(err, queue.ErrLeaseLost) {
			return
		}
		err = fmt.Errorf("record result: %w", err)
	}
	w.fail(ctx, j, err)
}

// call builds the account's spec from the database and calls the driver
// with a deadline.
func (w *Worker) call(ctx context.Context, j Job) error {
	s := w.s
	srv, err := s.GetServer(ctx, j.ServerID)
	if err != nil {
		return err
	}
	d, err := s.Driver(srv)
	if err != nil {
		return err
	}
	spec, site, err := s.spec(ctx, j)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, s.opt.CallTimeout)
	defer cancel()
	switch j.Action {
	case ActionCreate:
		return d.CreateAccount(cctx, spec)
	case ActionSuspend:
		return d.SuspendAccount(cctx, spec)
	case ActionUnsuspend:
		return d.UnsuspendAccount(cctx, spec)
	case ActionTerminate:
		return d.TerminateAccount(cctx, spec)
	case ActionChangePackage:
		return d.ChangePackage(cctx, spec)
	case ActionChangePassword:
		return d.ChangePassword(cctx, spec, j.params().Password)
	case ActionAddSite:
		return d.AddSite(cctx, spec, site)
	case ActionRemoveSite:
		return d.RemoveSite(cctx, spec, site)
	}
	return fmt.Errorf("unknown action %q", j.Action)
}

// spec is the state the job should leave the account in on the server,
// and the job's site when it is about one.
func (s *Service) spec(ctx context.Context, j Job) (AccountSpec, SiteSpec, error) {
	var a Account
	if err := first(s.db.Read(ctx).Where("id = ?", j.AccountID), &a, "account", j.AccountID); err != nil {
		return AccountSpec{}, SiteSpec{}, err
	}
	p := j.params()
	pkgID := a.PackageID
	if j.Action == ActionChangePackage {
		pkgID = p.PackageID
	}
	pkg, err := s.packageByID(ctx, pkgID)
	if err != nil {
		return AccountSpec{}, SiteSpec{}, err
	}
	spec := AccountSpec{ID: a.ID, Username: a.Username, Package: pkg.Code, DiskMB: pkg.DiskMB, TrafficMB: pkg.TrafficMB,
		Suspended: a.State == StateSuspended, Reason: a.SuspendReason, Key: fmt.Sprintf("faktura-job-%d", j.ID)}
	switch j.Action {
	case ActionSuspend:
		spec.Suspended = true
	case ActionUnsuspend:
		spec.Suspended, spec.Reason = false, ""
	case ActionChangePackage:
	default:
		spec.DiskMB, spec.TrafficMB = a.DiskMB, a.TrafficMB
	}
	var doms []Domain
	if err := s.db.Read(ctx).Where("account_id = ?", a.ID).Order("id").Find(&doms).Error; err != nil {
		return spec, SiteSpec{}, err
	}
	names := map[int64]string{}
	for _, d := range doms {
		names[d.ID] = d.Name
	}
	var site SiteSpec
	for _, d := range doms {
		ss := siteSpec(d, names)
		if j.DomainID != nil && d.ID == *j.DomainID {
			site = ss
		}
		if d.NameKey != nil && d.Target == StateActive && d.State != StateFailed || (j.Action == ActionAddSite && j.DomainID != nil && d.ID == *j.DomainID) {
			spec.Sites = append(spec.Sites, ss)
		}
	}
	return spec, site, nil
}

func siteSpec(d Domain, names map[int64]string) SiteSpec {
	if d.ParentID == nil {
		return SiteSpec{Name: d.Name}
	}
	parent := names[*d.ParentID]
	return SiteSpec{Name: d.Name, Parent: parent, Label: strings.TrimSuffix(d.Name, "."+parent)}
}

// fence locks the job row for the transaction in ctx and checks that this
// worker still holds it.
func (w *Worker) fence(ctx context.Context, j Job) error {
	err := w.q.Fence(ctx, j.ID)
	if errors.Is(err, queue.ErrLeaseLost) {
		w.log.Warn("provisioning job lease lost", "job", j.ID, "action", j.Action)
	}
	return err
}

// fail counts a failed attempt: the job waits for its next attempt, or
// after MaxAttempts stops as failed (a failed creation fails its account
// or domain). The message stays on the account (and domain) until a later
// attempt succeeds.
func (w *Worker) fail(ctx context.Context, j Job, cause error) {
	s := w.s
	var f queue.Failure
	err := s.db.WithTx(context.WithoutCancel(ctx), func(ctx context.Context) error {
		if err := w.fence(ctx, j); err != nil {
			return err
		}
		var err error
		if f, err = w.q.Fail(ctx, j.ID, j.Attempts, cause, s.now()); err != nil {
			return err
		}
		return s.markFailure(ctx, j, f.Message, f.Stopped)
	})
	if err != nil && !errors.Is(err, queue.ErrLeaseLost) {
		w.log.Error("provisioning record failure", "job", j.ID, "err", err)
	}
	w.log.Warn("provisioning job failed", "job", j.ID, "action", j.Action, "account", j.AccountID, "attempt", j.Attempts+1, "err", cause)
}

// markFailure puts the driver's message on the account (and domain); a
// creation that gave up fails its resource.
func (s *Service) markFailure(ctx context.Context, j Job, msg string, final bool) error {
	acct := map[string]any{"last_error": string(j.Action) + ": " + msg, "updated_at": s.now()}
	if final && j.Action == ActionCreate {
		acct["state"], acct["failure"] = StateFailed, msg
	}
	if err := s.db.Conn(ctx).Model(&Account{}).Where("id = ?", j.AccountID).Updates(acct).Error; err != nil {
		return err
	}
	if j.DomainID == nil {
		return nil
	}
	dom := map[string]any{"last_error": msg, "updated_at": s.now()}
	if final && j.Action == ActionAddSite {
		dom["state"] = StateFailed
	}
	return s.db.Conn(ctx).Model(&Domain{}).Where("id = ?", *j.DomainID).Updates(dom).Error
}

// release hands a job back at once without counting an attempt (the
// worker is stopping).
func (w *Worker) release(j Job) {
	if err := w.q.Release(context.Background(), j.ID, w.s.now()); err != nil {
		w.log.Error("provisioning release job", "job", j.ID, "err", err)
	}
}
