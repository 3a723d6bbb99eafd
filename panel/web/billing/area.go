// Package billing is the panel's billing area: the catalog, coupons,
// contracts, invoices and credit notes with their document view, and
// billing profiles, as pages and as /api/v1 handlers. Every handler
// checks the caller's permission here; billing (imported as the domain
// package of the same name) keeps each query inside the caller's scope
// and lets only the seller change what it sells.
package billing

import (
	"strings"

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
	in.GET("/billing/catalog/:id", s.productShow)
	in.POST("/billing/catalog/:id", s.productUpdate)
	in.GET("/billing/coupons", s.couponList)
	in.POST("/billing/coupons", s.couponCreate)
	in.GET("/billing/contracts", s.contractList)
	in.POST("/billing/contracts", s.contractCreate)
	in.GET("/billing/contracts/:id", s.ShowPage("billing_contract", s.contractPage))
	in.POST("/billing/contracts/:id/:action", s.contractPost)
	in.GET("/billing/invoices", s.invoiceList)
	in.GET("/billing/invoices/new", s.invoiceNew)
	in.POST("/billing/invoices/new", s.invoiceCreate)
	in.GET("/billing/invoices/:id", s.ShowPage("billing_invoice", s.invoicePage))
	in.POST("/billing/invoices/:id/:action", s.invoicePost)
	in.GET("/billing/profile", s.ownBillingProfile)
	in.GET("/tenants/:id/billing", s.ShowPage("billing_profile", s.billingProfilePage))
	in.POST("/tenants/:id/billing", s.billingProfileSave)

	api := r.API
	api.GET("/products", s.apiProducts)
	api.POST("/products", s.apiProductCreate)
	api.GET("/products/:id", s.apiProduct)
	api.PUT("/products/:id", s.apiProductUpdate)
	api.GET("/coupons", s.apiCoupons)
	api.POST("/coupons", s.apiCouponCreate)
	api.GET("/contracts", s.apiContracts)
	api.POST("/contracts", s.apiContractCreate)
	api.GET("/contracts/:id", s.apiContract)
	api.POST("/contracts/:id/terminate", s.apiContractAction("terminate"))
	api.POST("/contracts/:id/coupon", s.apiContractAction("coupon"))
	api.GET("/invoices", s.apiInvoices)
	api.POST("/invoices", s.apiInvoiceCreate)
	api.GET("/invoices/:id", s.apiInvoice)
	api.DELETE("/invoices/:id", s.apiInvoiceDelete)
	api.POST("/invoices/:id/lines", s.apiInvoiceLine)
	api.POST("/invoices/:id/finalize", s.apiInvoiceAction("finalize"))
	api.POST("/invoices/:id/approve", s.apiInvoiceAction("approve"))
	api.POST("/invoices/:id/credit-notes", s.apiCreditNote)
	api.GET("/tenants/:id/billing-profile", s.apiBillingProfile)
	api.PUT("/tenants/:id/billing-profile", s.apiBillingProfileSave)

	r.Nav(web.NavEntry{Order: 70, Href: "/billing/invoices", Label: "nav.billing", Perm: identity.PermBillingRead,
		Active: func(path, _ string) bool {
			return strings.HasPrefix(path, "/billing") || strings.HasSuffix(path, "/billing")
		}})
}
