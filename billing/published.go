package billing

import (
	"context"
	"fmt"
	"strconv"

	"faktura/panel/core/outbox"
)

// DocumentFacts is what every billing document event carries: enough for
// a handler (mail delivery, dunning, accounting) to act without reading
// the invoice first, and the ids to read it when it must.
type DocumentFacts struct {
	InvoiceID  int64  `json:"invoice_id"`
	Number     string `json:"number"`
	Kind       string `json:"kind"`
	SellerID   int64  `json:"seller_id"`
	CustomerID int64  `json:"customer_id"`
	Subproject string `json:"subproject,omitempty"`
	Currency   string `json:"currency"`
	NetMinor   int64  `json:"net_minor"`
	TaxMinor   int64  `json:"tax_minor"`
	TotalMinor int64  `json:"total_minor"`
	IssueDate  string `json:"issue_date"`
	DueDate    string `json:"due_date,omitempty"`
}

// factsOf takes the facts of a stored document.
func factsOf(inv Invoice) DocumentFacts {
	f := DocumentFacts{InvoiceID: inv.ID, Kind: inv.Kind, SellerID: inv.SellerID, CustomerID: inv.CustomerID, Subproject: inv.Subproject,
		Currency: inv.Currency, NetMinor: inv.NetMinor, TaxMinor: inv.TaxMinor, TotalMinor: inv.TotalMinor, IssueDate: inv.IssueDate}
	if inv.Number != nil {
		f.Number = *inv.Number
	}
	if inv.Kind == DocInvoice {
		f.DueDate = inv.DueDate
	}
	return f
}

func invoiceAggregate(id int64) string { return "invoice:" + strconv.FormatInt(id, 10) }

// InvoiceFinalized: an invoice was numbered and frozen (by hand, by
// approval or by the invoice run).
type InvoiceFinalized struct{ DocumentFacts }

// EventName implements outbox.Event.
func (InvoiceFinalized) EventName() string { return "billing.invoice_finalized" }

// AggregateKey orders an invoice's events.
func (e InvoiceFinalized) AggregateKey() string { return invoiceAggregate(e.InvoiceID) }

// CreditNoteFinalized: a credit note was issued against an invoice. It
// is ordered with the credited invoice's events.
type CreditNoteFinalized struct {
	DocumentFacts
	CreditsID     int64  `json:"credits_id"`
	CreditsNumber string `json:"credits_number"`
	Reason        string `json:"reason,omitempty"`
}

// EventName implements outbox.Event.
func (CreditNoteFinalized) EventName() string { return "billing.credit_note_finalized" }

// AggregateKey is the credited invoice's.
func (e CreditNoteFinalized) AggregateKey() string { return invoiceAggregate(e.CreditsID) }

// InvoiceOverdue: an invoice's due date passed unpaid.
type InvoiceOverdue struct {
	DocumentFacts
	OpenMinor int64  `json:"open_minor"` // total less paid and credited
	Day       string `json:"day"`        // the day of the run that found it overdue
}

// EventName implements outbox.Event.
func (InvoiceOverdue) EventName() string { return "billing.invoice_overdue" }

// AggregateKey orders an invoice's events.
func (e InvoiceOverdue) AggregateKey() string { return invoiceAggregate(e.InvoiceID) }

// finalizedEvent is the event a document's finalization publishes.
func finalizedEvent(inv Invoice, credits *Invoice) outbox.Event {
	if inv.Kind == DocCreditNote && credits != nil {
		ev := CreditNoteFinalized{DocumentFacts: factsOf(inv), CreditsID: credits.ID, Reason: inv.Reason}
		if credits.Number != nil {
			ev.CreditsNumber = *credits.Number
		}
		return ev
	}
	return InvoiceFinalized{factsOf(inv)}
}

// publish writes events to the outbox in the caller's transaction.
func (s *Service) publish(ctx context.Context, evs ...outbox.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if err := s.bus.PublishAll(ctx, evs, actorLabel(ctx)); err != nil {
		return fmt.Errorf("publish billing events: %w", err)
	}
	return nil
}

// publishFinalized publishes InvoiceFinalized for each finalized invoice
// of ids, read back in the caller's transaction (the run numbers many at
// once). Credit notes are published where they are issued.
func (s *Service) publishFinalized(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var invs []Invoice
	if err := s.db.Conn(ctx).Where("id IN ? AND status = ? AND kind = ?", ids, InvoiceStatusFinalized, DocInvoice).Order("id").Find(&invs).Error; err != nil {
		return fmt.Errorf("read finalized invoices: %w", err)
	}
	evs := make([]outbox.Event, len(invs))
	for i, inv := range invs {
		evs[i] = InvoiceFinalized{factsOf(inv)}
	}
	return s.publish(ctx, evs...)
}
