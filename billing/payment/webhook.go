package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/queue"
)

// Event row statuses.
const (
	EventRowPending = "pending"
	EventRowDone    = "done"
	EventRowFailed  = "failed" // stopped: a human looks (faktura retries it after a fix)
)

// eventRow is a stored provider event, an item of the events queue.
type eventRow struct {
	ID            int64
	Gateway       string
	SellerID      int64
	EventID       string
	Line          string
	Kind          string
	Payload       string
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LockedBy      *string
	LastError     string
	ReceivedAt    time.Time
	ProcessedAt   *time.Time
}

func (eventRow) TableName() string { return "payment_events" }

// QueueID implements queue.Item.
func (r eventRow) QueueID() int64 { return r.ID }

// eventAttempts is how often an event is tried before it stops.
const eventAttempts = 8

var eventQueue = queue.Spec{Table: "payment_events", Line: "line", Pending: EventRowPending, Stopped: EventRowFailed}

// ErrBadWebhook is a delivery that does not verify: unsigned, forged,
// for a gateway the seller does not use, or unreadable. It changes
// nothing.
var ErrBadWebhook = errors.New("webhook refused")

// ReceiveWebhook checks a delivery for seller's gateway with the
// seller's credentials and stores each event it carries once (by the
// provider's event id); the event worker applies them. A repeated
// delivery stores nothing new.
func (s *Service) ReceiveWebhook(ctx context.Context, gateway string, seller int64, header http.Header, body []byte) (int, error) {
	g, err := s.gateway(ctx, seller, gateway)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadWebhook, err)
	}
	wr, ok := g.(WebhookReceiver)
	if !ok {
		return 0, fmt.Errorf("%w: %s takes no webhooks", ErrBadWebhook, gateway)
	}
	evs, err := wr.Receive(ctx, header, body)
	if err != nil {
		return 0, fmt.Errorf("%w: %v", ErrBadWebhook, err)
	}
	return s.store(ctx, gateway, seller, evs)
}

// store queues events once each.
func (s *Service) store(ctx context.Context, gateway string, seller int64, evs []Event) (int, error) {
	stored := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		stored = 0
		for _, ev := range evs {
			if ev.ID == "" {
				return fmt.Errorf("%w: an event without an id", ErrBadWebhook)
			}
			payload, _ := json.Marshal(ev)
			line := ev.PaymentRef
			if line == "" {
				line = ev.CheckoutRef
			}
			if line == "" {
				line = ev.Key
			}
			now := s.now()
			r := eventRow{Gateway: gateway, SellerID: seller, EventID: ev.ID, Line: gateway + ":" + line, Kind: ev.Kind, Payload: string(payload),
				Status: EventRowPending, NextAttemptAt: now, ReceivedAt: now}
			res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
			if res.Error != nil {
				return fmt.Errorf("store event %s: %w", ev.ID, res.Error)
			}
			stored += int(res.RowsAffected)
		}
		return nil
	})
	if err == nil && stored > 0 {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return stored, err
}

// EventWorker applies stored provider events.
type EventWorker struct {
	s   *Service
	q   *queue.Queue
	log *slog.Logger
}

// NewEventWorker returns a worker that identifies itself as node.
func (s *Service) NewEventWorker(node string, log *slog.Logger) *EventWorker {
	return &EventWorker{s: s, log: log, q: queue.New(s.db, eventQueue, node,
		queue.Policy{Lease: 5 * time.Minute, MaxAttempts: eventAttempts, BackoffBase: 5 * time.Second, BackoffMax: 30 * time.Minute})}
}

// Run works until ctx ends.
func (w *EventWorker) Run(ctx context.Context) {
	queue.Loop(ctx, w.s.wake, 2*time.Second, w.RunOnce, func(err error) { w.log.Error("payment events", "err", err) })
}

// RunOnce claims due events, applies each in its own transaction and
// returns how many it claimed.
func (w *EventWorker) RunOnce(ctx context.Context) (int, error) {
	rows, err := queue.Claim[eventRow](ctx, w.q, w.s.now(), 50)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	for _, r := range rows {
		err := w.s.db.WithTx(ctx, func(ctx context.Context) error {
			if err := w.q.Fence(ctx, r.ID); err != nil {
				return err
			}
			var ev Event
			if err := json.Unmarshal([]byte(r.Payload), &ev); err != nil {
				return fmt.Errorf("%w: stored event unreadable: %v", core.ErrInvalid, err)
			}
			if err := w.s.apply(ctx, r.Gateway, r.SellerID, ev); err != nil {
				return err
			}
			now := w.s.now()
			return w.q.Finish(ctx, r.ID, map[string]any{"status": EventRowDone, "processed_at": now, "last_error": ""})
		})
		if err == nil || errors.Is(err, queue.ErrLeaseLost) {
			continue
		}
		attempts := r.Attempts
		if errors.Is(err, ErrUnknownPayment) || errors.Is(err, core.ErrInvalid) {
			attempts = eventAttempts - 1 // no retry mends it: stop now
		}
		f, ferr := w.q.Fail(ctx, r.ID, attempts, err, w.s.now())
		if ferr != nil {
			return len(rows), ferr
		}
		w.log.Warn("payment event not applied", "gateway", r.Gateway, "seller", r.SellerID, "event", r.EventID, "attempts", f.Attempts, "stopped", f.Stopped, "err", err)
	}
	return len(rows), nil
}
