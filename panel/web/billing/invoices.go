package billing

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// How many price rows the product form offers, and line rows the manual
// invoice form.
const (
	priceRows = 4
	lineRows  = 5
)

// invoiceRow is a document in a list with its buyer's name from the
// document's own snapshot.
type invoiceRow struct {
	billing.Invoice
	BuyerName string
}

type invoicesView struct {
	web.ListView[invoiceRow]
	Statuses []billing.InvoiceStatus
	Kinds    []string
	Seller   bool
}

func buyerName(inv billing.Invoice) string {
	var b billing.Party
	_ = json.Unmarshal([]byte(inv.Buyer), &b)
	return b.Name
}

func (s *area) invoiceList(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	caller := web.CallerOf(c)
	p := s.NewPage(c, "billing.invoices")
	p.Fill(c, "kind", "status", "customer_id", "number", "from", "to")
	v := invoicesView{Statuses: billing.InvoiceStatuses, Kinds: []string{billing.DocInvoice, billing.DocCreditNote}, Seller: caller.Can(identity.PermInvoices)}
	p.Data = &v
	f, err := invoiceFilter(c)
	if err != nil {
		return s.FormError(c, "billing_invoices", p, err)
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	items, err := s.Deps.Billing.Invoices(c.Request().Context(), caller.Scope, f, core.Page{Before: before, Limit: web.PageSize})
	if err != nil {
		return err
	}
	for _, inv := range items {
		v.Items = append(v.Items, invoiceRow{inv, buyerName(inv)})
	}
	v.Next = web.NextLink(c, items, web.PageSize, func(r billing.Invoice) int64 { return r.ID })
	return s.Render(c, http.StatusOK, "billing_invoices", p)
}

type invoiceNewView struct {
	Customers []identity.Tenant
	Rows      int // line rows; the template ranges over seq Rows
}

func (s *area) invoiceNewPage(c echo.Context) (*web.Page, error) {
	if err := web.Need(c, identity.PermInvoices); err != nil {
		return nil, err
	}
	cust, err := s.customers(c)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "billing.invoice_new")
	p.Data = invoiceNewView{Customers: cust, Rows: lineRows}
	p.Form["currency"], p.Form["customer_id"] = "EUR", c.QueryParam("customer_id")
	return p, nil
}

func (s *area) saveInvoice(c echo.Context, p *web.Page) (int64, error) {
	p.Fill(c, "customer_id", "currency")
	in := billing.InvoiceInput{CustomerID: web.FormInt(p.Form["customer_id"]), Currency: p.Form["currency"]}
	rows := []int{}
	for i := range lineRows {
		n := strconv.Itoa(i)
		p.Fill(c, "description_"+n, "quantity_"+n, "unit_price_"+n)
		if p.Form["description_"+n] == "" && p.Form["unit_price_"+n] == "" {
			continue
		}
		rows = append(rows, i)
		in.Lines = append(in.Lines, billing.LineInput{Description: p.Form["description_"+n], Quantity: p.Form["quantity_"+n], UnitPrice: p.Form["unit_price_"+n]})
	}
	inv, err := s.Deps.Billing.CreateInvoice(c.Request().Context(), web.CallerOf(c).Scope, in)
	return inv.ID, web.RowErrors(err, "lines", web.ByRow(rows))
}

// invoicePost handles the invoice page's forms: finalize, approve,
// delete (a draft), line (a manual line on a draft) and credit (a credit
// note, in full or per line).
func (s *area) invoicePost(c echo.Context) error {
	inv, err := s.issuedInvoice(c)
	if err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	target := "/billing/invoices/" + strconv.FormatInt(inv.ID, 10)
	var opErr error
	switch action := c.Param("action"); action {
	case "line":
		if opErr = web.Need(c, identity.PermInvoices); opErr == nil {
			_, opErr = s.Deps.Billing.AddLine(ctx, scope, inv.ID, billing.LineInput{Description: c.FormValue("description"),
				Quantity: c.FormValue("quantity"), UnitPrice: c.FormValue("unit_price")})
		}
	case "credit":
		var cn billing.Invoice
		if opErr = web.Need(c, identity.PermInvoices); opErr == nil {
			in, perr := creditForm(c, inv)
			if opErr = perr; opErr == nil {
				cn, opErr = s.Deps.Billing.CreditNote(ctx, scope, inv.ID, in)
				opErr = web.RowErrors(opErr, "lines", func(i int, _ string) (string, bool) {
					if i >= len(in.Lines) {
						return "", false
					}
					return "credit_" + strconv.FormatInt(in.Lines[i].LineID, 10), true
				})
			}
		}
		if opErr == nil {
			target = "/billing/invoices/" + strconv.FormatInt(cn.ID, 10)
		}
	case "delete":
		if _, opErr = s.invoiceAction(c, inv.ID, action); opErr == nil {
			web.Flash(c, "deleted")
			return c.Redirect(http.StatusSeeOther, "/billing/invoices")
		}
	default:
		_, opErr = s.invoiceAction(c, inv.ID, action)
	}
	if opErr != nil {
		if core.Kind(opErr) == core.ErrNotFound {
			return opErr
		}
		p, err := s.invoicePage(c, inv.ID)
		if err != nil {
			return err
		}
		p.Fill(c, "description", "quantity", "unit_price", "reason")
		for _, l := range inv.Lines {
			p.Fill(c, "credit_"+strconv.FormatInt(l.ID, 10))
		}
		return s.FormError(c, "billing_invoice", p, opErr)
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, target)
}

// creditForm reads the credit-note form: full, or an amount per line in
// the invoice's currency.
func creditForm(c echo.Context, inv billing.Invoice) (billing.CreditNoteInput, error) {
	in := billing.CreditNoteInput{Full: c.FormValue("full") == "on", Reason: c.FormValue("reason")}
	if in.Full {
		return in, nil
	}
	var v core.ValidationError
	for _, l := range inv.Lines {
		field := "credit_" + strconv.FormatInt(l.ID, 10)
		raw := strings.TrimSpace(c.FormValue(field))
		if raw == "" || raw == "0" {
			continue
		}
		amount, problem := billing.ParseAmount(raw, inv.Currency)
		if problem != "" {
			v.Add(field, problem)
			continue
		}
		in.Lines = append(in.Lines, billing.CreditItem{LineID: l.ID, AmountMinor: amount})
	}
	return in, v.Err()
}
