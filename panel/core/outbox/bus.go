package outbox

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"faktura/panel/core"
	"faktura/panel/core/db"
)

// Bus holds the handler bindings and publishes events. Handlers are bound
// during wiring, before Start; binding afterwards is an error, so the set of
// handlers is fixed while a dispatcher runs.
type Bus struct {
	db    *db.Handle
	clock core.Clock

	mu       sync.Mutex
	started  bool
	bindings map[string][]binding // by event name, in run order
	wake     chan struct{}
}

type binding struct {
	id       string
	priority int
	seq      int
	call     func(ctx context.Context, m Meta, payload []byte) error
}

// NewBus returns a Bus storing events in h.
func NewBus(h *db.Handle, clock core.Clock) *Bus {
	return &Bus{db: h, clock: clock, bindings: map[string][]binding{}, wake: make(chan struct{}, 1)}
}

// On binds fn to events of type T under handlerID. Handlers of one event run
// by ascending priority, then in binding order. fn runs inside a transaction
// (in ctx) that also records the delivery; it must keep its effects in the
// database or defer them with db.AfterCommit. A handlerID must stay stable
// across releases: it is the deduplication key.
func On[T Event](b *Bus, handlerID string, priority int, fn func(ctx context.Context, m Meta, ev T) error) error {
	var zero T
	name := zero.EventName()
	if handlerID == "" || len(handlerID) > 100 {
		return core.E(core.ErrInvalid, "outbox: handler id for %s must be 1 to 100 characters", name)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.started {
		return core.E(core.ErrPrecondition, "outbox: cannot bind handler %s for %s after the bus started", handlerID, name)
	}
	for _, bd := range b.bindings[name] {
		if bd.id == handlerID {
			return core.E(core.ErrConflict, "outbox: handler %s is already bound to %s", handlerID, name)
		}
	}
	call := func(ctx context.Context, m Meta, payload []byte) error {
		var ev T
		if err := json.Unmarshal(payload, &ev); err != nil {
			return fmt.Errorf("decode %s payload: %w", name, err)
		}
		return fn(ctx, m, ev)
	}
	list := append(b.bindings[name], binding{id: handlerID, priority: priority, seq: len(b.bindings[name]), call: call})
	slices.SortStableFunc(list, func(x, y binding) int {
		return cmp.Or(cmp.Compare(x.priority, y.priority), cmp.Compare(x.seq, y.seq))
	})
	b.bindings[name] = list
	return nil
}

// MustOn is On for wiring code, where a binding error is a programming error.
func MustOn[T Event](b *Bus, handlerID string, priority int, fn func(ctx context.Context, m Meta, ev T) error) {
	if err := On(b, handlerID, priority, fn); err != nil {
		panic(err)
	}
}

// Start freezes the bindings. It is called once wiring is complete.
func (b *Bus) Start() {
	b.mu.Lock()
	b.started = true
	b.mu.Unlock()
}

func (b *Bus) handlers(name string) []binding {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bindings[name]
}

// Publish writes ev to the outbox in the transaction carried by ctx (or in a
// transaction of its own) and returns the event id. Delivery starts after
// commit; nothing is delivered when the transaction rolls back.
func (b *Bus) Publish(ctx context.Context, ev Event, actor string) (string, error) {
	rows, err := b.publish(ctx, []Event{ev}, actor)
	if err != nil {
		return "", err
	}
	return rows[0].EventID, nil
}

// PublishAll writes evs in publication order, several rows per statement,
// the way Publish writes one.
func (b *Bus) PublishAll(ctx context.Context, evs []Event, actor string) error {
	_, err := b.publish(ctx, evs, actor)
	return err
}

func (b *Bus) publish(ctx context.Context, evs []Event, actor string) ([]eventRow, error) {
	now := b.clock.Now()
	rows := make([]eventRow, len(evs))
	for i, ev := range evs {
		payload, err := json.Marshal(ev)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", ev.EventName(), err)
		}
		key := ev.AggregateKey()
		if key == "" || len(key) > 150 {
			return nil, core.E(core.ErrInvalid, "outbox: %s needs an aggregate key of 1 to 150 characters", ev.EventName())
		}
		rows[i] = eventRow{
			EventID: newEventID(now), Name: ev.EventName(), Aggregate: key, Payload: string(payload),
			Actor: actor, OccurredAt: now, Status: StatusPending, NextAttemptAt: now, CreatedAt: now,
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	err := b.db.WithTx(ctx, func(ctx context.Context) error {
		if err := b.db.Conn(ctx).CreateInBatches(rows, 500).Error; err != nil {
			return fmt.Errorf("store %s: %w", rows[0].Name, err)
		}
		db.AfterCommit(ctx, b.notify)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// notify wakes a dispatcher in this process without blocking.
func (b *Bus) notify() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}
