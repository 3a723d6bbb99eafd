package billing

import (
	"cmp"
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/lease"
	"faktura/panel/core/outbox"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

// Options tune the service.
type Options struct {
	DefaultCurrency string        // a seller without a currency bills in this (default EUR)
	RunWorkers      int           // invoice run workers (default 4 on MariaDB, 1 on SQLite)
	RunChunk        int           // contracts per run transaction (default 500)
	VIES            *VIESClient   // nil: VAT ids stay unchecked
	VIESMaxAge      time.Duration // re-check a VAT id after this long (default 30 days)
	Node            string        // this process, "host:pid" (default lease.Node())
	ClaimLease      time.Duration // a run's claim lapses when not renewed this long (default 2 minutes)
	ClaimPoll       time.Duration // how often a run looks at buckets other runs hold (default 500 ms)
	// IssueSeparately makes the run number its documents in a second,
	// short transaction (default on Galera, where a series row locked by
	// two nodes is a certification conflict at commit); otherwise it
	// numbers them in the transaction that writes them.
	IssueSeparately bool
	Log             *slog.Logger
	// Bus receives billing's events (InvoiceFinalized, ...) in the
	// transaction that makes the change; nil: a bus of its own on h.
	Bus *outbox.Bus
}

// Service is billing: catalog, profiles, contracts, the invoice run,
// invoices and credit notes. Methods that read or change tenant data take
// the caller's tenancy.Scope: an object outside it is "not found". Whether
// the caller's role may act at all is the panel's check.
type Service struct {
	db       *db.Handle
	clock    core.Clock
	audit    *audit.Log
	settings *settings.Store
	opt      Options
	log      *slog.Logger
	bus      *outbox.Bus

	hookMu sync.Mutex
	hook   func(stage string) error // test hook: called at named points of the run

	overpaid Overpayments // takes back what credit notes leave overpaid (the payment module)

	// passed holds the (seller, year) pairs whose Art. 59c tally is past
	// the threshold: read once, not once per chunk of every run.
	passed sync.Map
}

// Overpayments moves money an invoice no longer needs back to its
// customer's credit: a credit note lowered what is due below what was
// paid. It runs in the credit note's transaction.
type Overpayments interface {
	ReleaseOverpaid(ctx context.Context, inv Invoice, excess int64) error
}

// UseOverpayments sets who takes back overpaid money (the composition
// root wires the payment module). Without one, a credit note that would
// leave an invoice overpaid is refused.
func (s *Service) UseOverpayments(o Overpayments) { s.overpaid = o }

// New returns the service.
func New(h *db.Handle, clock core.Clock, log *audit.Log, st *settings.Store, o Options) *Service {
	o.DefaultCurrency = cmp.Or(o.DefaultCurrency, "EUR")
	if o.RunWorkers == 0 {
		o.RunWorkers = 1
		if h.Dialect == db.MySQL {
			o.RunWorkers = 4
		}
	}
	o.RunChunk = cmp.Or(o.RunChunk, 500)
	o.VIESMaxAge = cmp.Or(o.VIESMaxAge, 30*24*time.Hour)
	o.Node = cmp.Or(o.Node, lease.Node())
	o.ClaimLease = cmp.Or(o.ClaimLease, 2*time.Minute)
	o.ClaimPoll = cmp.Or(o.ClaimPoll, 500*time.Millisecond)
	o.IssueSeparately = o.IssueSeparately || h.Galera
	lg := o.Log
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	// The run inserts documents and lines several rows per statement:
	// their ids step by the database's auto-increment step.
	if err := h.Models(&Invoice{}, &Line{}, &Contract{}); err != nil {
		lg.Error("billing: prepare models", "err", err)
	}
	bus := o.Bus
	if bus == nil {
		bus = outbox.NewBus(h, clock)
	}
	return &Service{db: h, clock: clock, audit: log, settings: st, opt: o, log: lg, bus: bus}
}

// SetHook installs a function called at named points ("chunk.inserted",
// "chunk.committed", "reconcile.read"); tests use it to crash there, or
// to fail the transaction in progress with the error it returns.
func (s *Service) SetHook(f func(stage string) error) {
	s.hookMu.Lock()
	s.hook = f
	s.hookMu.Unlock()
}

func (s *Service) fire(stage string) error {
	s.hookMu.Lock()
	f := s.hook
	s.hookMu.Unlock()
	if f != nil {
		return f(stage)
	}
	return nil
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

func (s *Service) tx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.WithTx(ctx, fn)
}

func (s *Service) record(ctx context.Context, action, objType string, id int64, tenantID int64, path string, before, after any) error {
	return s.audit.Record(ctx, audit.Entry{Action: action, ObjectType: objType, ObjectID: strconv.FormatInt(id, 10),
		TenantID: tenantID, TenantPath: path, Before: before, After: after})
}

// actorLabel names who acts in ctx ("user:7", "apikey:3", "system").
func actorLabel(ctx context.Context) string { return audit.Label(ctx) }

// isSeller reports whether the scope's tenant sells (operator, reseller).
func isSeller(scope tenancy.Scope) bool {
	return scope.Valid() && (scope.Kind == tenancy.KindOperator || scope.Kind == tenancy.KindReseller)
}

func requireSeller(scope tenancy.Scope) error {
	if !isSeller(scope) {
		return core.E(core.ErrForbidden, "only the operator and resellers sell")
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
