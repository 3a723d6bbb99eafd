package billing

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"faktura/billing"
	"faktura/billing/ledger"
	"faktura/panel/core"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// ledgerView is a seller's books page.
type ledgerView struct {
	Book      ledger.Book
	Tenant    identity.Tenant
	Editable  bool
	Charts    []ledger.Chart
	Formats   []ledger.Format
	LastMonth string // the last month that has ended: what closes next, and the export's default
	// Accounts is the seller's own accounts as the form edits them:
	// one "key = account" per line.
	Accounts string
}

// ownLedger sends a seller to its own books.
func (s *area) ownLedger(c echo.Context) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(web.CallerOf(c).Scope.TenantID, 10)+"/ledger")
}

func (s *area) ledgerPage(c echo.Context, id int64) (*web.Page, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	book, err := s.Deps.Ledger.Book(ctx, caller.Scope, id)
	if err != nil {
		return nil, err
	}
	t, err := s.Deps.Identity.GetTenant(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	today, err := s.Deps.Billing.SellerToday(ctx, id)
	if err != nil {
		return nil, err
	}
	last := time.Date(today.Year, today.Month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
	p := s.NewPage(c, "ledger.title")
	v := ledgerView{Book: book, Tenant: t, Editable: caller.Can(identity.PermLedger), Charts: ledger.Charts(), Formats: ledger.Formats(), LastMonth: last}
	var lines []string
	for _, a := range book.Accounts {
		lines = append(lines, a.MatchKey+" = "+a.Account)
	}
	v.Accounts = strings.Join(lines, "\n")
	p.Data = v
	p.Form["chart"], p.Form["accounts"], p.Form["month"] = book.Chart, v.Accounts, last
	if book.ClosedThrough >= last {
		p.Form["month"] = "" // nothing over is left to close
	}
	p.Form["format"], p.Form["from"], p.Form["to"], p.Form["currency"] = "datev", last, last, "EUR"
	if book.Country == "FR" {
		p.Form["format"] = "fec"
	}
	for _, f := range v.Formats {
		for _, o := range f.Options {
			p.Form["opt."+f.Name+"."+o.Name] = book.Options[f.Name][o.Name]
		}
	}
	return p, nil
}

// ledgerForm is the books page a form posts to, for a caller who keeps
// the books.
func (s *area) ledgerForm(c echo.Context) (int64, *web.Page, error) {
	id, err := web.IDParam(c)
	if err != nil {
		return 0, nil, err
	}
	p, err := s.ledgerPage(c, id)
	if err != nil {
		return 0, nil, err
	}
	return id, p, web.Need(c, identity.PermLedger)
}

// ledgerSave saves the chart, the own accounts and the options.
func (s *area) ledgerSave(c echo.Context) error {
	id, p, err := s.ledgerForm(c)
	if err != nil {
		return err
	}
	p.Fill(c, "chart", "accounts")
	in := ledger.BookInput{Chart: p.Form["chart"], Options: map[string]map[string]string{}}
	for _, f := range ledger.Formats() {
		for _, o := range f.Options {
			k := "opt." + f.Name + "." + o.Name
			p.Form[k] = strings.TrimSpace(c.FormValue(k))
			if p.Form[k] != "" {
				if in.Options[f.Name] == nil {
					in.Options[f.Name] = map[string]string{}
				}
				in.Options[f.Name][o.Name] = p.Form[k]
			}
		}
	}
	accounts, perr := parseAccounts(p.Form["accounts"])
	if perr != nil {
		return s.FormError(c, "billing_ledger", p, perr)
	}
	in.Accounts = accounts
	if _, err := s.Deps.Ledger.SaveBook(c.Request().Context(), web.CallerOf(c).Scope, id, in); err != nil {
		return s.FormError(c, "billing_ledger", p, web.RowErrors(err, "accounts", func(int, string) (string, bool) { return "accounts", true }))
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(id, 10)+"/ledger")
}

// parseAccounts reads "key = account" lines (blank lines and lines
// starting with # are skipped).
func parseAccounts(text string) ([]ledger.OwnAccount, error) {
	var out []ledger.OwnAccount
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, a, ok := strings.Cut(line, "=")
		if !ok {
			return nil, core.Invalid("accounts", "line %d: write a key, an equals sign and the account number (revenue|domestic:7 = 8300)", i+1)
		}
		out = append(out, ledger.OwnAccount{MatchKey: strings.TrimSpace(k), Account: strings.TrimSpace(a)})
	}
	return out, nil
}

// ledgerClose closes the books through a month.
func (s *area) ledgerClose(c echo.Context) error {
	id, p, err := s.ledgerForm(c)
	if err != nil {
		return err
	}
	p.Fill(c, "month")
	if err := web.Confirmed(c); err != nil {
		return s.FormError(c, "billing_ledger", p, err)
	}
	if _, err := s.Deps.Ledger.Close(c.Request().Context(), web.CallerOf(c).Scope, id, p.Form["month"]); err != nil {
		return s.FormError(c, "billing_ledger", p, asField(err, "month"))
	}
	web.Flash(c, "ledger_closed")
	return c.Redirect(http.StatusSeeOther, "/tenants/"+strconv.FormatInt(id, 10)+"/ledger")
}

// asField puts a precondition (a month closed already) beside field.
func asField(err error, field string) error {
	if core.Kind(err) == core.ErrPrecondition {
		return core.Invalid(field, "%s", err.Error())
	}
	return err
}

// export makes the export the query asks for (format, from, to,
// currency).
func (s *area) export(c echo.Context) (int64, ledger.ExportInput, ledger.ExportFile, error) {
	id, err := web.IDParam(c)
	if err != nil {
		return 0, ledger.ExportInput{}, ledger.ExportFile{}, err
	}
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return id, ledger.ExportInput{}, ledger.ExportFile{}, err
	}
	in := ledger.ExportInput{Format: c.QueryParam("format"), From: c.QueryParam("from"), To: c.QueryParam("to"), Currency: c.QueryParam("currency")}
	f, err := s.Deps.Ledger.Export(c.Request().Context(), web.CallerOf(c).Scope, id, in)
	return id, in, f, err
}

// ledgerExport downloads an export; a problem shows on the books page.
func (s *area) ledgerExport(c echo.Context) error {
	id, in, f, err := s.export(c)
	if err != nil {
		if id == 0 || core.Kind(err) == core.ErrNotFound || core.Kind(err) == core.ErrForbidden {
			return err
		}
		p, perr := s.ledgerPage(c, id)
		if perr != nil {
			return perr
		}
		for k, v := range map[string]string{"format": in.Format, "from": in.From, "to": in.To, "currency": in.Currency} {
			p.Form[k] = v
		}
		return s.FormError(c, "billing_ledger", p, err)
	}
	return sendExport(c, f)
}

func sendExport(c echo.Context, f ledger.ExportFile) error {
	h := c.Response().Header()
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", f.Name))
	h.Set("X-Export-Id", strconv.FormatInt(f.Record.ID, 10))
	h.Set("X-Export-Sha256", f.Record.SHA256)
	if f.SameAs != 0 {
		h.Set("X-Export-Same-As", strconv.FormatInt(f.SameAs, 10))
	}
	if f.DiffersFrom != 0 {
		h.Set("X-Export-Differs-From", strconv.FormatInt(f.DiffersFrom, 10))
	}
	return c.Blob(http.StatusOK, f.ContentType, f.Body)
}

// reportsView is a seller's VAT reports page.
type reportsView struct {
	Tenant  identity.Tenant
	VAT     ledger.VATReturn
	OSS     ledger.OSSReturn
	Sales   ledger.SalesList
	Quarter string
}

func (s *area) reportsPage(c echo.Context, id int64) (*web.Page, error) {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return nil, err
	}
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	t, err := s.Deps.Identity.GetTenant(ctx, caller, id)
	if err != nil {
		return nil, err
	}
	if _, err := s.Deps.Billing.Seller(ctx, caller.Scope, id); err != nil {
		return nil, err
	}
	today, err := s.Deps.Billing.SellerToday(ctx, id)
	if err != nil {
		return nil, err
	}
	in := reportInput(c, today)
	p := s.NewPage(c, "reports.title")
	p.Form["from"], p.Form["to"], p.Form["quarter"], p.Form["currency"] = in.From, in.To, in.Quarter, in.Currency
	v := reportsView{Tenant: t, Quarter: in.Quarter}
	p.Data = &v
	var problems []error
	if v.VAT, err = s.Deps.Ledger.VATReturn(ctx, caller.Scope, id, ledger.ReportInput{From: in.From, To: in.To, Currency: in.Currency}); err != nil {
		problems = append(problems, err)
	}
	if v.Sales, err = s.Deps.Ledger.SalesList(ctx, caller.Scope, id, ledger.ReportInput{From: in.From, To: in.To, Currency: in.Currency}); err != nil {
		problems = append(problems, err)
	}
	if v.OSS, err = s.Deps.Ledger.OSSReturn(ctx, caller.Scope, id, ledger.ReportInput{Quarter: in.Quarter, Currency: in.Currency}); err != nil {
		problems = append(problems, err)
	}
	for _, e := range problems {
		var ve *core.ValidationError
		if !errors.As(e, &ve) {
			return nil, e
		}
		for k, m := range ve.Fields {
			p.Errs[k] = m
		}
		p.Error = p.T("form.invalid")
	}
	return p, nil
}

// reportInput reads the period of the reports, by default last month
// and the quarter it falls in.
func reportInput(c echo.Context, today billing.Date) ledger.ReportInput {
	last := time.Date(today.Year, today.Month, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	in := ledger.ReportInput{From: strings.TrimSpace(c.QueryParam("from")), To: strings.TrimSpace(c.QueryParam("to")),
		Quarter: strings.TrimSpace(c.QueryParam("quarter")), Currency: strings.TrimSpace(c.QueryParam("currency"))}
	if in.From == "" {
		in.From = last.Format("2006-01")
	}
	if in.To == "" {
		in.To = in.From
	}
	if in.Quarter == "" {
		in.Quarter = fmt.Sprintf("%d-Q%d", last.Year(), (int(last.Month())-1)/3+1)
	}
	if in.Currency == "" {
		in.Currency = "EUR"
	}
	return in
}

// reportCSV downloads a report as CSV (/tenants/:id/reports/:report).
func (s *area) reportCSV(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	return s.sendReport(c, id, strings.TrimSuffix(c.Param("report"), ".csv"), true)
}

// sendReport answers a report as JSON, or as CSV when asked.
func (s *area) sendReport(c echo.Context, id int64, name string, csv bool) error {
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	in := ledger.ReportInput{From: c.QueryParam("from"), To: c.QueryParam("to"), Quarter: c.QueryParam("quarter"), Currency: c.QueryParam("currency")}
	var out any
	var write func(*bytes.Buffer) error
	switch name {
	case "vat":
		r, err := s.Deps.Ledger.VATReturn(ctx, scope, id, in)
		if err != nil {
			return err
		}
		out, write = r, func(b *bytes.Buffer) error { return r.WriteCSV(b) }
	case "oss":
		r, err := s.Deps.Ledger.OSSReturn(ctx, scope, id, in)
		if err != nil {
			return err
		}
		out, write = r, func(b *bytes.Buffer) error { return r.WriteCSV(b) }
	case "sales-list":
		r, err := s.Deps.Ledger.SalesList(ctx, scope, id, in)
		if err != nil {
			return err
		}
		out, write = r, func(b *bytes.Buffer) error { return r.WriteCSV(b) }
	default:
		return core.E(core.ErrNotFound, "no report %q: vat, oss or sales-list", name)
	}
	if !csv && c.QueryParam("format") != "csv" {
		return c.JSON(http.StatusOK, out)
	}
	var b bytes.Buffer
	if err := write(&b); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+"_"+strings.ReplaceAll(in.From+in.Quarter, "-", "")+".csv"))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// apiReport answers GET /tenants/:id/reports/:report (?format=csv).
func (s *area) apiReport(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	return s.sendReport(c, id, c.Param("report"), false)
}

// apiLedgerExport answers GET /tenants/:id/ledger/export.
func (s *area) apiLedgerExport(c echo.Context) error {
	_, _, f, err := s.export(c)
	if err != nil {
		return err
	}
	return sendExport(c, f)
}

// closeInput is the body of POST /tenants/:id/ledger/close.
type closeInput struct {
	Month string `json:"month"`
}

func (s *area) book(ctx context.Context, c identity.Caller, id int64) (ledger.Book, error) {
	return s.Deps.Ledger.Book(ctx, c.Scope, id)
}

func (s *area) readsBook(c echo.Context, id int64) error {
	_, err := s.Deps.Ledger.Book(c.Request().Context(), web.CallerOf(c).Scope, id)
	return err
}

func (s *area) saveBook(ctx context.Context, c identity.Caller, id int64, in ledger.BookInput) (ledger.Book, error) {
	return s.Deps.Ledger.SaveBook(ctx, c.Scope, id, in)
}

func (s *area) closeBook(ctx context.Context, c identity.Caller, id int64, in closeInput) (ledger.Book, error) {
	return s.Deps.Ledger.Close(ctx, c.Scope, id, in.Month)
}

// entriesOut is the journal of a period.
type entriesOut struct {
	Entries []billing.JournalEntry `json:"entries"`
}

// apiEntries answers GET /tenants/:id/ledger/entries?from&to&currency.
func (s *area) apiEntries(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if err := web.Need(c, identity.PermBillingRead); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.Deps.Billing.Seller(ctx, web.CallerOf(c).Scope, id); err != nil {
		return err
	}
	in := ledger.ReportInput{From: c.QueryParam("from"), To: c.QueryParam("to"), Currency: c.QueryParam("currency")}
	from, to, err := in.Months()
	if err != nil {
		return err
	}
	es, err := s.Deps.Billing.Entries(ctx, id, from[:7], to[:7], in.Currency)
	if err != nil {
		return err
	}
	if es == nil {
		es = []billing.JournalEntry{}
	}
	return c.JSON(http.StatusOK, entriesOut{Entries: es})
}

// writeOffInput is the body of POST /invoices/:id/write-off.
type writeOffInput struct {
	Reason string `json:"reason"`
}

func (s *area) writeOff(ctx context.Context, c identity.Caller, id int64, in writeOffInput) (invoiceJSON, error) {
	inv, err := s.Deps.Billing.WriteOff(ctx, c.Scope, id, in.Reason)
	return invoiceOut(inv), err
}
