// Package outbox is the event bus between modules: an event is written to the
// outbox table in the publisher's transaction, and a Dispatcher delivers it
// after commit to every bound handler at least once, in order per
// aggregate. Each handler records (handler, event id) in the same
// transaction as its effect, under a unique key, so a redelivery is a no-op
// and every effect is applied exactly once.
package outbox

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Event is a fact a module publishes after it happened (past tense:
// AccountCreated, SubdomainAdded). Its JSON form is the stored payload.
type Event interface {
	// EventName is stable and unique, e.g. "provisioning.account_created".
	EventName() string
	// AggregateKey orders delivery: events with one key are handled in
	// publication order, e.g. "account:42".
	AggregateKey() string
}

// Meta describes a stored event to its handlers.
type Meta struct {
	ID         string    // unique event id (UUID v7, time-ordered)
	Seq        int64     // position in the outbox
	Name       string    // EventName
	Aggregate  string    // AggregateKey
	Actor      string    // who caused it, e.g. "user:7" or "system"
	OccurredAt time.Time // UTC
	Attempts   int       // earlier failed deliveries
}

// Record is an event as stored, for listings (events failed).
type Record struct {
	Meta
	Status      string
	Payload     json.RawMessage
	LastError   string
	NextAttempt time.Time
}

// Status values of a stored event.
const (
	StatusPending = "pending"
	StatusDone    = "done"
	StatusParked  = "parked"
)

// newEventID returns a UUID version 7: 48 bits of Unix milliseconds, then
// random bits, so ids sort roughly by time.
func newEventID(now time.Time) string {
	var b [16]byte
	rand.Read(b[:])
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli())<<16|uint64(binary.BigEndian.Uint16(b[6:8])))
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
