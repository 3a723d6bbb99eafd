package billing

import (
	"html/template"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/core/mail"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/themes"
)

// invoiceDoc is the invoice page: the stored document (for its forms),
// its rendering, and what the caller may do with it.
type invoiceDoc struct {
	Inv        billing.Invoice
	Doc        docView
	IsSeller   bool
	RateChange *billing.RateChange // a VAT rate change overtook the invoice
	CanWrite   bool
	Approve    bool
	Credit     bool
	// WriteOff: the seller may write off what is open as uncollectible.
	WriteOff bool
	// Payments that pay it, with the part each pays; the customer's
	// credit with the seller in its currency; whether the caller may
	// record a payment or apply credit to it.
	Payments    []paidBy
	CreditMinor int64
	CanPay      bool
	PayWith     []string      // the seller's gateways, for the customer to pay online
	Transfer    *transferView // how to pay it by bank transfer, when the seller gave an account
	// Downloads: the XML formats offered beside the PDF (an issued
	// document's; none on a draft).
	XMLFormats []string
	// Mails of the document (the seller's log), and whether the caller
	// may send it again.
	Deliveries []mail.Delivery
	CanResend  bool
}

// transferView is a bank transfer's details with its QR code as a URL
// the page may use (a data: URL of a PNG drawn here).
type transferView struct {
	*payment.Transfer
	QRURL template.URL
}

// paidBy is a payment and the part of it that pays this invoice.
type paidBy struct {
	payment.Payment
	PartMinor int64
}

// docView is the document partial's data: a document written out in its
// language (the buyer's, whatever the reader's panel language) with the
// labels in that language.
type docView struct {
	V     document.View
	theme *themes.Theme
}

// L translates a document label.
func (d docView) L(id string) string { return d.theme.T(d.V.Lang, id, nil) }

// Empty is the text of a document without lines.
func (d docView) Empty() string { return d.L("list.empty") }

// Terms are the payment terms printed on an invoice.
func (d docView) Terms() string {
	switch {
	case d.V.CreditNote || d.V.DueDate == "":
		return ""
	case d.V.PaymentDays <= 0:
		return d.L("doc.payment_now")
	}
	return d.theme.T(d.V.Lang, "doc.payment_terms", map[string]any{"Days": d.V.PaymentDays})
}

// Party is a party's block, line by line, with its identifiers labelled.
func (d docView) Party(p document.PartyView) []string {
	out := append(append([]string{p.Name}, p.Address...), p.IDs(d.L)...)
	if p.Consultation != "" {
		out = append(out, d.L("doc.vies_consultation")+" "+p.Consultation)
	}
	if p.Email != "" {
		out = append(out, p.Email)
	}
	return out
}

func (s *area) invoicePage(c echo.Context, id int64) (*web.Page, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	caller := web.CallerOf(c)
	doc, inv, err := document.Load(c.Request().Context(), s.Deps.Billing, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "billing.invoice")
	d := &invoiceDoc{Inv: inv, Doc: docView{V: doc.View(), theme: s.Deps.Theme}, IsSeller: inv.SellerID == caller.Scope.TenantID}
	d.CanWrite = d.IsSeller && caller.Can(identity.PermInvoices)
	d.Approve = d.IsSeller && caller.Can(identity.PermApprove) && inv.Status == billing.InvoiceStatusAwaitingApproval
	d.Credit = d.CanWrite && inv.Kind == billing.DocInvoice && inv.Frozen() && inv.Status != billing.InvoiceStatusCancelled &&
		inv.Status != billing.InvoiceStatusUncollectible
	d.WriteOff = d.Credit && inv.OpenMinor() > 0 && billing.CanMove(inv.Status, billing.InvoiceStatusUncollectible)
	if inv.Frozen() {
		d.XMLFormats = []string{"cii", "ubl"}
		if f := doc.Buyer.EInvoice; f == "xrechnung" || f == "peppol" {
			d.XMLFormats = append(d.XMLFormats, f)
		}
	}
	if inv.Frozen() && d.IsSeller {
		if d.Deliveries, err = s.Deps.Archive.Deliveries(c.Request().Context(), caller.Scope, inv.ID); err != nil {
			return nil, err
		}
		d.CanResend = d.CanWrite && doc.Buyer.Email != ""
	}
	if err := s.payments(c, d); err != nil {
		return nil, err
	}
	if d.Credit {
		day, err := s.Deps.Billing.SellerDay(c.Request().Context(), inv.SellerID)
		if err != nil {
			return nil, err
		}
		if d.RateChange, err = s.Deps.Billing.InvoiceRateChange(c.Request().Context(), inv, day); err != nil {
			return nil, err
		}
	}
	p.Data = d
	return p, nil
}

// payments fills in the invoice's payments and, for its seller, what it
// may do about them.
func (s *area) payments(c echo.Context, d *invoiceDoc) error {
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	inv := d.Inv
	if inv.Kind != billing.DocInvoice || !inv.Frozen() {
		return nil
	}
	ps, err := s.Deps.Payments.Payments(ctx, caller.Scope, payment.Filter{InvoiceID: inv.ID}, core.Page{Limit: 100})
	if err != nil {
		return err
	}
	for _, p := range ps {
		for _, a := range p.Allocations {
			if a.InvoiceID == inv.ID {
				d.Payments = append(d.Payments, paidBy{p, a.AmountMinor})
			}
		}
	}
	open := inv.OpenMinor() > 0 && inv.Status != billing.InvoiceStatusCancelled
	if open && inv.CustomerID == caller.Scope.TenantID {
		if d.PayWith, err = s.Deps.Payments.EnabledGateways(ctx, inv.SellerID); err != nil {
			return err
		}
	}
	if open {
		t, err := s.Deps.Payments.BankTransfer(ctx, caller.Scope, inv.ID)
		if err != nil {
			return err
		}
		if t != nil {
			d.Transfer = &transferView{Transfer: t, QRURL: template.URL(t.QR)} // a PNG data URL BankTransfer drew, not input
		}
	}
	d.CanPay = d.IsSeller && caller.Can(identity.PermPayments) && open
	if d.CanPay {
		credits, err := s.Deps.Payments.Credits(ctx, caller.Scope, inv.CustomerID)
		if err != nil {
			return err
		}
		for _, b := range credits {
			if b.SellerID == inv.SellerID && b.Currency == inv.Currency {
				d.CreditMinor = b.BalanceMinor
			}
		}
	}
	return nil
}
