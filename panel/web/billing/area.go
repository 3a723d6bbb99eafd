// Package billing is the panel's billing area: the catalog, coupons,
// contracts, invoices and credit notes with their document view, and
// billing profiles, as pages and as /api/v1 handlers. Every handler
// checks the caller's permission here; billing (imported as the domain
// package of the same name) keeps each query inside the caller's scope
// and lets only the seller change what it sells.
package billing

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// Area registers the billing area.
type Area struct{}

type area struct{ *web.Server }

// Routes implements web.Area.
func (Area) Routes(r *web.Router) {
	s := &area{r.Server}
	in := r.Pages
	in.GET("/billing", s.billingHome)
	in.GET("/billing/catalog", s.catalogList)
	in.POST("/billing/catalog", s.productCreate)
	in.GET("/billing/catalog/:id", s.Show("billing_catalog", s.productPage))
	in.POST("/billing/catalog/:id", s.productUpdate)
	in.POST("/billing/catalog/:id/usage", s.usagePricesSave)
	in.GET("/billing/coupons", s.Show("billing_coupons", s.couponsPage))
	in.POST("/billing/coupons", s.Submit("billing_coupons", "/billing/coupons", "created", s.couponsPage, s.saveCoupon))
	in.GET("/billing/contracts", s.Show("billing_contracts", s.contractsPage))
	in.POST("/billing/contracts", s.SubmitNew("billing_contracts", "/billing/contracts/", s.contractsPage, s.saveContract))
	in.GET("/billing/contracts/:id", s.ShowPage("billing_contract", s.contractPage))
	in.POST("/billing/contracts/:id/:action", s.contractPost)
	in.GET("/billing/invoices", s.invoiceList)
	in.GET("/billing/invoices/new", s.Show("billing_invoice_new", s.invoiceNewPage))
	in.POST("/billing/invoices/new", s.SubmitNew("billing_invoice_new", "/billing/invoices/", s.invoiceNewPage, s.saveInvoice))
	in.GET("/billing/invoices/:id", s.ShowPage("billing_invoice", s.invoicePage))
	in.POST("/billing/invoices/:id/:action", s.invoicePost)
	in.GET("/billing/profile", s.ownBillingProfile)
	in.GET("/tenants/:id/billing", s.ShowPage("billing_profile", s.billingProfilePage))
	in.POST("/tenants/:id/billing", s.billingProfileSave)
	in.GET("/billing/tax", s.ownTax)
	in.GET("/tenants/:id/tax", s.ShowPage("billing_tax", s.taxPage))
	in.POST("/tenants/:id/tax", s.taxSave)
	in.GET("/billing/ledger", s.ownLedger)
	in.GET("/tenants/:id/ledger", s.ShowPage("billing_ledger", s.ledgerPage))
	in.POST("/tenants/:id/ledger", s.ledgerSave)
	in.POST("/tenants/:id/ledger/close", s.ledgerClose)
	in.GET("/tenants/:id/ledger/export", s.ledgerExport)
	in.GET("/tenants/:id/reports", s.ShowPage("billing_reports", s.reportsPage))
	in.GET("/tenants/:id/reports/:report", s.reportCSV)

	b := s.Deps.Billing
	api := r.API
	api.GET("/products", web.All(web.Perm(identity.PermBillingRead), s.products))
	api.POST("/products", web.Create(web.Perm(identity.PermCatalog), web.Scoped(b.CreateProduct)))
	api.GET("/products/:id", web.Get(web.Perm(identity.PermBillingRead), web.Scoped(b.Product)))
	api.PUT("/products/:id", web.ChangeOwn(s.ownsProduct, nil, http.StatusOK, web.ScopedID(b.UpdateProduct)))
	api.GET("/coupons", web.All(web.Perm(identity.PermCatalog), s.coupons))
	api.POST("/coupons", web.Create(web.Perm(identity.PermCatalog), web.Scoped(b.CreateCoupon)))
	api.GET("/contracts", web.Paged(web.Perm(identity.PermBillingRead), contractFilter, s.contracts, func(c billing.Contract) int64 { return c.ID }))
	api.POST("/contracts", web.Create(web.Perm(identity.PermContracts), web.Scoped(b.CreateContract)))
	api.GET("/contracts/:id", web.Get(web.Perm(identity.PermBillingRead), web.Scoped(b.Contract)))
	api.POST("/contracts/:id/terminate", s.apiContractAction("terminate"))
	api.POST("/contracts/:id/coupon", s.apiContractAction("coupon"))
	api.GET("/invoices", web.Paged(web.Perm(identity.PermBillingRead), invoiceFilter, s.invoices, func(i invoiceJSON) int64 { return i.ID }))
	api.POST("/invoices", web.Create(web.Perm(identity.PermInvoices), s.createInvoice))
	api.GET("/invoices/:id", web.Get(web.Perm(identity.PermBillingRead), s.invoice))
	api.DELETE("/invoices/:id", s.apiInvoiceDelete)
	api.POST("/invoices/:id/lines", web.ChangeOwn(s.issued, web.Perm(identity.PermInvoices), http.StatusCreated, s.addLine))
	api.POST("/invoices/:id/finalize", s.apiInvoiceAction("finalize"))
	api.POST("/invoices/:id/approve", s.apiInvoiceAction("approve"))
	api.POST("/invoices/:id/credit-notes", web.ChangeOwn(s.issued, web.Perm(identity.PermInvoices), http.StatusCreated, s.creditNote))
	api.GET("/tenants/:id/billing-profile", web.Get(web.Perm(identity.PermBillingRead), web.Scoped(b.Profile)))
	api.PUT("/tenants/:id/billing-profile", web.ChangeOwn(s.readsProfile, web.Perm(identity.PermProfile), http.StatusOK, web.ScopedID(b.SaveProfile)))
	api.GET("/tenants/:id/tax", web.Get(web.Perm(identity.PermBillingRead), s.sellerTax))
	api.PUT("/tenants/:id/tax", web.ChangeOwn(s.readsTax, web.Perm(identity.PermProfile), http.StatusOK, s.saveSellerTax))
	api.GET("/tenants/:id/ledger", web.Get(web.Perm(identity.PermBillingRead), s.book))
	api.PUT("/tenants/:id/ledger", web.ChangeOwn(s.readsBook, web.Perm(identity.PermLedger), http.StatusOK, s.saveBook))
	api.POST("/tenants/:id/ledger/close", web.ChangeOwn(s.readsBook, web.Perm(identity.PermLedger), http.StatusOK, s.closeBook))
	api.GET("/tenants/:id/ledger/entries", s.apiEntries)
	api.GET("/tenants/:id/ledger/export", s.apiLedgerExport)
	api.GET("/tenants/:id/reports/:report", s.apiReport)
	api.POST("/invoices/:id/write-off", web.ChangeOwn(s.issued, web.Perm(identity.PermInvoices), http.StatusOK, s.writeOff))
	api.POST("/invoices/:id/correct-rate", s.apiCorrectRate)
	api.POST("/usage", web.JSON(web.Perm(identity.PermContracts), false, true, http.StatusOK, web.IgnoreID(s.ingestUsage)))
	api.GET("/meters", web.All(web.Perm(identity.PermBillingRead), s.meters))
	api.GET("/products/:id/usage-prices", web.Get(web.Perm(identity.PermBillingRead), s.usagePrices))
	api.PUT("/products/:id/usage-prices", web.ChangeOwn(s.ownsProduct, web.Perm(identity.PermCatalog), http.StatusOK, s.setUsagePrices))
	api.POST("/meters", web.Create(web.Perm(identity.PermCatalog), s.createMeter))

	s.files(r)

	r.Nav(web.NavEntry{Order: 70, Href: "/billing/invoices", Label: "nav.billing", Perm: identity.PermBillingRead,
		Active: func(path, _ string) bool {
			return strings.HasPrefix(path, "/billing") || strings.HasSuffix(path, "/billing")
		}})
}

// ownProduct loads a product of the caller's own catalog: another
// catalog's product is not found (outside the scope) or forbidden (the
// seller's catalog the caller buys from).
func (s *area) ownProduct(c echo.Context, id int64) (billing.Product, error) {
	if err := web.Need(c, identity.PermCatalog); err != nil {
		return billing.Product{}, err
	}
	return sold(c, id, s.Deps.Billing.Product, func(p billing.Product) int64 { return p.SellerID }, "product %d belongs to another seller's catalog")
}

// sold loads object id in the caller's scope (not found outside it) and
// refuses it as forbidden unless the caller sells it.
func sold[T any](c echo.Context, id int64, load func(context.Context, tenancy.Scope, int64) (T, error), seller func(T) int64, refusal string) (T, error) {
	scope := web.CallerOf(c).Scope
	v, err := load(c.Request().Context(), scope, id)
	if err == nil && seller(v) != scope.TenantID {
		err = core.E(core.ErrForbidden, refusal, id)
	}
	return v, err
}

// apiContractAction terminates a contract (no body) or applies a coupon
// ({"code": ...}).
func (s *area) apiContractAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := web.IDParam(c)
		if err != nil {
			return err
		}
		if _, err := sold(c, id, s.Deps.Billing.Contract, func(ct billing.Contract) int64 { return ct.SellerID }, "contract %d is sold by another seller"); err != nil {
			return err
		}
		var in struct {
			Code string `json:"code"`
		}
		if c.Request().ContentLength != 0 {
			if err := web.Bind(c, &in); err != nil {
				return err
			}
		}
		ct, err := s.contractAction(c, id, action, in.Code)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, ct)
	}
}

// issuedInvoice loads the :id document for a change: one outside the
// caller's scope is not found, one the caller did not issue is forbidden.
// It runs before the body is read, so a foreign id never gets a field
// error.
func (s *area) issuedInvoice(c echo.Context) (billing.Invoice, error) {
	id, err := web.IDParam(c)
	if err != nil {
		return billing.Invoice{}, err
	}
	return s.issuedByID(c, id)
}

func (s *area) issuedByID(c echo.Context, id int64) (billing.Invoice, error) {
	return sold(c, id, s.Deps.Billing.Invoice, func(inv billing.Invoice) int64 { return inv.SellerID }, "invoice %d is issued by another seller")
}

// apiInvoiceAction finalizes or approves a document and answers with it.
func (s *area) apiInvoiceAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		inv, err := s.issuedInvoice(c)
		if err != nil {
			return err
		}
		if inv, err = s.invoiceAction(c, inv.ID, action); err != nil {
			return err
		}
		return c.JSON(http.StatusOK, invoiceOut(inv))
	}
}

func (s *area) apiInvoiceDelete(c echo.Context) error {
	inv, err := s.issuedInvoice(c)
	if err != nil {
		return err
	}
	if _, err := s.invoiceAction(c, inv.ID, "delete"); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// The module calls the API answers with, in the caller's scope.

func (s *area) products(ctx context.Context, c identity.Caller) ([]billing.Product, error) {
	return s.Deps.Billing.Products(ctx, c.Scope)
}

func (s *area) coupons(ctx context.Context, c identity.Caller) ([]billing.Coupon, error) {
	return s.Deps.Billing.Coupons(ctx, c.Scope)
}

func (s *area) invoice(ctx context.Context, c identity.Caller, id int64) (invoiceJSON, error) {
	inv, err := s.Deps.Billing.Invoice(ctx, c.Scope, id)
	return invoiceOut(inv), err
}

func (s *area) createInvoice(ctx context.Context, c identity.Caller, in billing.InvoiceInput) (invoiceJSON, error) {
	inv, err := s.Deps.Billing.CreateInvoice(ctx, c.Scope, in)
	return invoiceOut(inv), err
}

func (s *area) invoices(ctx context.Context, c identity.Caller, f billing.InvoiceFilter, p core.Page) ([]invoiceJSON, error) {
	invs, err := s.Deps.Billing.Invoices(ctx, c.Scope, f, p)
	out := make([]invoiceJSON, len(invs))
	for i, inv := range invs {
		out[i] = invoiceOut(inv)
	}
	return out, err
}

func (s *area) contracts(ctx context.Context, c identity.Caller, f billing.ContractFilter, p core.Page) ([]billing.Contract, error) {
	return s.Deps.Billing.Contracts(ctx, c.Scope, f, p)
}

// issued refuses a change to a document the caller did not issue.
func (s *area) issued(c echo.Context, id int64) error {
	_, err := s.issuedByID(c, id)
	return err
}

func (s *area) ownsProduct(c echo.Context, id int64) error {
	_, err := s.ownProduct(c, id)
	return err
}

func (s *area) readsTax(c echo.Context, id int64) error {
	_, err := s.sellerTax(c.Request().Context(), web.CallerOf(c), id)
	return err
}

func (s *area) readsProfile(c echo.Context, id int64) error {
	_, err := s.profileFor(c, id)
	return err
}

func (s *area) addLine(ctx context.Context, c identity.Caller, id int64, in billing.LineInput) (invoiceJSON, error) {
	inv, err := s.Deps.Billing.AddLine(ctx, c.Scope, id, in)
	return invoiceOut(inv), err
}

func (s *area) creditNote(ctx context.Context, c identity.Caller, id int64, in billing.CreditNoteInput) (invoiceJSON, error) {
	cn, err := s.Deps.Billing.CreditNote(ctx, c.Scope, id, in)
	return invoiceOut(cn), err
}
