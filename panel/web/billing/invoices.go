package billing

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/core/money"
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
	case "correct_rate":
		var repl billing.Invoice
		if opErr = web.Need(c, identity.PermInvoices); opErr == nil {
			if _, repl, opErr = s.Deps.Billing.CorrectRate(ctx, scope, inv.ID); opErr == nil {
				web.Flash(c, "rate_corrected")
				return c.Redirect(http.StatusSeeOther, "/billing/invoices/"+strconv.FormatInt(repl.ID, 10))
			}
		}
	case "write_off":
		if opErr = web.Need(c, identity.PermInvoices); opErr == nil {
			if opErr = web.Confirmed(c); opErr == nil {
				if _, opErr = s.Deps.Billing.WriteOff(ctx, scope, inv.ID, c.FormValue("write_off_reason")); opErr == nil {
					web.Flash(c, "written_off")
					return c.Redirect(http.StatusSeeOther, target)
				}
				opErr = renameField(opErr, "reason", "write_off_reason")
			}
		}
	case "resend":
		if opErr = web.Need(c, identity.PermInvoices); opErr == nil {
			if opErr = s.Deps.Archive.Resend(ctx, scope, inv.ID); opErr == nil {
				web.Flash(c, "mail_queued")
				return c.Redirect(http.StatusSeeOther, target)
			}
		}
	case "delete":
		if opErr = web.Confirmed(c); opErr != nil {
			break
		}
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

// invoiceFilter reads the invoice list's filters from the query string.
func invoiceFilter(c echo.Context) (billing.InvoiceFilter, error) {
	f := billing.InvoiceFilter{Kind: c.QueryParam("kind"), Status: c.QueryParam("status"), Number: strings.TrimSpace(c.QueryParam("number")),
		From: c.QueryParam("from"), To: c.QueryParam("to")}
	var v core.ValidationError
	f.CustomerID, f.SellerID, f.CreditsID = web.QueryID(c, &v, "customer_id"), web.QueryID(c, &v, "seller_id"), web.QueryID(c, &v, "credits_id")
	if err := v.Err(); err != nil {
		return f, err
	}
	return f, f.Validate()
}

// contractFilter reads the contract list's filters from the query string.
func contractFilter(c echo.Context) (billing.ContractFilter, error) {
	f := billing.ContractFilter{Status: c.QueryParam("status"), Subproject: strings.TrimSpace(c.QueryParam("subproject"))}
	var v core.ValidationError
	if f.Status != "" && f.Status != billing.ContractActive && f.Status != billing.ContractTerminated {
		v.Add("status", "must be active or terminated")
	}
	f.CustomerID = web.QueryID(c, &v, "customer_id")
	return f, v.Err()
}

// invoiceAction runs finalize, approve or delete on a document the
// caller issues.
func (s *area) invoiceAction(c echo.Context, id int64, action string) (billing.Invoice, error) {
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	b := s.Deps.Billing
	switch action {
	case "finalize":
		if err := web.Need(c, identity.PermInvoices); err != nil {
			return billing.Invoice{}, err
		}
		return b.Finalize(ctx, scope, id)
	case "approve":
		if err := web.Need(c, identity.PermApprove); err != nil {
			return billing.Invoice{}, err
		}
		return b.Approve(ctx, scope, id)
	case "delete":
		if err := web.Need(c, identity.PermInvoices); err != nil {
			return billing.Invoice{}, err
		}
		return billing.Invoice{}, b.DeleteDraft(ctx, scope, id)
	}
	return billing.Invoice{}, core.E(core.ErrNotFound, "no action %q; use finalize, approve, delete, line or credit", action)
}

// contractAction terminates a contract or applies a coupon code to it.
func (s *area) contractAction(c echo.Context, id int64, action, code string) (billing.Contract, error) {
	if err := web.Need(c, identity.PermContracts); err != nil {
		return billing.Contract{}, err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	switch action {
	case "terminate":
		return s.Deps.Billing.TerminateContract(ctx, scope, id)
	case "coupon":
		return s.Deps.Billing.ApplyCoupon(ctx, scope, id, code)
	}
	return billing.Contract{}, core.E(core.ErrNotFound, "no action %q; use terminate or coupon", action)
}

// profileFor loads a tenant's billing profile after checking the caller
// may read it; the scope check comes first, so a foreign id is a 404
// whatever the request holds.
func (s *area) profileFor(c echo.Context, tenantID int64) (billing.Profile, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return billing.Profile{}, err
	}
	return s.Deps.Billing.Profile(c.Request().Context(), web.CallerOf(c).Scope, tenantID)
}

// invoiceJSON is a document with its seller, buyer and tax summary as
// they were frozen on it.
type invoiceJSON struct {
	billing.Invoice
	Seller json.RawMessage `json:"seller"`
	Buyer  json.RawMessage `json:"buyer"`
	Taxes  json.RawMessage `json:"taxes"`
}

func invoiceOut(inv billing.Invoice) invoiceJSON {
	raw := func(s string) json.RawMessage {
		if s == "" {
			return json.RawMessage("null")
		}
		return json.RawMessage(s)
	}
	return invoiceJSON{Invoice: inv, Seller: raw(inv.Seller), Buyer: raw(inv.Buyer), Taxes: raw(inv.Taxes)}
}

// majorString writes minor units as a plain decimal ("1234.50") for a
// form field.
func majorString(minor int64, cur string) string {
	return money.Money{Amount: minor, Currency: money.Currency(cur)}.Decimal().StringFixed(money.Currency(cur).Exponent())
}

type billingProfileView struct {
	Profile   billing.Profile
	Tenant    identity.Tenant
	Editable  bool
	OwnTenant bool
	Languages []string
	Groupings []string
	Methods   []payment.Method // payment methods the customer saved for automatic charges

	EInvoiceFormats []string
}

func (s *area) ownBillingProfile(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(web.CallerOf(c).Scope.TenantID, 10)+"/billing")
}

func (s *area) billingProfilePage(c echo.Context, id int64) (*web.Page, error) {
	prof, err := s.profileFor(c, id)
	if err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	t, err := s.Deps.Identity.GetTenant(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	methods, err := s.Deps.Payments.Methods(ctx, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "billing.profile")
	p.Data = billingProfileView{Profile: prof, Tenant: t, Editable: caller.Can(identity.PermProfile), OwnTenant: id == caller.Scope.TenantID,
		Languages: core.Languages, Groupings: []string{billing.GroupSubproject, billing.GroupCustomer}, Methods: methods,
		EInvoiceFormats: billing.EInvoiceFormats}
	p.Form = map[string]string{"legal_name": prof.LegalName, "address1": prof.Address1, "address2": prof.Address2, "postal_code": prof.PostalCode,
		"city": prof.City, "region": prof.Region, "country": prof.Country, "email": prof.Email, "vat_id": prof.VATID, "registration_id": prof.RegistrationID,
		"currency": prof.Currency, "language": prof.Language, "invoice_grouping": prof.InvoiceGrouping, "tax_exempt_reason": prof.TaxExemptReason, "tax_exempt_code": prof.TaxExemptCode,
		"timezone": prof.Timezone, "invoice_prefix": prof.InvoicePrefix, "credit_prefix": prof.CreditPrefix, "iban": prof.IBAN, "bic": prof.BIC,
		"tax_number": prof.TaxNumber, "phone": prof.Phone, "endpoint_id": prof.EndpointID, "buyer_reference": prof.BuyerReference, "einvoice": prof.EInvoice,
		"order_reference": prof.OrderReference}
	if prof.TaxExempt {
		p.Form["tax_exempt"] = "on"
	}
	return p, nil
}

func (s *area) billingProfileSave(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	p, err := s.billingProfilePage(c, id)
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermProfile); err != nil {
		return err
	}
	p.Fill(c, "legal_name", "address1", "address2", "postal_code", "city", "region", "country", "email", "vat_id", "registration_id",
		"currency", "language", "invoice_grouping", "tax_exempt", "tax_exempt_reason", "tax_exempt_code", "timezone", "invoice_prefix", "credit_prefix", "iban", "bic",
		"tax_number", "phone", "endpoint_id", "buyer_reference", "einvoice", "order_reference")
	in := billing.ProfileInput{LegalName: p.Form["legal_name"], Address1: p.Form["address1"], Address2: p.Form["address2"], PostalCode: p.Form["postal_code"],
		City: p.Form["city"], Region: p.Form["region"], Country: p.Form["country"], Email: p.Form["email"], VATID: p.Form["vat_id"],
		RegistrationID: p.Form["registration_id"], Currency: p.Form["currency"], Language: p.Form["language"], InvoiceGrouping: p.Form["invoice_grouping"],
		TaxExempt: p.Form["tax_exempt"] == "on", TaxExemptReason: p.Form["tax_exempt_reason"], TaxExemptCode: p.Form["tax_exempt_code"], Timezone: p.Form["timezone"],
		InvoicePrefix: p.Form["invoice_prefix"], CreditPrefix: p.Form["credit_prefix"], IBAN: p.Form["iban"], BIC: p.Form["bic"],
		TaxNumber: p.Form["tax_number"], Phone: p.Form["phone"], EndpointID: p.Form["endpoint_id"], BuyerReference: p.Form["buyer_reference"], EInvoice: p.Form["einvoice"],
		OrderReference: p.Form["order_reference"]}
	if _, err := s.Deps.Billing.SaveProfile(c.Request().Context(), web.CallerOf(c).Scope, id, in); err != nil {
		return s.FormError(c, "billing_profile", p, err)
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(id, 10)+"/billing")
}

// renameField moves a validation problem of field from to field to (two
// forms on one page both have a reason).
func renameField(err error, from, to string) error {
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		if m, ok := ve.Fields[from]; ok {
			delete(ve.Fields, from)
			ve.Fields[to] = m
		}
	}
	return err
}
