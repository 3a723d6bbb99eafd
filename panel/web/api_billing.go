package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/identity"
)

func (s *Server) apiProducts(c echo.Context) error {
	if err := need(c, identity.PermBillingRead); err != nil {
		return err
	}
	items, err := s.deps.Billing.Products(c.Request().Context(), callerOf(c).Scope)
	if err != nil {
		return err
	}
	if items == nil {
		items = []billing.Product{}
	}
	return c.JSON(http.StatusOK, list[billing.Product]{Data: items})
}

func (s *Server) apiProductCreate(c echo.Context) error {
	if err := need(c, identity.PermCatalog); err != nil {
		return err
	}
	var in billing.ProductInput
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := s.deps.Billing.CreateProduct(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func (s *Server) apiProduct(c echo.Context) error {
	if err := need(c, identity.PermBillingRead); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := s.deps.Billing.Product(c.Request().Context(), callerOf(c).Scope, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// ownProduct loads a product of the caller's own catalog: another
// catalog's product is not found (outside the scope) or forbidden (the
// seller's catalog the caller buys from).
func (s *Server) ownProduct(c echo.Context, id int64) (billing.Product, error) {
	if err := need(c, identity.PermCatalog); err != nil {
		return billing.Product{}, err
	}
	scope := callerOf(c).Scope
	p, err := s.deps.Billing.Product(c.Request().Context(), scope, id)
	if err == nil && p.SellerID != scope.TenantID {
		err = core.E(core.ErrForbidden, "product %d belongs to another seller's catalog", id)
	}
	return p, err
}

func (s *Server) apiProductUpdate(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.ownProduct(c, id); err != nil {
		return err
	}
	var in billing.ProductInput
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := s.deps.Billing.UpdateProduct(c.Request().Context(), callerOf(c).Scope, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) apiCoupons(c echo.Context) error {
	if err := need(c, identity.PermCatalog); err != nil {
		return err
	}
	items, err := s.deps.Billing.Coupons(c.Request().Context(), callerOf(c).Scope)
	if err != nil {
		return err
	}
	if items == nil {
		items = []billing.Coupon{}
	}
	return c.JSON(http.StatusOK, list[billing.Coupon]{Data: items})
}

func (s *Server) apiCouponCreate(c echo.Context) error {
	if err := need(c, identity.PermCatalog); err != nil {
		return err
	}
	var in billing.CouponInput
	if err := bind(c, &in); err != nil {
		return err
	}
	cp, err := s.deps.Billing.CreateCoupon(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, cp)
}

func (s *Server) apiContracts(c echo.Context) error {
	if err := need(c, identity.PermBillingRead); err != nil {
		return err
	}
	pg, err := apiPage(c)
	if err != nil {
		return err
	}
	f, err := contractFilter(c)
	if err != nil {
		return err
	}
	items, err := s.deps.Billing.Contracts(c.Request().Context(), callerOf(c).Scope, f, pg)
	if err != nil {
		return err
	}
	out := list[billing.Contract]{Data: items}
	if items == nil {
		out.Data = []billing.Contract{}
	} else {
		out.NextCursor = cursorAfter(len(items), pg.Limit, items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiContractCreate(c echo.Context) error {
	if err := need(c, identity.PermContracts); err != nil {
		return err
	}
	var in billing.ContractInput
	if err := bind(c, &in); err != nil {
		return err
	}
	ct, err := s.deps.Billing.CreateContract(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, ct)
}

func (s *Server) apiContract(c echo.Context) error {
	if err := need(c, identity.PermBillingRead); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	ct, err := s.deps.Billing.Contract(c.Request().Context(), callerOf(c).Scope, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ct)
}

// apiContractAction terminates a contract (no body) or applies a coupon
// ({"code": ...}).
func (s *Server) apiContractAction(action string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		scope := callerOf(c).Scope
		if ct, err := s.deps.Billing.Contract(c.Request().Context(), scope, id); err != nil {
			return err
		} else if ct.SellerID != scope.TenantID {
			return core.E(core.ErrForbidden, "contract %d is sold by another seller", id)
		}
		var in struct {
			Code string `json:"code"`
		}
		if c.Request().ContentLength != 0 {
			if err := bind(c, &in); err != nil {
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

func (s *Server) apiInvoices(c echo.Context) error {
	if err := need(c, identity.PermBillingRead); err != nil {
		return err
	}
	pg, err := apiPage(c)
	if err != nil {
		return err
	}
	f, err := invoiceFilter(c)
	if err != nil {
		return err
	}
	items, err := s.deps.Billing.Invoices(c.Request().Context(), callerOf(c).Scope, f, pg)
	if err != nil {
		return err
	}
	out := list[invoiceJSON]{Data: make([]invoiceJSON, 0, len(items))}
	for _, inv := range items {
		out.Data = append(out.Data, invoiceOut(inv))
	}
	if len(items) > 0 {
		out.NextCursor = cursorAfter(len(items), pg.Limit, items[len(items)-1].ID)
	}
	return c.JSON(http.StatusOK, out)
}

func (s *Server) apiInvoiceCreate(c echo.Context) error {
	if err := need(c, identity.PermInvoices); err != nil {
		return err
	}
	var in billing.InvoiceInput
	if err := bind(c, &in); err != nil {
		return err
	}
	inv, err := s.deps.Billing.CreateInvoice(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, invoiceOut(inv))
}

func (s *Server) apiInvoice(c echo.Context) error {
	if err := need(c, identity.PermBillingRead); err != nil {
		return err
	}
	id, err := idParam(c)
	if err != nil {
		return err
	}
	inv, err := s.deps.Billing.Invoice(c.Request().Context(), callerOf(c).Scope, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, invoiceOut(inv))
}

// issuedInvoice loads a document for a change: one outside the caller's
// scope is not found, one the caller did not issue is forbidden. It runs
// before the body is read, so a foreign id never gets a field error.
func (s *Server) issuedInvoice(c echo.Context) (billing.Invoice, error) {
	id, err := idParam(c)
	if err != nil {
		return billing.Invoice{}, err
	}
	scope := callerOf(c).Scope
	inv, err := s.deps.Billing.Invoice(c.Request().Context(), scope, id)
	if err == nil && inv.SellerID != scope.TenantID {
		err = core.E(core.ErrForbidden, "invoice %d is issued by another seller", id)
	}
	return inv, err
}

// apiInvoiceAction finalizes or approves a document and answers with it.
func (s *Server) apiInvoiceAction(action string) echo.HandlerFunc {
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

func (s *Server) apiInvoiceDelete(c echo.Context) error {
	inv, err := s.issuedInvoice(c)
	if err != nil {
		return err
	}
	if _, err := s.invoiceAction(c, inv.ID, "delete"); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) apiInvoiceLine(c echo.Context) error {
	inv, err := s.issuedInvoice(c)
	if err != nil {
		return err
	}
	if err := need(c, identity.PermInvoices); err != nil {
		return err
	}
	var in billing.LineInput
	if err := bind(c, &in); err != nil {
		return err
	}
	if inv, err = s.deps.Billing.AddLine(c.Request().Context(), callerOf(c).Scope, inv.ID, in); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, invoiceOut(inv))
}

func (s *Server) apiCreditNote(c echo.Context) error {
	inv, err := s.issuedInvoice(c)
	if err != nil {
		return err
	}
	if err := need(c, identity.PermInvoices); err != nil {
		return err
	}
	var in billing.CreditNoteInput
	if err := bind(c, &in); err != nil {
		return err
	}
	cn, err := s.deps.Billing.CreditNote(c.Request().Context(), callerOf(c).Scope, inv.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, invoiceOut(cn))
}

func (s *Server) apiBillingProfile(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := s.profileFor(c, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (s *Server) apiBillingProfileSave(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.profileFor(c, id); err != nil {
		return err
	}
	if err := need(c, identity.PermProfile); err != nil {
		return err
	}
	var in billing.ProfileInput
	if err := bind(c, &in); err != nil {
		return err
	}
	p, err := s.deps.Billing.SaveProfile(c.Request().Context(), callerOf(c).Scope, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}
