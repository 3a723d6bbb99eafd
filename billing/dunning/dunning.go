// Package dunning chases unpaid invoices on each seller's schedule:
// reminders before and after the due date, late fees, suspension of the
// services an unpaid invoice bills and their restoration once the
// customer has paid, termination when switched on, holds, the collections
// view and alerts to billing staff.
//
// Each step runs once per (invoice, step): the row in dunning_steps under
// a unique key is written in the transaction that does the step's work
// (its mail queued, its fee invoiced, its suspensions queued), so two
// runs at once, a re-run or a run after a crash do nothing twice and skip
// nothing. Servers are never called here: provisioning queues their jobs.
package dunning

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/mail"
	"faktura/panel/core/outbox"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
)

// Enforcer suspends, restores and terminates what unpaid contracts bill;
// provisioning implements it and main wires it in. Its methods work in
// the caller's transaction and only queue server work.
type Enforcer interface {
	SuspendForNonpayment(ctx context.Context, subjects []provisioning.Item) ([]provisioning.Item, error)
	ReleaseNonpayment(ctx context.Context, held provisioning.Item) (bool, error)
	TerminateForNonpayment(ctx context.Context, subjects []provisioning.Item) ([]provisioning.Item, error)
	NonpaymentStates(ctx context.Context, accountIDs []int64) (map[int64]provisioning.HeldState, error)
}

// Templates renders a theme's mail in a language.
type Templates interface {
	Mail(name, lang string, data any) (subject, text, html string, err error)
}

// Options wire the service.
type Options struct {
	Enforcer Enforcer
	Mail     *mail.Outbox
	Tpl      Templates
	BaseURL  string // the panel's address, for the pay link
	// AttachPDF attaches the invoice's PDF (the archive's mail source)
	// to reminders.
	AttachPDF bool
	Log       *slog.Logger
	// Batch is how many invoices one transaction chases (default
	// DefaultBatch).
	Batch int
	// Hook, when set, is called at named stages of a run
	// ("chunk.written" before a chunk's transaction commits,
	// "chunk.committed" after): tests crash a run there.
	Hook func(stage string)
}

// DefaultBatch is how many invoices one transaction chases.
const DefaultBatch = 100

// Service runs the dunning step and answers the collections views.
type Service struct {
	db       *db.Handle
	clock    core.Clock
	audit    *audit.Log
	settings *settings.Store
	billing  *billing.Service
	bus      *outbox.Bus
	opt      Options
}

// New returns the service.
func New(h *db.Handle, clock core.Clock, a *audit.Log, st *settings.Store, b *billing.Service, bus *outbox.Bus, o Options) *Service {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	o.BaseURL = strings.TrimRight(o.BaseURL, "/")
	return &Service{db: h, clock: clock, audit: a, settings: st, billing: b, bus: bus, opt: o}
}

func (s *Service) fire(stage string) {
	if s.opt.Hook != nil {
		s.opt.Hook(stage)
	}
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// Outcomes of a step.
const (
	OutcomeDone       = "done"
	OutcomeSuperseded = "superseded" // a later reminder was due in the same run: its mail went instead
)

// StepRecord is a step done on an invoice.
type StepRecord struct {
	ID           int64     `json:"id"`
	InvoiceID    int64     `json:"invoice_id"`
	StepKey      string    `json:"step"`
	SellerID     int64     `json:"seller_id"`
	CustomerID   int64     `json:"customer_id"`
	CustomerPath string    `json:"-"`
	Action       Action    `json:"action"`
	DayOffset    int       `json:"day_offset"`
	RunDay       string    `json:"run_day"`
	Outcome      string    `json:"outcome"`
	FeeMinor     int64     `json:"fee_minor"`
	FeeInvoiceID *int64    `json:"fee_invoice_id,omitempty"`
	Detail       string    `json:"detail"`
	Claim        string    `json:"-"` // the token of the run that did it
	CreatedAt    time.Time `json:"created_at"`
}

// TableName implements gorm's Tabler.
func (StepRecord) TableName() string { return "dunning_steps" }

// Hold pauses dunning for a customer (InvoiceID 0) or one invoice until
// and including its end day.
type Hold struct {
	ID           int64      `json:"id"`
	SellerID     int64      `json:"seller_id"`
	CustomerID   int64      `json:"customer_id"`
	CustomerPath string     `json:"-"`
	InvoiceID    int64      `json:"invoice_id,omitempty"`
	Reason       string     `json:"reason"`
	UntilDay     string     `json:"until"`
	CreatedBy    string     `json:"created_by"`
	CreatedAt    time.Time  `json:"created_at"`
	ReleasedAt   *time.Time `json:"released_at,omitempty"`
	ReleasedBy   string     `json:"released_by,omitempty"`
	CustomerName string     `json:"customer_name,omitempty" gorm:"-"`
}

// TableName implements gorm's Tabler.
func (Hold) TableName() string { return "dunning_holds" }

// Suspension states.
const (
	HeldSuspended  = "suspended"  // suspended for non-payment
	HeldReleased   = "released"   // restored once paid
	HeldKept       = "kept"       // paid, but suspended since for another reason: left as it is
	HeldTerminated = "terminated" // terminated for non-payment
)

// Suspension is an account or reseller account suspended for
// non-payment, with the invoices that caused it.
type Suspension struct {
	ID           int64     `json:"id"`
	SellerID     int64     `json:"seller_id"`
	CustomerID   int64     `json:"customer_id"`
	CustomerPath string    `json:"-"`
	SubjectKind  string    `json:"kind"`
	SubjectID    int64     `json:"subject_id"`
	SubjectName  string    `json:"name"`
	Invoices     string    `json:"invoices"` // ids, comma-separated
	SuspendedDay string    `json:"suspended_day"`
	State        string    `json:"state"`
	OpenKey      *string   `json:"-"`
	EndedDay     string    `json:"ended_day,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// TableName implements gorm's Tabler.
func (Suspension) TableName() string { return "dunning_suspensions" }

func (sp Suspension) held() provisioning.Item {
	return provisioning.Item{Kind: sp.SubjectKind, ID: sp.SubjectID, Name: sp.SubjectName}
}

func openKey(kind string, id int64) *string {
	k := kind + ":" + strconv.FormatInt(id, 10)
	return &k
}

// system is the scope the daily run works in.
var system = tenancy.Scope{TenantID: tenancy.OperatorID, Kind: tenancy.KindOperator, Path: tenancy.PathOf("/", tenancy.OperatorID)}

func (s *Service) record(ctx context.Context, action, objType string, id, tenantID int64, path string, after any) error {
	return s.audit.Record(ctx, audit.Entry{Action: action, ObjectType: objType, ObjectID: strconv.FormatInt(id, 10),
		TenantID: tenantID, TenantPath: path, After: after})
}

// openStatuses are the statuses of an invoice still to be paid.
var openStatuses = []billing.InvoiceStatus{billing.InvoiceStatusFinalized, billing.InvoiceStatusPartiallyPaid, billing.InvoiceStatusOverdue}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func splitIDs(s string) []int64 {
	var out []int64
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}
