package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/themes"
)

// showPage renders page name for the object named by :id, built by
// build (which checks the caller may see it).
func (s *Server) showPage(name string, build func(echo.Context, int64) (*page, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := idParam(c)
		if err != nil {
			return err
		}
		p, err := build(c, id)
		if err != nil {
			return err
		}
		return s.render(c, http.StatusOK, name, p)
	}
}

// How many price rows the product form offers, and line rows the manual
// invoice form.
const (
	priceRows = 4
	lineRows  = 5
)

func (s *Server) billingHome(c echo.Context) error {
	if err := need(c, identity.PermBillingRead); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/billing/invoices")
}

// customers lists the tenants the caller sells to (its direct clients or
// resellers), for the forms that pick a customer.
func (s *Server) customers(c echo.Context) ([]identity.Tenant, error) {
	caller := callerOf(c)
	if caller.Scope.Kind == tenancy.KindClient || !caller.Can(identity.PermTenantsRead) {
		return nil, nil
	}
	return s.deps.Identity.ListTenants(c.Request().Context(), caller, identity.TenantFilter{ParentID: caller.Scope.TenantID}, core.Page{Limit: 200})
}

type catalogView struct {
	Products []billing.Product
	OwnID    int64
	Kinds    []billing.ProductKind
	Cycles   []billing.Cycle
	Rows     int              // price rows; the template ranges over seq Rows
	Product  *billing.Product // the product being edited
	Editable bool
}

func (s *Server) catalogPage(c echo.Context, title string) (*page, *catalogView, error) {
	if err := need(c, identity.PermBillingRead); err != nil {
		return nil, nil, err
	}
	caller := callerOf(c)
	v := &catalogView{OwnID: caller.Scope.TenantID, Kinds: billing.ProductKinds, Cycles: billing.Cycles, Rows: priceRows,
		Editable: caller.Can(identity.PermCatalog)}
	p := s.newPage(c, title)
	p.Data = v
	return p, v, nil
}

func (s *Server) catalogList(c echo.Context) error {
	p, v, err := s.catalogPage(c, "billing.catalog")
	if err != nil {
		return err
	}
	if v.Products, err = s.deps.Billing.Products(c.Request().Context(), callerOf(c).Scope); err != nil {
		return err
	}
	p.Form["active"], p.Form["currency_0"], p.Form["cycle_0"] = "on", "EUR", string(billing.CycleMonthly)
	return s.render(c, http.StatusOK, "billing_catalog", p)
}

// productForm reads the product form: its fields and the price rows that
// hold an amount.
func productForm(c echo.Context, p *page) billing.ProductInput {
	p.fill(c, "code", "name", "kind", "match_code", "included", "trial_days", "active")
	in := billing.ProductInput{Code: p.Form["code"], Name: p.Form["name"], Kind: billing.ProductKind(p.Form["kind"]), MatchCode: p.Form["match_code"],
		Included: int(formInt(p.Form["included"])), TrialDays: int(formInt(p.Form["trial_days"]))}
	active := p.Form["active"] == "on"
	in.Active = &active
	for i := range priceRows {
		n := strconv.Itoa(i)
		p.fill(c, "currency_"+n, "cycle_"+n, "amount_"+n, "setup_"+n)
		if p.Form["amount_"+n] == "" && p.Form["setup_"+n] == "" {
			continue
		}
		in.Prices = append(in.Prices, billing.PriceInput{Currency: p.Form["currency_"+n], Cycle: billing.Cycle(p.Form["cycle_"+n]),
			Amount: p.Form["amount_"+n], Setup: cmp.Or(p.Form["setup_"+n], "0")})
	}
	return in
}

// productErrors moves the price problems onto the form rows they came
// from (the service numbers only the rows that were sent).
func productErrors(p *page, err error) error {
	rows := []int{}
	for i := range priceRows {
		n := strconv.Itoa(i)
		if p.Form["amount_"+n] != "" || p.Form["setup_"+n] != "" {
			rows = append(rows, i)
		}
	}
	return rowErrors(err, "prices", byRow(rows))
}

// rowErrors renames the field problems of a list input ("lines.1.name")
// to the form field the item came from, as field(1, "name") says.
func rowErrors(err error, list string, field func(i int, name string) (string, bool)) error {
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	fields := map[string]string{}
	for k, msg := range ve.Fields {
		if rest, ok := strings.CutPrefix(k, list+"."); ok {
			idx, name, _ := strings.Cut(rest, ".")
			if i, err := strconv.Atoi(idx); err == nil && i >= 0 {
				if f, ok := field(i, name); ok {
					k = f
				}
			}
		}
		fields[k] = msg
	}
	return &core.ValidationError{Fields: fields}
}

// byRow names a list item's field after its form row: "name_3".
func byRow(rows []int) func(int, string) (string, bool) {
	return func(i int, name string) (string, bool) {
		if i >= len(rows) {
			return "", false
		}
		return name + "_" + strconv.Itoa(rows[i]), true
	}
}

func (s *Server) productCreate(c echo.Context) error {
	p, v, err := s.catalogPage(c, "billing.catalog")
	if err != nil {
		return err
	}
	if err := need(c, identity.PermCatalog); err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	in := productForm(c, p)
	created, err := s.deps.Billing.CreateProduct(ctx, scope, in)
	if err != nil {
		var lerr error
		if v.Products, lerr = s.deps.Billing.Products(ctx, scope); lerr != nil {
			return lerr
		}
		return s.formError(c, "billing_catalog", p, productErrors(p, err))
	}
	flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/billing/catalog/"+strconv.FormatInt(created.ID, 10))
}

func (s *Server) productPage(c echo.Context) (*page, error) {
	id, err := idParam(c)
	if err != nil {
		return nil, err
	}
	p, v, err := s.catalogPage(c, "billing.product")
	if err != nil {
		return nil, err
	}
	pr, err := s.deps.Billing.Product(c.Request().Context(), callerOf(c).Scope, id)
	if err != nil {
		return nil, err
	}
	v.Product = &pr
	v.Editable = v.Editable && pr.SellerID == callerOf(c).Scope.TenantID
	p.Form = map[string]string{"code": pr.Code, "name": pr.Name, "kind": string(pr.Kind), "match_code": pr.MatchCode,
		"included": strconv.Itoa(pr.Included), "trial_days": strconv.Itoa(pr.TrialDays)}
	if pr.Active {
		p.Form["active"] = "on"
	}
	for i, price := range pr.Prices {
		if i >= priceRows {
			break
		}
		n := strconv.Itoa(i)
		p.Form["currency_"+n], p.Form["cycle_"+n] = price.Currency, string(price.Cycle)
		p.Form["amount_"+n], p.Form["setup_"+n] = majorString(price.AmountMinor, price.Currency), majorString(price.SetupMinor, price.Currency)
	}
	return p, nil
}

func (s *Server) productShow(c echo.Context) error {
	p, err := s.productPage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "billing_catalog", p)
}

func (s *Server) productUpdate(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.ownProduct(c, id); err != nil {
		return err
	}
	p, err := s.productPage(c)
	if err != nil {
		return err
	}
	p.Form = map[string]string{}
	in := productForm(c, p)
	if _, err := s.deps.Billing.UpdateProduct(c.Request().Context(), callerOf(c).Scope, id, in); err != nil {
		return s.formError(c, "billing_catalog", p, productErrors(p, err))
	}
	flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/billing/catalog/"+strconv.FormatInt(id, 10))
}

type couponsView struct {
	Coupons  []billing.Coupon
	Products []billing.Product
}

func (s *Server) couponsPage(c echo.Context) (*page, error) {
	if err := need(c, identity.PermCatalog); err != nil {
		return nil, err
	}
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	var v couponsView
	var err error
	if v.Coupons, err = s.deps.Billing.Coupons(ctx, scope); err != nil {
		return nil, err
	}
	all, err := s.deps.Billing.Products(ctx, scope)
	if err != nil {
		return nil, err
	}
	for _, pr := range all {
		if pr.SellerID == scope.TenantID {
			v.Products = append(v.Products, pr)
		}
	}
	p := s.newPage(c, "billing.coupons")
	p.Data = v
	return p, nil
}

func (s *Server) couponList(c echo.Context) error {
	p, err := s.couponsPage(c)
	if err != nil {
		return err
	}
	p.Form["kind"], p.Form["currency"] = billing.CouponPercent, "EUR"
	return s.render(c, http.StatusOK, "billing_coupons", p)
}

func (s *Server) couponCreate(c echo.Context) error {
	p, err := s.couponsPage(c)
	if err != nil {
		return err
	}
	p.fill(c, "code", "name", "kind", "percent", "amount", "currency", "cycles", "valid_from", "valid_to")
	in := billing.CouponInput{Code: p.Form["code"], Name: p.Form["name"], Kind: p.Form["kind"], Percent: p.Form["percent"], Currency: p.Form["currency"],
		Cycles: int(formInt(p.Form["cycles"])), Automatic: c.FormValue("automatic") == "on", ValidFrom: p.Form["valid_from"], ValidTo: p.Form["valid_to"]}
	if in.Kind == billing.CouponFixed {
		amount, problem := billing.ParseAmount(p.Form["amount"], p.Form["currency"])
		if problem != "" {
			return s.formError(c, "billing_coupons", p, core.Invalid("amount_minor", "%s", problem))
		}
		in.AmountMinor = amount
	}
	for _, id := range c.Request().PostForm["product_ids"] {
		in.ProductIDs = append(in.ProductIDs, formInt(id))
	}
	if _, err := s.deps.Billing.CreateCoupon(c.Request().Context(), callerOf(c).Scope, in); err != nil {
		return s.formError(c, "billing_coupons", p, err)
	}
	flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/billing/coupons")
}

type contractRow struct {
	billing.Contract
	Customer string
}

type contractsView struct {
	listView[contractRow]
	Customers []identity.Tenant
	Products  []billing.Product
	Cycles    []billing.Cycle
	Statuses  []string
	Seller    bool
}

func (s *Server) contractsPage(c echo.Context) (*page, error) {
	if err := need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), callerOf(c)
	p := s.newPage(c, "billing.contracts")
	p.fill(c, "status", "customer_id", "subproject")
	v := contractsView{Cycles: billing.Cycles, Statuses: []string{billing.ContractActive, billing.ContractTerminated}, Seller: caller.Can(identity.PermContracts)}
	f, err := contractFilter(c)
	if err != nil {
		return nil, err
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	items, err := s.deps.Billing.Contracts(ctx, caller.Scope, f, core.Page{Before: before, Limit: pageSize})
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(items))
	for i, ct := range items {
		ids[i] = ct.CustomerID
	}
	names := s.tenantNames(c, ids)
	for _, ct := range items {
		v.Items = append(v.Items, contractRow{ct, names[ct.CustomerID]})
	}
	if len(items) > 0 {
		v.Next = nextLink(c, len(items), pageSize, items[len(items)-1].ID)
	}
	if v.Seller {
		if v.Customers, err = s.customers(c); err != nil {
			return nil, err
		}
		all, err := s.deps.Billing.Products(ctx, caller.Scope)
		if err != nil {
			return nil, err
		}
		for _, pr := range all {
			if pr.SellerID == caller.Scope.TenantID && pr.Active {
				v.Products = append(v.Products, pr)
			}
		}
	}
	p.Data = v
	return p, nil
}

func (s *Server) contractList(c echo.Context) error {
	p, err := s.contractsPage(c)
	if err != nil {
		return err
	}
	p.Form["currency"], p.Form["cycle"] = "EUR", string(billing.CycleMonthly)
	return s.render(c, http.StatusOK, "billing_contracts", p)
}

func (s *Server) contractCreate(c echo.Context) error {
	if err := need(c, identity.PermContracts); err != nil {
		return err
	}
	p, err := s.contractsPage(c)
	if err != nil {
		return err
	}
	p.fill(c, "customer_id", "product_id", "cycle", "currency", "name", "start")
	in := billing.ContractInput{CustomerID: formInt(p.Form["customer_id"]), ProductID: formInt(p.Form["product_id"]), Cycle: billing.Cycle(p.Form["cycle"]),
		Currency: p.Form["currency"], Name: p.Form["name"], Start: p.Form["start"]}
	ct, err := s.deps.Billing.CreateContract(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return s.formError(c, "billing_contracts", p, err)
	}
	flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/billing/contracts/"+strconv.FormatInt(ct.ID, 10))
}

type contractView struct {
	Contract billing.Contract
	Customer string
	Product  billing.Product
	Invoices []billing.Invoice
	Seller   bool
}

func (s *Server) contractPage(c echo.Context, id int64) (*page, error) {
	if err := need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), callerOf(c)
	ct, err := s.deps.Billing.Contract(ctx, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	v := contractView{Contract: ct, Customer: s.tenantNames(c, []int64{ct.CustomerID})[ct.CustomerID],
		Seller: ct.SellerID == caller.Scope.TenantID && caller.Can(identity.PermContracts)}
	if v.Product, err = s.deps.Billing.Product(ctx, caller.Scope, ct.ProductID); err != nil {
		// The operator oversees a reseller's contracts but not its catalog.
		v.Product = billing.Product{ID: ct.ProductID, Name: "#" + strconv.FormatInt(ct.ProductID, 10)}
	}
	if v.Invoices, err = s.deps.Billing.Invoices(ctx, caller.Scope, billing.InvoiceFilter{CustomerID: ct.CustomerID, Subproject: ct.Subproject}, core.Page{Limit: 20}); err != nil {
		return nil, err
	}
	p := s.newPage(c, "billing.contract")
	p.Data = v
	return p, nil
}

func (s *Server) contractPost(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	if _, err := s.contractAction(c, id, c.Param("action"), c.FormValue("code")); err != nil {
		p, perr := s.contractPage(c, id)
		if perr != nil {
			return perr
		}
		p.fill(c, "code")
		return s.formError(c, "billing_contract", p, err)
	}
	flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/billing/contracts/"+strconv.FormatInt(id, 10))
}

// invoiceRow is a document in a list with its buyer's name from the
// document's own snapshot.
type invoiceRow struct {
	billing.Invoice
	BuyerName string
}

type invoicesView struct {
	listView[invoiceRow]
	Statuses []billing.InvoiceStatus
	Kinds    []string
	Seller   bool
}

func buyerName(inv billing.Invoice) string {
	var b billing.Party
	_ = json.Unmarshal([]byte(inv.Buyer), &b)
	return b.Name
}

func (s *Server) invoiceList(c echo.Context) error {
	if err := need(c, identity.PermBillingRead); err != nil {
		return err
	}
	caller := callerOf(c)
	p := s.newPage(c, "billing.invoices")
	p.fill(c, "kind", "status", "customer_id", "number", "from", "to")
	v := invoicesView{Statuses: billing.InvoiceStatuses, Kinds: []string{billing.DocInvoice, billing.DocCreditNote}, Seller: caller.Can(identity.PermInvoices)}
	p.Data = &v
	f, err := invoiceFilter(c)
	if err != nil {
		return s.formError(c, "billing_invoices", p, err)
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	items, err := s.deps.Billing.Invoices(c.Request().Context(), caller.Scope, f, core.Page{Before: before, Limit: pageSize})
	if err != nil {
		return err
	}
	for _, inv := range items {
		v.Items = append(v.Items, invoiceRow{inv, buyerName(inv)})
	}
	if len(items) > 0 {
		v.Next = nextLink(c, len(items), pageSize, items[len(items)-1].ID)
	}
	return s.render(c, http.StatusOK, "billing_invoices", p)
}

type invoiceNewView struct {
	Customers []identity.Tenant
	Rows      int // line rows; the template ranges over seq Rows
}

func (s *Server) invoiceNewPage(c echo.Context) (*page, error) {
	if err := need(c, identity.PermInvoices); err != nil {
		return nil, err
	}
	cust, err := s.customers(c)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "billing.invoice_new")
	p.Data = invoiceNewView{Customers: cust, Rows: lineRows}
	return p, nil
}

func (s *Server) invoiceNew(c echo.Context) error {
	p, err := s.invoiceNewPage(c)
	if err != nil {
		return err
	}
	p.Form["currency"], p.Form["customer_id"] = "EUR", c.QueryParam("customer_id")
	return s.render(c, http.StatusOK, "billing_invoice_new", p)
}

func (s *Server) invoiceCreate(c echo.Context) error {
	p, err := s.invoiceNewPage(c)
	if err != nil {
		return err
	}
	p.fill(c, "customer_id", "currency")
	in := billing.InvoiceInput{CustomerID: formInt(p.Form["customer_id"]), Currency: p.Form["currency"]}
	rows := []int{}
	for i := range lineRows {
		n := strconv.Itoa(i)
		p.fill(c, "description_"+n, "quantity_"+n, "unit_price_"+n)
		if p.Form["description_"+n] == "" && p.Form["unit_price_"+n] == "" {
			continue
		}
		rows = append(rows, i)
		in.Lines = append(in.Lines, billing.LineInput{Description: p.Form["description_"+n], Quantity: p.Form["quantity_"+n], UnitPrice: p.Form["unit_price_"+n]})
	}
	inv, err := s.deps.Billing.CreateInvoice(c.Request().Context(), callerOf(c).Scope, in)
	if err != nil {
		return s.formError(c, "billing_invoice_new", p, rowErrors(err, "lines", byRow(rows)))
	}
	flash(c, "created")
	return c.Redirect(http.StatusSeeOther, "/billing/invoices/"+strconv.FormatInt(inv.ID, 10))
}

// invoiceDoc is the invoice page: the stored document (for its forms),
// its rendering, and what the caller may do with it.
type invoiceDoc struct {
	Inv      billing.Invoice
	Doc      docView
	IsSeller bool
	CanWrite bool
	Approve  bool
	Credit   bool
}

// docView is the document partial's data: a document written out in its
// language (the buyer's, whatever the reader's panel language) with the
// labels in that language.
type docView struct {
	V     document.View
	theme *themes.Theme
}

// L translates a document label.
func (d docView) L(id string) string { return d.theme.T(d.V.Lang, id, nil) }

// Empty is the text of a document without lines.
func (d docView) Empty() string { return d.L("list.empty") }

// Terms are the payment terms printed on an invoice.
func (d docView) Terms() string {
	switch {
	case d.V.CreditNote || d.V.DueDate == "":
		return ""
	case d.V.PaymentDays <= 0:
		return d.L("doc.payment_now")
	}
	return d.theme.T(d.V.Lang, "doc.payment_terms", map[string]any{"Days": d.V.PaymentDays})
}

// Party is a party's block, line by line, with its identifiers labelled.
func (d docView) Party(p document.PartyView) []string {
	out := append([]string{p.Name}, p.Address...)
	if p.VATID != "" {
		out = append(out, d.L("doc.vat_id")+" "+p.VATID)
	}
	if p.RegistrationID != "" {
		out = append(out, d.L("doc.registration_id")+" "+p.RegistrationID)
	}
	if p.Email != "" {
		out = append(out, p.Email)
	}
	return out
}

func (s *Server) invoicePage(c echo.Context, id int64) (*page, error) {
	if err := need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	caller := callerOf(c)
	doc, inv, err := document.Load(c.Request().Context(), s.deps.Billing, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "billing.invoice")
	d := &invoiceDoc{Inv: inv, Doc: docView{V: doc.View(), theme: s.deps.Theme}, IsSeller: inv.SellerID == caller.Scope.TenantID}
	d.CanWrite = d.IsSeller && caller.Can(identity.PermInvoices)
	d.Approve = d.IsSeller && caller.Can(identity.PermApprove) && inv.Status == billing.InvoiceStatusAwaitingApproval
	d.Credit = d.CanWrite && inv.Kind == billing.DocInvoice && inv.Frozen() && inv.Status != billing.InvoiceStatusCancelled
	p.Data = d
	return p, nil
}

// invoicePost handles the invoice page's forms: finalize, approve,
// delete (a draft), line (a manual line on a draft) and credit (a credit
// note, in full or per line).
func (s *Server) invoicePost(c echo.Context) error {
	inv, err := s.issuedInvoice(c)
	if err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), callerOf(c).Scope
	target := "/billing/invoices/" + strconv.FormatInt(inv.ID, 10)
	var opErr error
	switch action := c.Param("action"); action {
	case "line":
		if opErr = need(c, identity.PermInvoices); opErr == nil {
			_, opErr = s.deps.Billing.AddLine(ctx, scope, inv.ID, billing.LineInput{Description: c.FormValue("description"),
				Quantity: c.FormValue("quantity"), UnitPrice: c.FormValue("unit_price")})
		}
	case "credit":
		var cn billing.Invoice
		if opErr = need(c, identity.PermInvoices); opErr == nil {
			in, perr := creditForm(c, inv)
			if opErr = perr; opErr == nil {
				cn, opErr = s.deps.Billing.CreditNote(ctx, scope, inv.ID, in)
				opErr = rowErrors(opErr, "lines", func(i int, _ string) (string, bool) {
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
			flash(c, "deleted")
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
		p.fill(c, "description", "quantity", "unit_price", "reason")
		for _, l := range inv.Lines {
			p.fill(c, "credit_"+strconv.FormatInt(l.ID, 10))
		}
		return s.formError(c, "billing_invoice", p, opErr)
	}
	flash(c, "saved")
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

type billingProfileView struct {
	Profile   billing.Profile
	Tenant    identity.Tenant
	Editable  bool
	OwnTenant bool
	Languages []string
	Groupings []string
}

func (s *Server) ownBillingProfile(c echo.Context) error {
	if err := need(c, identity.PermBillingRead); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(callerOf(c).Scope.TenantID, 10)+"/billing")
}

func (s *Server) billingProfilePage(c echo.Context, id int64) (*page, error) {
	prof, err := s.profileFor(c, id)
	if err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), callerOf(c)
	t, err := s.deps.Identity.GetTenant(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "billing.profile")
	p.Data = billingProfileView{Profile: prof, Tenant: t, Editable: caller.Can(identity.PermProfile), OwnTenant: id == caller.Scope.TenantID,
		Languages: core.Languages, Groupings: []string{billing.GroupSubproject, billing.GroupCustomer}}
	p.Form = map[string]string{"legal_name": prof.LegalName, "address1": prof.Address1, "address2": prof.Address2, "postal_code": prof.PostalCode,
		"city": prof.City, "region": prof.Region, "country": prof.Country, "email": prof.Email, "vat_id": prof.VATID, "registration_id": prof.RegistrationID,
		"currency": prof.Currency, "language": prof.Language, "invoice_grouping": prof.InvoiceGrouping, "tax_exempt_reason": prof.TaxExemptReason,
		"timezone": prof.Timezone, "invoice_prefix": prof.InvoicePrefix, "credit_prefix": prof.CreditPrefix}
	if prof.TaxExempt {
		p.Form["tax_exempt"] = "on"
	}
	return p, nil
}

func (s *Server) billingProfileSave(c echo.Context) error {
	id, err := idParam(c)
	if err != nil {
		return err
	}
	p, err := s.billingProfilePage(c, id)
	if err != nil {
		return err
	}
	if err := need(c, identity.PermProfile); err != nil {
		return err
	}
	p.fill(c, "legal_name", "address1", "address2", "postal_code", "city", "region", "country", "email", "vat_id", "registration_id",
		"currency", "language", "invoice_grouping", "tax_exempt", "tax_exempt_reason", "timezone", "invoice_prefix", "credit_prefix")
	in := billing.ProfileInput{LegalName: p.Form["legal_name"], Address1: p.Form["address1"], Address2: p.Form["address2"], PostalCode: p.Form["postal_code"],
		City: p.Form["city"], Region: p.Form["region"], Country: p.Form["country"], Email: p.Form["email"], VATID: p.Form["vat_id"],
		RegistrationID: p.Form["registration_id"], Currency: p.Form["currency"], Language: p.Form["language"], InvoiceGrouping: p.Form["invoice_grouping"],
		TaxExempt: p.Form["tax_exempt"] == "on", TaxExemptReason: p.Form["tax_exempt_reason"], Timezone: p.Form["timezone"],
		InvoicePrefix: p.Form["invoice_prefix"], CreditPrefix: p.Form["credit_prefix"]}
	if _, err := s.deps.Billing.SaveProfile(c.Request().Context(), callerOf(c).Scope, id, in); err != nil {
		return s.formError(c, "billing_profile", p, err)
	}
	flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(id, 10)+"/billing")
}
