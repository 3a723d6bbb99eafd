package payments

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// online registers paying through gateways: the provider webhooks, the
// pay button and its return page, and each seller's gateway settings.
func (s *area) online(r *web.Router) {
	r.Root.POST("/webhooks/:gateway/:seller", s.webhook, middleware.BodyLimit("1M"))
	r.Root.POST("/webhooks/:gateway", s.webhook, middleware.BodyLimit("1M")) // the operator's own
	r.Pages.POST("/billing/invoices/:id/pay", s.payPost)
	r.Pages.GET("/billing/pay/go", s.payGo)
	r.Pages.GET("/billing/pay/return", s.payReturn)
	r.Pages.GET("/billing/gateways", s.Show("billing_gateways", s.gatewaysPage))
	r.Pages.POST("/billing/gateways/:gateway", s.gatewaySave)
	r.Pages.POST("/billing/methods/:id/forget", s.forgetMethod)
	r.API.GET("/tenants/:id/payment-methods", web.Get(web.Perm(identity.PermBillingRead), func(ctx context.Context, c identity.Caller, id int64) (web.List[payment.Method], error) {
		if _, err := s.Deps.Identity.GetTenant(ctx, c, id); err != nil {
			return web.List[payment.Method]{}, err
		}
		ms, err := s.Deps.Payments.Methods(ctx, c.Scope, id)
		if ms == nil {
			ms = []payment.Method{}
		}
		return web.List[payment.Method]{Data: ms}, err
	}))
	r.API.DELETE("/payment-methods/:id", func(c echo.Context) error {
		id, err := web.IDParam(c)
		if err != nil {
			return err
		}
		if err := web.Need(c, identity.PermBillingRead); err != nil {
			return err
		}
		if err := s.Deps.Payments.ForgetMethod(c.Request().Context(), web.CallerOf(c).Scope, id); err != nil {
			return err
		}
		return c.NoContent(http.StatusNoContent)
	})

	p := s.Deps.Payments
	r.API.POST("/invoices/:id/pay", web.Change(web.Perm(identity.PermBillingRead), http.StatusCreated,
		func(ctx context.Context, c identity.Caller, id int64, in payment.PayInput) (payment.Attempt, error) {
			return p.Pay(ctx, c.Scope, id, in)
		}))
	r.API.POST("/payment-attempts/:id/complete", web.JSON(web.Perm(identity.PermBillingRead), true, false, http.StatusOK,
		func(ctx context.Context, c identity.Caller, id int64, _ struct{}) (payment.Attempt, error) {
			return p.Complete(ctx, c.Scope, id)
		}))
	r.API.GET("/gateways", web.All(web.Perm(identity.PermPayments), func(ctx context.Context, c identity.Caller) ([]payment.GatewayView, error) {
		return p.SellerGateways(ctx, c.Scope)
	}))
	r.API.PUT("/gateways/:gateway", func(c echo.Context) error {
		if err := web.Need(c, identity.PermPayments); err != nil {
			return err
		}
		var in payment.GatewayInput
		if err := web.Bind(c, &in); err != nil {
			return err
		}
		v, err := p.ConfigureGateway(c.Request().Context(), web.CallerOf(c).Scope, c.Param("gateway"), in)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, v)
	})
}

// webhook receives a provider's delivery for one seller's gateway: it is
// verified with that seller's credentials, stored once per event, and
// answered 200; a delivery that does not verify gets 400 and changes
// nothing. Nothing of the body or its signature is logged.
func (s *area) webhook(c echo.Context) error {
	seller, err := int64(tenancy.OperatorID), error(nil)
	if c.Param("seller") != "" {
		seller, err = strconv.ParseInt(c.Param("seller"), 10, 64)
	}
	gateway := c.Param("gateway")
	if err != nil || seller <= 0 {
		return c.JSON(http.StatusBadRequest, web.ErrorBody{Error: web.ErrorDetail{Code: "bad_request", Message: "the webhook address names no seller: /webhooks/<gateway>/<seller id>"}})
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return c.JSON(http.StatusBadRequest, web.ErrorBody{Error: web.ErrorDetail{Code: "bad_request", Message: "unreadable body"}})
	}
	n, err := s.Deps.Payments.ReceiveWebhook(c.Request().Context(), gateway, seller, c.Request().Header, body)
	if errors.Is(err, payment.ErrBadWebhook) {
		s.Deps.Log.Warn("webhook refused", "gateway", gateway, "seller", seller, "remote", c.RealIP(), "bytes", len(body), "reason", err.Error())
		return c.JSON(http.StatusBadRequest, web.ErrorBody{Error: web.ErrorDetail{Code: "bad_request", Message: err.Error()}})
	}
	if err != nil {
		return err
	}
	s.Deps.Log.Info("webhook received", "gateway", gateway, "seller", seller, "new_events", n)
	return c.JSON(http.StatusOK, map[string]int{"received": n})
}

// payPost sends the customer to the provider to pay an invoice.
func (s *area) payPost(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	base := s.Deps.BaseURL + "/billing"
	a, err := s.Deps.Payments.Pay(c.Request().Context(), web.CallerOf(c).Scope, id, payment.PayInput{Gateway: c.FormValue("gateway"),
		ReturnURL: base + "/pay/return", CancelURL: base + "/invoices/" + strconv.FormatInt(id, 10), SaveMethod: c.FormValue("save_method") == "on"})
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/billing/pay/go?attempt="+strconv.FormatInt(a.ID, 10))
}

// payGo sends the payer on to the provider: a page that goes there when
// it loads, with the link to follow by hand.
func (s *area) payGo(c echo.Context) error {
	id, err := strconv.ParseInt(c.QueryParam("attempt"), 10, 64)
	if err != nil || id <= 0 {
		return core.E(core.ErrNotFound, "no such payment")
	}
	a, err := s.Deps.Payments.Attempt(c.Request().Context(), web.CallerOf(c).Scope, id)
	if err != nil {
		return err
	}
	if a.CustomerID != web.CallerOf(c).Scope.TenantID || a.RedirectURL == nil || a.Status != payment.AttemptRedirected {
		return core.E(core.ErrNotFound, "no payment to continue")
	}
	p := s.NewPage(c, "payments.go")
	p.Redirect = *a.RedirectURL
	p.Data = a
	return s.Render(c, http.StatusOK, "billing_pay_go", p)
}

// payReturn is where the provider sends the payer back: the payment is
// completed and the payer sees the invoice.
func (s *area) payReturn(c echo.Context) error {
	id, err := strconv.ParseInt(c.QueryParam("attempt"), 10, 64)
	if err != nil || id <= 0 {
		return core.E(core.ErrNotFound, "no such payment")
	}
	a, err := s.Deps.Payments.Complete(c.Request().Context(), web.CallerOf(c).Scope, id)
	if err != nil {
		return err
	}
	web.Flash(c, "payment_"+a.Status)
	return c.Redirect(http.StatusSeeOther, "/billing/invoices/"+strconv.FormatInt(a.InvoiceID, 10))
}

type gatewaysView struct {
	Gateways   []payment.GatewayView
	WebhookURL string // the address providers post to, without the gateway
	SellerID   int64
}

func (s *area) gatewaysPage(c echo.Context) (*web.Page, error) {
	if err := web.Need(c, identity.PermPayments); err != nil {
		return nil, err
	}
	caller := web.CallerOf(c)
	gs, err := s.Deps.Payments.SellerGateways(c.Request().Context(), caller.Scope)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "gateways.title")
	for _, g := range gs {
		for k, v := range g.Settings {
			p.Form[g.Gateway+"."+k] = v
		}
	}
	p.Data = gatewaysView{Gateways: gs, WebhookURL: s.Deps.BaseURL + "/webhooks/", SellerID: caller.Scope.TenantID}
	return p, nil
}

func (s *area) gatewaySave(c echo.Context) error {
	p, err := s.gatewaysPage(c)
	if err != nil {
		return err
	}
	name := c.Param("gateway")
	fields, ok := payment.FieldsOf(name)
	if !ok {
		return core.E(core.ErrNotFound, "no payment gateway %q", name)
	}
	in := payment.GatewayInput{Enabled: c.FormValue("enabled") == "on", Settings: map[string]string{}}
	for _, f := range fields {
		in.Settings[f.Name] = c.FormValue(name + "." + f.Name)
		if !f.Secret {
			p.Form[name+"."+f.Name] = in.Settings[f.Name]
		}
	}
	if _, err := s.Deps.Payments.ConfigureGateway(c.Request().Context(), web.CallerOf(c).Scope, name, in); err != nil {
		var ve *core.ValidationError
		if errors.As(err, &ve) {
			prefixed := &core.ValidationError{}
			for k, v := range ve.Fields {
				prefixed.Add(name+"."+strings.TrimPrefix(k, "settings."), v)
			}
			err = prefixed
		}
		return s.FormError(c, "billing_gateways", p, err)
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/billing/gateways")
}

// forgetMethod removes a saved payment method (its customer or its
// seller), back to the billing profile.
func (s *area) forgetMethod(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	caller := web.CallerOf(c)
	if err := s.Deps.Payments.ForgetMethod(c.Request().Context(), caller.Scope, id); err != nil {
		return err
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/billing/profile")
}
