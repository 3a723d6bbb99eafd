package document

import (
	"context"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/tenancy"
)

// maxCreditNotes bounds the credit notes a document lists.
const maxCreditNotes = 100

// Load reads document id in the caller's scope with the documents it
// refers to (the invoice a credit note corrects, the credit notes of an
// invoice) and builds its Document. A referenced document outside the
// scope is left out.
func Load(ctx context.Context, s *billing.Service, scope tenancy.Scope, id int64) (Document, billing.Invoice, error) {
	inv, err := s.Invoice(ctx, scope, id)
	if err != nil {
		return Document{}, inv, err
	}
	var credits *billing.Invoice
	if inv.CreditsID != nil {
		if orig, err := s.Invoice(ctx, scope, *inv.CreditsID); err == nil {
			credits = &orig
		}
	}
	var notes []billing.Invoice
	if inv.Kind == billing.DocInvoice && inv.Frozen() {
		if notes, err = s.Invoices(ctx, scope, billing.InvoiceFilter{CreditsID: inv.ID}, core.Page{Limit: maxCreditNotes}); err != nil {
			return Document{}, inv, err
		}
	}
	d, err := Build(inv, credits, notes)
	return d, inv, err
}
