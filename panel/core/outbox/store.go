package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/db"
)

type eventRow struct {
	ID            int64 `gorm:"primaryKey"`
	EventID       string
	Name          string
	Aggregate     string
	Payload       string
	Actor         string
	OccurredAt    time.Time
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LockedBy      *string
	LastError     string
	CreatedAt     time.Time
	DoneAt        *time.Time
}

func (eventRow) TableName() string { return "outbox_events" }

func (r eventRow) meta() Meta {
	return Meta{ID: r.EventID, Seq: r.ID, Name: r.Name, Aggregate: r.Aggregate, Actor: r.Actor, OccurredAt: r.OccurredAt, Attempts: r.Attempts}
}

type handledRow struct {
	Handler   string `gorm:"primaryKey"`
	EventID   string `gorm:"primaryKey"`
	HandledAt time.Time
}

func (handledRow) TableName() string { return "outbox_handled" }

// store is the outbox's SQL. Its methods join the transaction in ctx.
type store struct{ db *db.Handle }

// candidates lists up to limit due pending events that are first in line
// for their aggregate: no earlier event of the aggregate is pending or
// parked. It takes no locks; claim re-checks under lock.
func (s store) candidates(ctx context.Context, now time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := s.db.Read(ctx).Raw(`
SELECT e.id FROM outbox_events e
WHERE e.status = 'pending' AND e.next_attempt_at <= ?
  AND NOT EXISTS (
    SELECT 1 FROM outbox_events p
    WHERE p.aggregate = e.aggregate AND p.status IN ('pending', 'parked') AND p.id < e.id)
ORDER BY e.next_attempt_at, e.id
LIMIT ?`, now, limit).Scan(&ids).Error
	return ids, err
}

// claim leases the given events to node until now+lease: it locks the
// rows still due (skipping rows another worker holds), sets locked_by and
// moves next_attempt_at to the lease's end, so nobody else claims them
// before it expires. It returns the claimed rows in id order.
func (s store) claim(ctx context.Context, ids []int64, node string, now time.Time, lease time.Duration) ([]eventRow, error) {
	var rows []eventRow
	err := s.db.WithTxOpts(ctx, db.TxOptions{ReadCommitted: true}, func(ctx context.Context) error {
		q := s.db.Conn(ctx).Where("id IN ? AND status = ? AND next_attempt_at <= ?", ids, StatusPending, now).Order("id")
		if s.db.Dialect == db.MySQL {
			q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate, Options: clause.LockingOptionsSkipLocked})
		}
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		claimed := make([]int64, len(rows))
		for i := range rows {
			claimed[i] = rows[i].ID
		}
		return s.db.Conn(ctx).Model(&eventRow{}).Where("id IN ?", claimed).
			Updates(map[string]any{"locked_by": node, "next_attempt_at": now.Add(lease)}).Error
	})
	return rows, err
}

var errLeaseLost = errors.New("outbox: lease lost to another worker")

// fence locks the event row for the rest of the transaction in ctx and
// checks that node still holds the lease. On MySQL the row lock also keeps
// any other worker from claiming the event while the handler runs.
func (s store) fence(ctx context.Context, id int64, node string) error {
	q := "SELECT locked_by FROM outbox_events WHERE id = ?"
	if s.db.Dialect == db.MySQL {
		q += " FOR UPDATE"
	}
	var owner *string
	if err := s.db.Conn(ctx).Raw(q, id).Scan(&owner).Error; err != nil {
		return err
	}
	if owner == nil || *owner != node {
		return errLeaseLost
	}
	return nil
}

// markHandled records that handler processed event; false when it already
// had.
func (s store) markHandled(ctx context.Context, handler, eventID string, now time.Time) (bool, error) {
	var n int64
	if err := s.db.Conn(ctx).Model(&handledRow{}).Where("handler = ? AND event_id = ?", handler, eventID).Count(&n).Error; err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if err := s.db.Conn(ctx).Create(&handledRow{Handler: handler, EventID: eventID, HandledAt: now}).Error; err != nil {
		return false, err
	}
	return true, nil
}

// finish updates an event node holds: done, failed (back to pending at
// next), parked, or released (pending, due now, attempt not counted).
func (s store) finish(ctx context.Context, id int64, node string, set map[string]any) error {
	set["locked_by"] = nil
	return s.db.Conn(ctx).Model(&eventRow{}).Where("id = ? AND locked_by = ?", id, node).Updates(set).Error
}

// parked lists parked events, oldest first.
func (s store) parked(ctx context.Context, limit int) ([]Record, error) {
	var rows []eventRow
	if err := s.db.Read(ctx).Where("status = ?", StatusParked).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]Record, len(rows))
	for i, r := range rows {
		out[i] = Record{Meta: r.meta(), Status: r.Status, Payload: json.RawMessage(r.Payload), LastError: r.LastError, NextAttempt: r.NextAttemptAt}
	}
	return out, nil
}

// retry puts a parked event back in line with a fresh attempt budget.
func (s store) retry(ctx context.Context, eventID string, now time.Time) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		var r eventRow
		err := s.db.Conn(ctx).Where("event_id = ?", eventID).First(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return core.E(core.ErrNotFound, "event %s not found", eventID)
		}
		if err != nil {
			return err
		}
		if r.Status != StatusParked {
			return core.E(core.ErrPrecondition, "event %s is %s, only parked events can be retried", eventID, r.Status)
		}
		return s.db.Conn(ctx).Model(&eventRow{}).Where("id = ?", r.ID).
			Updates(map[string]any{"status": StatusPending, "attempts": 0, "next_attempt_at": now, "locked_by": nil}).Error
	})
}

// Backlog counts events by status other than done.
type Backlog struct{ Pending, Parked int64 }

func (s store) backlog(ctx context.Context) (Backlog, error) {
	var rows []struct {
		Status string
		N      int64
	}
	err := s.db.Read(ctx).Raw("SELECT status, COUNT(*) AS n FROM outbox_events WHERE status IN ('pending', 'parked') GROUP BY status").Scan(&rows).Error
	var b Backlog
	for _, r := range rows {
		switch r.Status {
		case StatusPending:
			b.Pending = r.N
		case StatusParked:
			b.Parked = r.N
		}
	}
	if err != nil {
		return b, fmt.Errorf("outbox backlog: %w", err)
	}
	return b, nil
}
