package billing

import (
	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/identity"
	"faktura/panel/web"
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *area) apiProducts(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	items, err := s.Deps.Billing.Products(c.Request().Context(), web.CallerOf(c).Scope)
	if err != nil {
		return err
	}
	if items == nil {
		items = []billing.Product{}
	}
	return c.JSON(http.StatusOK, web.List[billing.Product]{Data: items})
}

func (s *area) apiProductCreate(c echo.Context) error {
	if err := web.Need(c, identity.PermCatalog); err != nil {
		return err
	}
	var in billing.ProductInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	p, err := s.Deps.Billing.CreateProduct(c.Request().Context(), web.CallerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (s *area) apiProduct(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	p, err := s.Deps.Billing.Product(c.Request().Context(), web.CallerOf(c).Scope, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// ownProduct loads a product of the caller's own catalog: another
// catalog's product is not found (outside the scope) or forbidden (the
// seller's catalog the caller buys from).
func (s *area) ownProduct(c echo.Context, id int64) (billing.Product, error) {
	if err := web.Need(c, identity.PermCatalog); err != nil {
		return billing.Product{}, err
	}
	scope := web.CallerOf(c).Scope
	p, err := s.Deps.Billing.Product(c.Request().Context(), scope, id)
	if err == nil && p.SellerID != scope.TenantID {
		err = core.E(core.ErrForbidden, "product %d belongs to another seller's catalog", id)
	}
	return p, err
}

func (s *area) apiProductUpdate(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if _, err := s.ownProduct(c, id); err != nil {
		return err
	}
	var in billing.ProductInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	p, err := s.Deps.Billing.UpdateProduct(c.Request().Context(), web.CallerOf(c).Scope, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *area) apiCoupons(c echo.Context) error {
	if err := web.Need(c, identity.PermCatalog); err != nil {
		return err
	}
	items, err := s.Deps.Billing.Coupons(c.Request().Context(), web.CallerOf(c).Scope)
	if err != nil {
		return err
	}
	if items == nil {
		items = []billing.Coupon{}
	}
	return c.JSON(http.StatusOK, web.List[billing.Coupon]{Data: items})
}

func (s *area) apiCouponCreate(c echo.Context) error {
	if err := web.Need(c, identity.PermCatalog); err != nil {
		return err
	}
	var in billing.CouponInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	cp, err := s.Deps.Billing.CreateCoupon(c.Request().Context(), web.CallerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cp)
}

func (s *area) apiContracts(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	pg, err := web.APIPage(c)
	if err != nil {
		return err
	}
	f, err := contractFilter(c)
	if err != nil {
		return err
	}
	items, err := s.Deps.Billing.Contracts(c.Request().Context(), web.CallerOf(c).Scope, f, pg)
	if err != nil {
		return err
	}
	out := web.List[billing.Contract]{Data: items}
	if items == nil {
		out.Data = []billing.Contract{}
	} else {
		out.NextCursor = web.CursorAfter(len(items), pg.Limit, items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *area) apiContractCreate(c echo.Context) error {
	if err := web.Need(c, identity.PermContracts); err != nil {
		return err
	}
	var in billing.ContractInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	ct, err := s.Deps.Billing.CreateContract(c.Request().Context(), web.CallerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ct)
}

func (s *area) apiContract(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	ct, err := s.Deps.Billing.Contract(c.Request().Context(), web.CallerOf(c).Scope, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ct)
}

// apiContractAction terminates a contract (no body) or applies a coupon
// ({"code": ...}).
func (s *area) apiContractAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := web.IDParam(c)
		if err != nil {
			return err
		}
		scope := web.CallerOf(c).Scope
		if ct, err := s.Deps.Billing.Contract(c.Request().Context(), scope, id); err != nil {
			return err
		} else if ct.SellerID != scope.TenantID {
			return core.E(core.ErrForbidden, "contract %d is sold by another seller", id)
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

func (s *area) apiInvoices(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	pg, err := web.APIPage(c)
	if err != nil {
		return err
	}
	f, err := invoiceFilter(c)
	if err != nil {
		return err
	}
	items, err := s.Deps.Billing.Invoices(c.Request().Context(), web.CallerOf(c).Scope, f, pg)
	if err != nil {
		return err
	}
	out := web.List[invoiceJSON]{Data: make([]invoiceJSON, 0, len(items))}
	for _, inv := range items {
		out.Data = append(out.Data, invoiceOut(inv))
	}
	if len(items) > 0 {
		out.NextCursor = web.CursorAfter(len(items), pg.Limit, items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *area) apiInvoiceCreate(c echo.Context) error {
	if err := web.Need(c, identity.PermInvoices); err != nil {
		return err
	}
	var in billing.InvoiceInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	inv, err := s.Deps.Billing.CreateInvoice(c.Request().Context(), web.CallerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, invoiceOut(inv))
}

func (s *area) apiInvoice(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	inv, err := s.Deps.Billing.Invoice(c.Request().Context(), web.CallerOf(c).Scope, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, invoiceOut(inv))
}

// issuedInvoice loads a document for a change: one outside the caller's
// scope is not found, one the caller did not issue is forbidden. It runs
// before the body is read, so a foreign id never gets a field error.
func (s *area) issuedInvoice(c echo.Context) (billing.Invoice, error) {
	id, err := web.IDParam(c)
	if err != nil {
		return billing.Invoice{}, err
	}
	scope := web.CallerOf(c).Scope
	inv, err := s.Deps.Billing.Invoice(c.Request().Context(), scope, id)
	if err == nil && inv.SellerID != scope.TenantID {
		err = core.E(core.ErrForbidden, "invoice %d is issued by another seller", id)
	}
	return inv, err
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

func (s *area) apiInvoiceLine(c echo.Context) error {
	inv, err := s.issuedInvoice(c)
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermInvoices); err != nil {
		return err
	}
	var in billing.LineInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	if inv, err = s.Deps.Billing.AddLine(c.Request().Context(), web.CallerOf(c).Scope, inv.ID, in); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, invoiceOut(inv))
}

func (s *area) apiCreditNote(c echo.Context) error {
	inv, err := s.issuedInvoice(c)
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermInvoices); err != nil {
		return err
	}
	var in billing.CreditNoteInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	cn, err := s.Deps.Billing.CreditNote(c.Request().Context(), web.CallerOf(c).Scope, inv.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, invoiceOut(cn))
}

func (s *area) apiBillingProfile(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	p, err := s.profileFor(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *area) apiBillingProfileSave(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if _, err := s.profileFor(c, id); err != nil {
		return err
	}
	if err := web.Need(c, identity.PermProfile); err != nil {
		return err
	}
	var in billing.ProfileInput
	if err := web.Bind(c, &in); err != nil {
		return err
	}
	p, err := s.Deps.Billing.SaveProfile(c.Request().Context(), web.CallerOf(c).Scope, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
