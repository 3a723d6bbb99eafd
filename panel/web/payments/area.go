// Package payments is the panel's payments area: the payments a seller
// received and a customer made, recording a payment by hand, refunds,
// moving an allocation back to credit, applying credit to an invoice and
// a customer's credit balance, as pages and as /api/v1 handlers. The
// payment module keeps each query inside the caller's scope; a payment
// is changed only by the seller it was made to.
package payments

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// Area registers the payments area.
type Area struct{}

type area struct{ *web.Server }

// Routes implements web.Area.
func (Area) Routes(r *web.Router) {
	s := &area{r.Server}
	in := r.Pages
	in.GET("/billing/payments", s.Show("billing_payments", s.listPage))
	in.GET("/billing/payments/new", s.Show("billing_payment_new", s.newPage))
	in.POST("/billing/payments/new", s.SubmitNew("billing_payment_new", "/billing/payments/", s.newPage, s.record))
	in.GET("/billing/payments/:id", s.ShowPage("billing_payment", s.paymentPage))
	in.POST("/billing/payments/:id/:action", s.paymentPost)
	in.POST("/billing/invoices/:id/apply-credit", s.applyCreditPost)
	s.online(r)

	p := s.Deps.Payments
	api := r.API
	api.GET("/payments", web.Paged(web.Perm(identity.PermBillingRead), filterOf, s.payments, func(p payment.Payment) int64 { return p.ID }))
	api.POST("/payments", web.Create(web.Perm(identity.PermPayments), web.Scoped(p.RecordManual)))
	api.GET("/payments/:id", web.Get(web.Perm(identity.PermBillingRead), web.Scoped(p.Payment)))
	api.POST("/payments/:id/refund", web.ChangeOwn(s.owns, web.Perm(identity.PermPayments), http.StatusOK, web.ScopedID(p.Refund)))
	api.POST("/payments/:id/unallocate", web.ChangeOwn(s.owns, web.Perm(identity.PermPayments), http.StatusOK,
		func(ctx context.Context, c identity.Caller, id int64, in unallocateInput) (payment.Payment, error) {
			return p.Unallocate(ctx, c.Scope, id, in.InvoiceID, in.Amount)
		}))
	api.POST("/invoices/:id/apply-credit", web.ChangeOwn(s.issues, web.Perm(identity.PermPayments), http.StatusOK,
		func(ctx context.Context, c identity.Caller, id int64, in applyInput) (billing.Invoice, error) {
			return p.ApplyCredit(ctx, c.Scope, id, in.Amount)
		}))
	api.GET("/tenants/:id/credit", web.Get(web.Perm(identity.PermBillingRead), func(ctx context.Context, c identity.Caller, id int64) (web.List[payment.Balance], error) {
		if _, err := s.Deps.Identity.GetTenant(ctx, c, id); err != nil {
			return web.List[payment.Balance]{}, err
		}
		b, err := p.Credits(ctx, c.Scope, id)
		if b == nil {
			b = []payment.Balance{}
		}
		return web.List[payment.Balance]{Data: b}, err
	}))
}

type unallocateInput struct {
	InvoiceID int64  `json:"invoice_id"`
	Amount    string `json:"amount"`
}

type applyInput struct {
	Amount string `json:"amount"`
}

// owns checks the caller received payment id: outside its scope it is
// not found, a payment to another seller (one it made itself) forbidden.
func (s *area) owns(c echo.Context, id int64) error {
	scope := web.CallerOf(c).Scope
	p, err := s.Deps.Payments.Payment(c.Request().Context(), scope, id)
	if err == nil && p.SellerID != scope.TenantID {
		err = core.E(core.ErrForbidden, "payment %d was made to another seller", id)
	}
	return err
}

// issues checks the caller issued invoice id.
func (s *area) issues(c echo.Context, id int64) error {
	scope := web.CallerOf(c).Scope
	inv, err := s.Deps.Billing.Invoice(c.Request().Context(), scope, id)
	if err == nil && inv.SellerID != scope.TenantID {
		err = core.E(core.ErrForbidden, "invoice %d is issued by another seller", id)
	}
	return err
}

// filterOf reads a payment list's filters.
func filterOf(c echo.Context) (payment.Filter, error) {
	var v core.ValidationError
	f := payment.Filter{CustomerID: web.QueryID(c, &v, "customer_id"), SellerID: web.QueryID(c, &v, "seller_id"), InvoiceID: web.QueryID(c, &v, "invoice_id")}
	return f, v.Err()
}

func (s *area) payments(ctx context.Context, c identity.Caller, f payment.Filter, p core.Page) ([]payment.Payment, error) {
	return s.Deps.Payments.Payments(ctx, c.Scope, f, p)
}

// trimmed reads a form field.
func trimmed(c echo.Context, name string) string { return strings.TrimSpace(c.FormValue(name)) }
