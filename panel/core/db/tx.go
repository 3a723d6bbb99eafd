package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-sql-driver/mysql"
	"gorm.io/gorm"
)

type txKey struct{}

type txState struct {
	tx    *gorm.DB
	after []func()
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
}

// maxAttempts bounds how often WithTx re-runs fn after a deadlock or a
// Galera certification conflict.
const maxAttempts = 4

// WithTx runs fn in a transaction carried by the context it receives. When
// ctx already carries one, fn joins it (commit and rollback belong to the
// outermost caller). A transaction WithTx began is retried from the start
// when the database reports a deadlock, so fn must have no effects outside
// the database; put those in AfterCommit.
func (h *Handle) WithTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return h.WithTxOpts(ctx, TxOptions{}, fn)
}

// WithTxOpts is WithTx with options for a transaction it begins.
func (h *Handle) WithTxOpts(ctx context.Context, o TxOptions, fn func(ctx context.Context) error) error {
	if InTx(ctx) {
		return fn(ctx)
	}
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		var after []func()
		after, err = h.runTx(ctx, o, fn)
		if err == nil {
			for _, f := range after {
				f()
			}
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return fmt.Errorf("transaction retried %d times: %w", maxAttempts, err)
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

// retryable reports whether err is a deadlock, lock wait timeout or
// certification conflict worth re-running the transaction for.
func retryable(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	return false
}
