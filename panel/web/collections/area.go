// Package collections is the panel's collections area: a seller's
// overdue invoices by age with the next dunning step of each, holds, and
// what is suspended for non-payment (with the servers that failed to
// suspend), as a page and as /api/v1 handlers; and a customer's own
// status (what is overdue, when its services are suspended). The dunning
// module keeps each query inside the caller's scope.
package collections

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/billing/dunning"
	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// Area registers the collections area.
type Area struct{}

type area struct{ *web.Server }

// Routes implements web.Area.
func (Area) Routes(r *web.Router) {
	s := &area{r.Server}
	in := r.Pages
	in.GET("/billing/collections", s.Show("billing_collections", s.page))
	in.POST("/billing/collections/holds", s.Submit("billing_collections", "/billing/collections", "saved", s.page, s.putHold))
	in.POST("/billing/collections/holds/:id/end", s.endHoldPost)

	api := r.API
	api.GET("/collections", web.JSON(web.Perm(identity.PermBillingRead), false, false, http.StatusOK,
		func(ctx context.Context, c identity.Caller, _ int64, _ struct{}) (dunning.Report, error) {
			return s.Deps.Dunning.Collections(ctx, c.Scope, s.today())
		}))
	api.GET("/collections/status", web.JSON(web.Perm(identity.PermBillingRead), false, false, http.StatusOK,
		func(ctx context.Context, c identity.Caller, _ int64, _ struct{}) (dunning.ClientStatus, error) {
			return s.Deps.Dunning.Client(ctx, c.Scope, s.today())
		}))
	api.GET("/collections/holds", web.All(web.Perm(identity.PermBillingRead), func(ctx context.Context, c identity.Caller) ([]dunning.Hold, error) {
		return s.Deps.Dunning.Holds(ctx, c.Scope, s.today())
	}))
	api.POST("/collections/holds", web.Create(web.Perm(identity.PermPayments), web.Scoped(s.Deps.Dunning.PutHold)))
	api.DELETE("/collections/holds/:id", web.JSON(web.Perm(identity.PermPayments), true, false, http.StatusOK,
		func(ctx context.Context, c identity.Caller, id int64, _ struct{}) (map[string]any, error) {
			return map[string]any{"id": id, "ended": true}, s.Deps.Dunning.EndHold(ctx, c.Scope, id)
		}))
}

// today is the day the views are as of.
func (s *area) today() core.Date { return core.DateOf(s.Deps.Clock.Now().UTC()) }

type pageView struct {
	Report    dunning.Report
	Ages      [4]string
	Customers []identity.Tenant // for the hold form
	CanHold   bool
	Today     string
}

func (s *area) page(c echo.Context) (*web.Page, error) {
	caller := web.CallerOf(c)
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	if caller.Scope.Kind == tenancy.KindClient {
		return nil, core.E(core.ErrForbidden, "the collections view is for sellers")
	}
	ctx := c.Request().Context()
	rep, err := s.Deps.Dunning.Collections(ctx, caller.Scope, s.today())
	if err != nil {
		return nil, err
	}
	v := pageView{Report: rep, Ages: dunning.AgeLabels, CanHold: caller.Can(identity.PermPayments), Today: s.today().String()}
	if v.CanHold {
		if v.Customers, err = s.Deps.Identity.ListTenants(ctx, caller, identity.TenantFilter{ParentID: caller.Scope.TenantID}, core.Page{Limit: 500}); err != nil {
			return nil, err
		}
	}
	p := s.NewPage(c, "collections.title")
	p.Data = v
	return p, nil
}

// putHold saves the hold form.
func (s *area) putHold(c echo.Context, p *web.Page) error {
	p.Fill(c, "customer_id", "invoice_id", "reason", "until")
	in := dunning.HoldInput{CustomerID: web.FormInt(p.Form["customer_id"]), Reason: p.Form["reason"], Until: p.Form["until"]}
	if raw := strings.TrimSpace(p.Form["invoice_id"]); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return core.Invalid("invoice_id", "must be an invoice number from the list, or empty")
		}
		in.InvoiceID = id
	}
	_, err := s.Deps.Dunning.PutHold(c.Request().Context(), web.CallerOf(c).Scope, in)
	return err
}

// endHoldPost ends a hold.
func (s *area) endHoldPost(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermPayments); err != nil {
		return err
	}
	if err := s.Deps.Dunning.EndHold(c.Request().Context(), web.CallerOf(c).Scope, id); err != nil {
		return err
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/billing/collections")
}
