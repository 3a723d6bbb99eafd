package billing

import (
	"slices"
	"time"

	"faktura/panel/core"
)

// Document kinds.
const (
	DocInvoice    = "invoice"
	DocCreditNote = "credit_note"
)

// InvoiceStatus is where an invoice stands.
type InvoiceStatus string

// Invoice statuses. Finalized and later are frozen documents.
const (
	InvoiceStatusDraft            InvoiceStatus = "draft"
	InvoiceStatusAwaitingApproval InvoiceStatus = "awaiting_approval"
	InvoiceStatusIssuing          InvoiceStatus = "issuing" // written by the run, its number being assigned
	InvoiceStatusFinalized        InvoiceStatus = "finalized"
	InvoiceStatusPartiallyPaid    InvoiceStatus = "partially_paid"
	InvoiceStatusPaid             InvoiceStatus = "paid"
	InvoiceStatusOverdue          InvoiceStatus = "overdue"
	InvoiceStatusCancelled        InvoiceStatus = "cancelled"
	InvoiceStatusUncollectible    InvoiceStatus = "uncollectible" // what was open is written off
)

// InvoiceStatuses lists the statuses in their usual order, for filters.
var InvoiceStatuses = []InvoiceStatus{InvoiceStatusDraft, InvoiceStatusAwaitingApproval, InvoiceStatusIssuing, InvoiceStatusFinalized,
	InvoiceStatusPartiallyPaid, InvoiceStatusPaid, InvoiceStatusOverdue, InvoiceStatusCancelled, InvoiceStatusUncollectible}

// invoiceTransitions is the explicit transition table; anything else is
// refused. On Galera the run writes documents it finalizes as issuing and
// numbers them in a second, short transaction (issue).
var invoiceTransitions = map[InvoiceStatus][]InvoiceStatus{
	InvoiceStatusDraft:            {InvoiceStatusAwaitingApproval, InvoiceStatusFinalized},
	InvoiceStatusIssuing:          {InvoiceStatusFinalized},
	InvoiceStatusAwaitingApproval: {InvoiceStatusFinalized, InvoiceStatusDraft},
	InvoiceStatusFinalized:        {InvoiceStatusPartiallyPaid, InvoiceStatusPaid, InvoiceStatusOverdue, InvoiceStatusCancelled, InvoiceStatusUncollectible},
	InvoiceStatusPartiallyPaid:    {InvoiceStatusPaid, InvoiceStatusOverdue, InvoiceStatusCancelled, InvoiceStatusFinalized, InvoiceStatusUncollectible},
	InvoiceStatusOverdue:          {InvoiceStatusPartiallyPaid, InvoiceStatusPaid, InvoiceStatusCancelled, InvoiceStatusUncollectible},
	// A refund, a returned payment or a moved allocation reopens a paid
	// invoice; a full credit note cancels it (its payments go to credit).
	InvoiceStatusPaid:      {InvoiceStatusPartiallyPaid, InvoiceStatusFinalized, InvoiceStatusOverdue, InvoiceStatusCancelled},
	InvoiceStatusCancelled: {},
	// A written-off invoice is closed: money the customer pays later
	// goes to its credit.
	InvoiceStatusUncollectible: {},
}

// CanMove reports whether the table allows from -> to.
func CanMove(from, to InvoiceStatus) bool {
	return slices.Contains(invoiceTransitions[from], to)
}

// ShownStatus is the status as a reader sees it: a finalized credit note
// is "issued", not open for payment.
func (i Invoice) ShownStatus() string {
	if i.Kind == DocCreditNote && i.Status == InvoiceStatusFinalized {
		return "issued"
	}
	return string(i.Status)
}

// SignedTotal is the total as a list of documents shows it: a credit
// note's is negative.
func (i Invoice) SignedTotal() int64 {
	if i.Kind == DocCreditNote {
		return -i.TotalMinor
	}
	return i.TotalMinor
}

// PayBy is an invoice's due date; a credit note has none.
func (i Invoice) PayBy() string {
	if i.Kind == DocCreditNote {
		return ""
	}
	return i.DueDate
}

// OpenMinor is what is left to pay: the total less payments and credit
// notes (0 for a credit note).
func (i Invoice) OpenMinor() int64 {
	if i.Kind != DocInvoice {
		return 0
	}
	return i.TotalMinor - i.PaidMinor - i.CreditedMinor - i.WrittenOffMinor
}

// Frozen reports whether the document was finalized.
func (i *Invoice) Frozen() bool { return i.FinalizedAt != nil }

// editable refuses changes to a finalized document, and to one the run
// is numbering.
func (i *Invoice) editable() error {
	switch {
	case i.Frozen():
		return ErrFrozen
	case i.Status == InvoiceStatusIssuing:
		return core.E(core.ErrPrecondition, "invoice %d is being numbered by the invoice run and cannot change", i.ID)
	}
	return nil
}

// Invoice is an invoice or a credit note with the seller's and buyer's
// data as they were when it was made.
type Invoice struct {
	ID            int64         `json:"id"`
	SellerID      int64         `json:"seller_id"`
	CustomerID    int64         `json:"customer_id"`
	CustomerPath  string        `json:"-"`
	Kind          string        `json:"kind"`
	CreditsID     *int64        `json:"credits_id,omitempty"`
	Subproject    string        `json:"subproject,omitempty"`
	Status        InvoiceStatus `json:"status"`
	Number        *string       `json:"number"`
	Seq           *int64        `json:"-"`
	Currency      string        `json:"currency"`
	Language      string        `json:"language"`
	IssueDate     string        `json:"issue_date"`
	DueDate       string        `json:"due_date"`
	PeriodStart   string        `json:"period_start,omitempty"`
	PeriodEnd     string        `json:"period_end,omitempty"`
	NetMinor      int64         `json:"net_minor"`
	TaxMinor      int64         `json:"tax_minor"`
	TotalMinor    int64         `json:"total_minor"`
	PaidMinor     int64         `json:"paid_minor"`
	CreditedMinor int64         `json:"credited_minor"`
	// WrittenOffMinor is what was open when the invoice was written off.
	WrittenOffMinor int64      `json:"written_off_minor,omitempty"`
	Taxes           string     `json:"-"`
	TaxBasis        string     `json:"tax_basis,omitempty"` // the decision's basis: what the Art. 59c tally and the VAT reports sum by
	Seller          string     `json:"-"`
	Buyer           string     `json:"-"`
	Flags           string     `json:"flags,omitempty"`
	HoldReason      string     `json:"hold_reason,omitempty"`
	Reason          string     `json:"reason,omitempty"`
	CreatedBy       string     `json:"created_by"`
	ApprovedBy      string     `json:"approved_by,omitempty"`
	FinalizedAt     *time.Time `json:"finalized_at,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	Lines           []Line     `gorm:"-" json:"lines,omitempty"`
}

// Line kinds.
const (
	LineRecurring = "recurring"
	LineSetup     = "setup"
	LineProration = "proration"
	LineCredit    = "credit"
	LineDiscount  = "discount"
	LineUsage     = "usage" // usage above the included quantity
	LineOneOff    = "oneoff"
	LineManual    = "manual"
)

// Line is one invoice line: its net amount is rounded once, here.
type Line struct {
	ID          int64     `json:"id"`
	InvoiceID   int64     `json:"-"`
	Position    int       `json:"position"`
	ContractID  *int64    `json:"contract_id,omitempty"`
	CreditsLine *int64    `json:"credits_line,omitempty"`
	Section     string    `json:"section,omitempty"`
	Kind        string    `json:"kind"`
	Description string    `json:"description"`
	Quantity    string    `json:"quantity"`
	Unit        string    `json:"unit,omitempty"` // what the quantity counts (GB); empty: pieces
	UnitPrice   string    `json:"unit_price"`
	NetMinor    int64     `json:"net_minor"`
	TaxCategory Category  `json:"tax_category"`
	TaxRate     string    `json:"tax_rate"`
	PeriodStart string    `json:"period_start,omitempty"`
	PeriodEnd   string    `json:"period_end,omitempty"`
	CreatedAt   time.Time `json:"-"`
	// subjectKey names the billed subject of a recurring line the run
	// writes; its period goes into billed_periods under a unique key.
	subjectKey string
}

// TableName implements gorm's Tabler.
func (Line) TableName() string { return "invoice_lines" }

// Party is the seller or buyer as printed on a document.
type Party struct {
	TenantID       int64     `json:"tenant_id"`
	Name           string    `json:"name"`
	Address1       string    `json:"address1,omitempty"`
	Address2       string    `json:"address2,omitempty"`
	PostalCode     string    `json:"postal_code,omitempty"`
	City           string    `json:"city,omitempty"`
	Region         string    `json:"region,omitempty"`
	Country        string    `json:"country"`
	Email          string    `json:"email,omitempty"`
	VATID          string    `json:"vat_id,omitempty"`
	VATStatus      VATStatus `json:"vat_status,omitempty"`
	VATRequestID   string    `json:"vat_request_id,omitempty"`
	RegistrationID string    `json:"registration_id,omitempty"`
	TaxNumber      string    `json:"tax_number,omitempty"`
	Phone          string    `json:"phone,omitempty"`
	EndpointID     string    `json:"endpoint_id,omitempty"`
	BuyerReference string    `json:"buyer_reference,omitempty"`
	EInvoice       string    `json:"einvoice,omitempty"`
	OrderReference string    `json:"order_reference,omitempty"`
	IBAN           string    `json:"iban,omitempty"` // a seller's, for bank transfers
	BIC            string    `json:"bic,omitempty"`
}

// TaxSummary is stored with each document: the decision, its note in the
// document's language, and the VAT per category.
type TaxSummary struct {
	Decision TaxDecision `json:"decision"`
	Note     string      `json:"note,omitempty"`
	Lines    []TaxLine   `json:"lines"`
}
