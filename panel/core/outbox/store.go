package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/queue"
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

// QueueID implements queue.Item.
func (r eventRow) QueueID() int64 { return r.ID }

func (r eventRow) meta() Meta {
	return Meta{ID: r.EventID, Seq: r.ID, Name: r.Name, Aggregate: r.Aggregate, Actor: r.Actor, OccurredAt: r.OccurredAt, Attempts: r.Attempts}
}

type handledRow struct {
	Handler   string `gorm:"primaryKey"`
	EventID   string `gorm:"primaryKey"`
	HandledAt time.Time
}

func (handledRow) TableName() string { return "outbox_handled" }

// spec is the outbox as a leased queue: events of one aggregate are
// delivered in order, a parked event holds back the rest of its aggregate.
var spec = queue.Spec{Table: "outbox_events", Line: "aggregate", Pending: StatusPending, Stopped: StatusParked}

// store is the outbox's own SQL (the queue does the leasing). Its methods
// join the transaction in ctx.
type store struct{ db *db.Handle }

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
		_, err = queue.Retry(ctx, s.db, spec, now, "id = ?", r.ID)
		return err
	})
}

// Backlog counts events by status other than done.
type Backlog struct{ Pending, Parked int64 }

func (s store) backlog(ctx context.Context) (Backlog, error) {
	pending, parked, err := queue.Backlog(ctx, s.db, spec)
	return Backlog{Pending: pending, Parked: parked}, err
}
