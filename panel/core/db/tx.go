package db

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"

	"faktura/panel/core"
)

type txKey struct{}

type txState struct {
	tx         *gorm.DB
	after      []func()
	savepoints int
}

// Conn returns the transaction in ctx, or the write pool when there is none.
// Stores call it for every statement, so they join their caller's
// transaction without knowing about it.
func (h *Handle) Conn(ctx context.Context) *gorm.DB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.tx.WithContext(ctx)
	}
	return h.W.WithContext(ctx)
}

// Read returns the transaction in ctx, or the read pool when there is none.
func (h *Handle) Read(ctx context.Context) *gorm.DB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.tx.WithContext(ctx)
	}
	return h.R.WithContext(ctx)
}

// InTx reports whether ctx carries a transaction.
func InTx(ctx context.Context) bool {
	_, ok := ctx.Value(txKey{}).(*txState)
	return ok
}

// TxOptions tune a transaction that WithTxOpts begins.
type TxOptions struct {
	// ReadCommitted asks MySQL for READ COMMITTED (used by work claims with
	// SKIP LOCKED). SQLite transactions are serializable regardless.
	ReadCommitted bool
	// Savepoint makes fn, when it joins a caller's transaction, undo its
	// own writes if it fails (a savepoint), so the caller can go on: a
	// unit of work that may fail alone inside a larger transaction.
	Savepoint bool
}

// RetryPolicy bounds how WithTx re-runs a transaction after a deadlock, a
// lock wait timeout or a Galera certification conflict: up to Attempts
// runs in all, waiting a random time between half and all of Base doubled
// per failure (capped at Max) before each new run, so two processes that
// collided do not collide again in step.
type RetryPolicy struct {
	Attempts int
	Base     time.Duration
	Max      time.Duration
}

// DefaultRetry is the policy of a new Handle: 12 runs over at most ~8 s.
var DefaultRetry = RetryPolicy{Attempts: 12, Base: 5 * time.Millisecond, Max: 2 * time.Second}

// ErrRetry marks an error as a transient conflict: WithTx rolls back and
// runs the transaction again, as for a deadlock.
var ErrRetry = errors.New("transient conflict: retry the transaction")

// WithTx runs fn in a transaction carried by the context it receives. When
// ctx already carries one, fn joins it (commit and rollback belong to the
// outermost caller). A transaction WithTx began is retried from the start
// when the database reports a deadlock or conflict (see RetryPolicy), so
// fn must have no effects outside the database; put those in AfterCommit.
func (h *Handle) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return h.WithTxOpts(ctx, TxOptions{}, fn)
}

// WithTxOpts is WithTx with options for a transaction it begins.
func (h *Handle) WithTxOpts(ctx context.Context, o TxOptions, fn func(ctx context.Context) error) error {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		if !o.Savepoint {
			return fn(ctx)
		}
		return st.sub(ctx, fn)
	}
	p := h.retry()
	var err error
	for attempt := 1; attempt <= p.Attempts; attempt++ {
		var after []func()
		after, err = h.runTx(ctx, o, fn)
		if err == nil {
			for _, f := range after {
				f()
			}
			return nil
		}
		if !Retryable(err) || ctx.Err() != nil || attempt == p.Attempts {
			break
		}
		h.retries.Add(1)
		if f := h.onRetry.Load(); f != nil {
			(*f)(attempt, err)
		}
		if err := core.Sleep(ctx, jitter(core.Backoff(p.Base, p.Max, attempt))); err != nil {
			return err
		}
	}
	if Retryable(err) {
		return fmt.Errorf("transaction retried %d times: %w", p.Attempts, err)
	}
	return err
}

func (h *Handle) retry() RetryPolicy {
	if p := h.policy.Load(); p != nil {
		return *p
	}
	return DefaultRetry
}

// SetRetryPolicy replaces the handle's retry policy (zero fields keep the
// defaults).
func (h *Handle) SetRetryPolicy(p RetryPolicy) {
	d := DefaultRetry
	p = RetryPolicy{Attempts: cmp.Or(p.Attempts, d.Attempts), Base: cmp.Or(p.Base, d.Base), Max: cmp.Or(p.Max, d.Max)}
	h.policy.Store(&p)
}

// OnRetry installs f, called after a failed run of a transaction that
// will be retried (after its rollback, before the wait); tests use it to
// act between two runs. nil removes it.
func (h *Handle) OnRetry(f func(attempt int, err error)) {
	if f == nil {
		h.onRetry.Store(nil)
		return
	}
	h.onRetry.Store(&f)
}

// Retries counts the transaction runs this handle retried so far.
func (h *Handle) Retries() int64 { return h.retries.Load() }

// jitter returns a random duration between d/2 and d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func (h *Handle) runTx(ctx context.Context, o TxOptions, fn func(ctx context.Context) error) ([]func(), error) {
	var opts *sql.TxOptions
	if o.ReadCommitted && h.Dialect == MySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	tx := h.W.WithContext(ctx).Begin(opts)
	if tx.Error != nil {
		return nil, fmt.Errorf("begin transaction: %w", tx.Error)
	}
	st := &txState{tx: tx}
	committed := false
	defer func() {
		if !committed {
			tx.Rollback()
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, st)); err != nil {
		return nil, err
	}
	if err := tx.Commit().Error; err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	committed = true
	return st.after, nil
}

// sub runs fn inside a savepoint of the transaction: a failing fn leaves
// no writes behind.
func (st *txState) sub(ctx context.Context, fn func(ctx context.Context) error) error {
	st.savepoints++
	name := fmt.Sprintf("sp%d", st.savepoints)
	if err := st.tx.WithContext(ctx).SavePoint(name).Error; err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(ctx); err != nil {
		if rerr := st.tx.WithContext(ctx).RollbackTo(name).Error; rerr != nil {
			return errors.Join(err, fmt.Errorf("roll back to savepoint: %w", rerr))
		}
		return err
	}
	return nil
}

// AfterCommit registers f to run once the transaction in ctx commits (never
// when it rolls back). Outside a transaction f runs at once. Side effects
// such as waking a dispatcher or calling a remote service go here.
func AfterCommit(ctx context.Context, f func()) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.after = append(st.after, f)
		return
	}
	f()
}

// Retryable reports whether err is a deadlock, lock wait timeout,
// certification conflict or ErrRetry: worth running the transaction
// again.
func Retryable(err error) bool {
	if errors.Is(err, ErrRetry) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		// 1213 deadlock (and Galera's certification failure), 1205 lock
		// wait timeout, 1020 record changed since last read (snapshot
		// isolation), 1047 WSREP node not ready yet.
		return me.Number == 1213 || me.Number == 1205 || me.Number == 1020 || me.Number == 1047
	}
	return false
}
