package payments

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
)

type listView struct {
	web.ListView[payment.Payment]
	Names  map[int64]string // tenants by id: customers and sellers
	Seller bool             // the caller records payments
}

func (s *area) listPage(c echo.Context) (*web.Page, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	caller := web.CallerOf(c)
	p := s.NewPage(c, "payments.title")
	p.Fill(c, "customer_id")
	f, err := filterOf(c)
	if err != nil {
		return nil, err
	}
	items, err := s.Deps.Payments.Payments(c.Request().Context(), caller.Scope, f, web.PageOf(c))
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, it := range items {
		ids = append(ids, it.CustomerID, it.SellerID)
	}
	p.Data = listView{ListView: web.ListOf(c, items, web.PageSize, func(p payment.Payment) int64 { return p.ID }), Names: s.TenantNames(c, ids),
		Seller: caller.Can(identity.PermPayments) && caller.Scope.Kind != tenancy.KindClient}
	return p, nil
}

type newView struct {
	Customers []identity.Tenant
	Methods   []string
	Invoice   *billing.Invoice // the invoice the form pays, when it came from one
}

func (s *area) newPage(c echo.Context) (*web.Page, error) {
	caller := web.CallerOf(c)
	if err := web.Need(c, identity.PermPayments); err != nil {
		return nil, err
	}
	ctx := c.Request().Context()
	cust, err := s.Deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{ParentID: caller.Scope.TenantID}, core.Page{Limit: 200})
	if err != nil {
		return nil, err
	}
	v := newView{Customers: cust, Methods: payment.ManualMethods}
	p := s.NewPage(c, "payments.new")
	p.Form = map[string]string{"method": "bank_transfer", "received_on": core.DateOf(s.Deps.Clock.Now().UTC()).String(), "currency": "EUR",
		"customer_id": c.QueryParam("customer_id")}
	if id, _ := strconv.ParseInt(c.QueryParam("invoice_id"), 10, 64); id > 0 {
		if err := s.issues(c, id); err != nil {
			return nil, err
		}
		inv, err := s.Deps.Billing.Invoice(ctx, caller.Scope, id)
		if err != nil {
			return nil, err
		}
		v.Invoice = &inv
		open := major(inv.OpenMinor(), inv.Currency)
		p.Form["customer_id"], p.Form["currency"], p.Form["amount"], p.Form["invoice_id"], p.Form["allocate"] =
			strconv.FormatInt(inv.CustomerID, 10), inv.Currency, open, strconv.FormatInt(id, 10), open
	}
	p.Data = v
	return p, nil
}

// record saves the form: the payment and, when the form names one, what
// it pays of an invoice.
func (s *area) record(c echo.Context, p *web.Page) (int64, error) {
	p.Fill(c, "customer_id", "method", "amount", "currency", "received_on", "reference", "note", "invoice_id", "allocate")
	in := payment.ManualInput{CustomerID: web.FormInt(p.Form["customer_id"]), Method: p.Form["method"], Amount: p.Form["amount"],
		Currency: p.Form["currency"], ReceivedOn: p.Form["received_on"], Reference: p.Form["reference"], Note: p.Form["note"]}
	if id := web.FormInt(p.Form["invoice_id"]); id > 0 && p.Form["allocate"] != "" {
		in.Allocations = []payment.AllocationInput{{InvoiceID: id, Amount: p.Form["allocate"]}}
	}
	pay, err := s.Deps.Payments.RecordManual(c.Request().Context(), web.CallerOf(c).Scope, in)
	return pay.ID, renameAllocation(err)
}

// renameAllocation names the form's field for the one allocation's
// problems.
func renameAllocation(err error) error {
	return web.RowErrors(err, "allocations", func(_ int, name string) (string, bool) {
		if name == "amount" {
			return "allocate", true
		}
		return "invoice_id", true
	})
}

type paymentView struct {
	Payment  payment.Payment
	Names    map[int64]string
	Invoices map[int64]billing.Invoice // allocated invoices
	Refunds  []payment.Refund
	Editable bool // the caller received it and may change it
}

func (s *area) paymentPage(c echo.Context, id int64) (*web.Page, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	pay, err := s.Deps.Payments.Payment(ctx, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	v := paymentView{Payment: pay, Names: s.TenantNames(c, []int64{pay.SellerID, pay.CustomerID}), Invoices: map[int64]billing.Invoice{},
		Editable: pay.SellerID == caller.Scope.TenantID && caller.Can(identity.PermPayments)}
	for _, a := range pay.Allocations {
		if inv, err := s.Deps.Billing.Invoice(ctx, caller.Scope, a.InvoiceID); err == nil {
			v.Invoices[a.InvoiceID] = inv
		}
	}
	if v.Refunds, err = s.Deps.Payments.Refunds(ctx, caller.Scope, id); err != nil {
		return nil, err
	}
	p := s.NewPage(c, "payments.payment")
	p.Data = v
	return p, nil
}

// paymentPost refunds a payment or takes an allocation back to credit.
func (s *area) paymentPost(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	p, err := s.paymentPage(c, id)
	if err != nil {
		return err
	}
	if err := s.owns(c, id); err != nil {
		return err
	}
	if err := web.Need(c, identity.PermPayments); err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	switch c.Param("action") {
	case "refund":
		p.Fill(c, "amount", "reason", "cancel_invoices")
		if err = web.Confirmed(c); err == nil {
			_, err = s.Deps.Payments.Refund(ctx, scope, id, payment.RefundInput{Amount: p.Form["amount"], Reason: p.Form["reason"],
				CancelInvoices: p.Form["cancel_invoices"] == "on"})
		}
	case "unallocate":
		_, err = s.Deps.Payments.Unallocate(ctx, scope, id, web.FormInt(c.FormValue("invoice_id")), "")
	default:
		return core.E(core.ErrNotFound, "no such action")
	}
	if err != nil {
		return s.FormError(c, "billing_payment", p, err)
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/billing/payments/"+strconv.FormatInt(id, 10))
}

// applyCreditPost pays an invoice from its customer's credit.
func (s *area) applyCreditPost(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if err := s.issues(c, id); err != nil {
		return err
	}
	if err := web.Need(c, identity.PermPayments); err != nil {
		return err
	}
	back := "/billing/invoices/" + strconv.FormatInt(id, 10)
	if _, err := s.Deps.Payments.ApplyCredit(c.Request().Context(), web.CallerOf(c).Scope, id, trimmed(c, "amount")); err != nil {
		return err
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, back)
}

// major writes minor units as the forms take them: "12.50".
func major(minor int64, cur string) string {
	m := money.Money{Amount: minor, Currency: money.Currency(cur)}
	return m.Decimal().StringFixed(m.Currency.Exponent())
}
