// Package billing is the panel's billing area: the catalog, coupons,
// contracts, invoices and credit notes with their document view, and
// billing profiles, as pages and as /api/v1 handlers. Every handler
// checks the caller's permission here; billing (imported as the domain
// package of the same name) keeps each query inside the caller's scope
// and lets only the seller change what it sells.
package billing

import (
	"net/http"
	"strings"

	"faktura/billing"
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

	r.Nav(web.NavEntry{Order: 70, Href: "/billing/invoices", Label: "nav.billing", Perm: identity.PermBillingRead,
		Active: func(path, _ string) bool {
			return strings.HasPrefix(path, "/billing") || strings.HasSuffix(path, "/billing")
		}})
}
