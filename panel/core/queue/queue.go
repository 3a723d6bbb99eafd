// Package queue is the leased work queue every background worker uses
// (the outbox dispatcher, the provisioning worker; mail delivery and
// gateway calls next). A queue is a table whose rows carry id, status,
// attempts, next_attempt_at, locked_by and last_error. Items of one line
// (an aggregate, an account) run one at a time in id order; a worker
// claims due items under a lease (FOR UPDATE SKIP LOCKED on MariaDB),
// records each result in a transaction fenced by the lease, backs off
// after a failure and stops an item after MaxAttempts (parked, failed)
// until it is retried. Several workers, in one process or many, may share
// a queue: none runs an item another holds.
package queue

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/db"
)

// Spec names a queue's table and statuses.
type Spec struct {
	Table   string // the queue's table
	Line    string // the column whose items run in order, one at a time: "aggregate", "account_id"
	Pending string // waiting, or running under a lease
	Stopped string // gave up after MaxAttempts (parked, failed): holds back the rest of its line
}

// Policy is how a queue retries.
type Policy struct {
	Lease       time.Duration // how long a claim is exclusive; longer than any item takes
	MaxAttempts int           // failed attempts before an item stops
	BackoffBase time.Duration // wait after the first failure, doubled per failure
	BackoffMax  time.Duration // longest wait between attempts
}

// Queue is a worker's handle on a queue: the worker is node.
type Queue struct {
	db     *db.Handle
	spec   Spec
	node   string
	policy Policy
}

// ErrLeaseLost is the fence's answer when another worker holds the item
// (the lease ran out and it was claimed again): the result is dropped.
var ErrLeaseLost = errors.New("queue: lease lost to another worker")

// New returns node's handle on the queue spec describes.
func New(h *db.Handle, spec Spec, node string, p Policy) *Queue {
	p.Lease = cmp.Or(p.Lease, 5*time.Minute)
	p.MaxAttempts = cmp.Or(p.MaxAttempts, 10)
	p.BackoffBase = cmp.Or(p.BackoffBase, 2*time.Second)
	p.BackoffMax = cmp.Or(p.BackoffMax, 30*time.Minute)
	return &Queue{db: h, spec: spec, node: node, policy: p}
}

// Node is the worker's name, written into locked_by.
func (q *Queue) Node() string { return q.node }

// candidates lists up to limit due pending items that are first in line:
// no earlier item of their line is pending or stopped. It takes no locks;
// Claim re-checks under lock.
func (q *Queue) candidates(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	var ids []int64
	sql := fmt.Sprintf(`
SELECT e.id FROM %[1]s e
WHERE e.status = ? AND e.next_attempt_at <= ?
  AND NOT EXISTS (
    SELECT 1 FROM %[1]s p
    WHERE p.%[2]s = e.%[2]s AND p.status IN (?, ?) AND p.id < e.id)
ORDER BY e.next_attempt_at, e.id
LIMIT ?`, q.spec.Table, q.spec.Line)
	err := q.db.Read(ctx).Raw(sql, q.spec.Pending, now, q.spec.Pending, q.spec.Stopped, limit).Scan(&ids).Error
	return ids, err
}

// Item is a row type of a queue table.
type Item interface{ QueueID() int64 }

// Claim leases up to limit due items that are first in their line to
// this worker until now+Lease: it locks the rows still due (skipping rows
// another worker holds), sets locked_by and moves next_attempt_at to the
// lease's end, so nobody else claims them before it expires. It returns
// the claimed rows in id order, as they were before the claim; T is the
// table's row type.
func Claim[T Item](ctx context.Context, q *Queue, now time.Time, limit int) ([]T, error) {
	ids, err := q.candidates(ctx, now, limit)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var rows []T
	err = q.db.WithTxOpts(ctx, db.TxOptions{ReadCommitted: true}, func(ctx context.Context) error {
		sel := q.db.Conn(ctx).Where("id IN ? AND status = ? AND next_attempt_at <= ?", ids, q.spec.Pending, now).Order("id")
		if q.db.Dialect == db.MySQL {
			sel = sel.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate, Options: clause.LockingOptionsSkipLocked})
		}
		if err := sel.Find(&rows).Error; err != nil || len(rows) == 0 {
			return err
		}
		claimed := make([]int64, len(rows))
		for i, r := range rows {
			claimed[i] = r.QueueID()
		}
		return q.db.Conn(ctx).Table(q.spec.Table).Where("id IN ?", claimed).
			Updates(map[string]any{"locked_by": q.node, "next_attempt_at": now.Add(q.policy.Lease)}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim from %s: %w", q.spec.Table, err)
	}
	return rows, nil
}

// Fence locks item id for the rest of the transaction in ctx and checks
// that this worker still holds it; ErrLeaseLost when not. On MariaDB the
// row lock also keeps any other worker from claiming it meanwhile.
func (q *Queue) Fence(ctx context.Context, id int64) error {
	sql := "SELECT locked_by FROM " + q.spec.Table + " WHERE id = ? AND status = ?"
	if q.db.Dialect == db.MySQL {
		sql += " FOR UPDATE"
	}
	var owner *string
	if err := q.db.Conn(ctx).Raw(sql, id, q.spec.Pending).Scan(&owner).Error; err != nil {
		return err
	}
	if owner == nil || *owner != q.node {
		return ErrLeaseLost
	}
	return nil
}

// Finish writes set onto an item this worker holds and lets it go
// (done, or whatever the caller's states are). Without the lease it
// changes nothing.
func (q *Queue) Finish(ctx context.Context, id int64, set map[string]any) error {
	set["locked_by"] = nil
	return q.db.Conn(ctx).Table(q.spec.Table).Where("id = ? AND locked_by = ?", id, q.node).Updates(set).Error
}

// Release hands an item back at once without counting an attempt (the
// worker is stopping).
func (q *Queue) Release(ctx context.Context, id int64, now time.Time) error {
	return q.Finish(ctx, id, map[string]any{"next_attempt_at": now})
}

// Failure is a counted failed attempt.
type Failure struct {
	Attempts int    // attempts so far, this one included
	Message  string // last_error, cut to 2,000 bytes
	Stopped  bool   // the item gave up: it is now Spec.Stopped
}

// Fail counts a failed attempt on an item this worker holds: it waits for
// its next attempt (backing off), or after MaxAttempts stops. Run it in a
// transaction that fenced the item, or alone.
func (q *Queue) Fail(ctx context.Context, id int64, attempts int, cause error, now time.Time) (Failure, error) {
	f := Failure{Attempts: attempts + 1, Message: cause.Error()}
	if len(f.Message) > 2000 {
		f.Message = f.Message[:2000]
	}
	set := map[string]any{"attempts": f.Attempts, "last_error": f.Message}
	if f.Stopped = f.Attempts >= q.policy.MaxAttempts; f.Stopped {
		set["status"] = q.spec.Stopped
	} else {
		set["next_attempt_at"] = now.Add(core.Backoff(q.policy.BackoffBase, q.policy.BackoffMax, f.Attempts))
	}
	return f, q.Finish(ctx, id, set)
}

// Retry puts stopped items matching where (a condition on the table, with
// its args) back in line with a fresh attempt budget, and returns how
// many it moved.
func Retry(ctx context.Context, h *db.Handle, spec Spec, now time.Time, where string, args ...any) (int64, error) {
	res := h.Conn(ctx).Table(spec.Table).Where("status = ?", spec.Stopped).Where(where, args...).
		Updates(map[string]any{"status": spec.Pending, "attempts": 0, "next_attempt_at": now, "locked_by": nil})
	return res.RowsAffected, res.Error
}

// Backlog counts the items waiting (pending) and stopped.
func Backlog(ctx context.Context, h *db.Handle, spec Spec) (pending, stopped int64, err error) {
	var rows []struct {
		Status string
		N      int64
	}
	err = h.Read(ctx).Table(spec.Table).Select("status, COUNT(*) AS n").Where("status IN ?", []string{spec.Pending, spec.Stopped}).
		Group("status").Scan(&rows).Error
	for _, r := range rows {
		switch r.Status {
		case spec.Pending:
			pending = r.N
		case spec.Stopped:
			stopped = r.N
		}
	}
	if err != nil {
		return 0, 0, fmt.Errorf("%s backlog: %w", spec.Table, err)
	}
	return pending, stopped, nil
}

// Loop calls once until ctx ends: again at once after a batch that did
// work, otherwise after a wake-up (new work in this process) or poll.
// once decides what a batch does when ctx ends (finish it, or release
// what it has not started). Errors while ctx lives go to onErr.
func Loop(ctx context.Context, wake <-chan struct{}, poll time.Duration, once func(ctx context.Context) (int, error), onErr func(error)) {
	for {
		n, err := once(ctx)
		if err != nil && ctx.Err() == nil {
			onErr(err)
		}
		if ctx.Err() != nil {
			return
		}
		if n > 0 && err == nil {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-time.After(poll):
		}
	}
}
