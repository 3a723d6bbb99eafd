package dunning

import (
	"strconv"

	"faktura/provisioning"
)

// StepDone: a dunning step was done on an invoice (a reminder mailed or
// superseded, a fee charged, services suspended or terminated).
type StepDone struct {
	InvoiceID    int64               `json:"invoice_id"`
	SellerID     int64               `json:"seller_id"`
	CustomerID   int64               `json:"customer_id"`
	Step         string              `json:"step"`
	Action       Action              `json:"action"`
	Day          string              `json:"day"`
	Outcome      string              `json:"outcome"`
	FeeMinor     int64               `json:"fee_minor,omitempty"`
	FeeInvoiceID *int64              `json:"fee_invoice_id,omitempty"`
	Held         []provisioning.Item `json:"held,omitempty"`
}

// EventName implements outbox.Event.
func (StepDone) EventName() string { return "billing.dunning_step" }

// AggregateKey orders an invoice's events.
func (e StepDone) AggregateKey() string { return "invoice:" + strconv.FormatInt(e.InvoiceID, 10) }

// NonpaymentSuspended: accounts or resellers were suspended because
// invoices stayed unpaid.
type NonpaymentSuspended struct {
	SellerID   int64               `json:"seller_id"`
	CustomerID int64               `json:"customer_id"`
	Invoices   []int64             `json:"invoices"`
	Held       []provisioning.Item `json:"held"`
	Day        string              `json:"day"`
}

// EventName implements outbox.Event.
func (NonpaymentSuspended) EventName() string { return "billing.nonpayment_suspended" }

// AggregateKey orders a customer's collections events.
func (e NonpaymentSuspended) AggregateKey() string {
	return customerAggregate(e.SellerID, e.CustomerID)
}

// NonpaymentReleased: a customer paid, and what non-payment suspended was
// restored (Released), or left suspended for another reason (Kept).
type NonpaymentReleased struct {
	SellerID   int64               `json:"seller_id"`
	CustomerID int64               `json:"customer_id"`
	Invoices   []int64             `json:"invoices"`
	Released   []provisioning.Item `json:"released"`
	Kept       []provisioning.Item `json:"kept,omitempty"`
	Day        string              `json:"day"`
}

// EventName implements outbox.Event.
func (NonpaymentReleased) EventName() string { return "billing.nonpayment_released" }

// AggregateKey orders a customer's collections events.
func (e NonpaymentReleased) AggregateKey() string { return customerAggregate(e.SellerID, e.CustomerID) }

func customerAggregate(seller, customer int64) string {
	return "collections:" + strconv.FormatInt(seller, 10) + ":" + strconv.FormatInt(customer, 10)
}
