package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"faktura/panel/core"
)

// TestBrowserSettings walks the settings chain in Chromium: the operator
// sets lead days and payment terms for the panel, reseller A overrides
// both for itself, its client's page shows the values in effect with
// their source, and the next run bills with them (issue and due date
// checked). On the way it saves the dashboard, the invoice list and the
// client page at 1366 and 390 px wide, checks that the navigation stays on
// one line at 1366 px (English and German) and that narrow tables keep
// their column labels.
func TestBrowserSettings(t *testing.T) {
	w, b := openBrowser(t)
	ctx := context.Background()
	day := func(s string) core.Date {
		d, err := core.ParseDate("day", s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// The first month of A's contract is billed now, before any setting.
	if _, err := w.billing.InvoiceRun(ctx, day("2026-11-22")); err != nil {
		t.Fatal(err)
	}
	ct, err := w.billing.Contract(ctx, w.resA.Scope(), w.contractA.ID)
	if err != nil || ct.NextDue != "2026-12-22" {
		t.Fatalf("contract A next due %q, %v; want 2026-12-22", ct.NextDue, err)
	}

	// The operator: lead 20 days, payment terms 30 days, for the panel.
	b.do("viewport", chromedp.EmulateViewport(1366, 900))
	b.signIn("admin@op.test", testPassword, "#tenant-name")
	b.open("/settings", "#settings-form")
	b.setSettings(map[string]string{"billing.lead_days": "20", "billing.payment_days": "30"})
	b.must(b.text("#row-billing-lead_days .source") == "set here", "panel lead days source = %q", b.text("#row-billing-lead_days .source"))
	b.checkNavOneLine("operator, English")
	b.signOut()

	// Reseller A: inherits them, then sets lead 10 and terms 21 for itself.
	b.signIn("owner@a.test", testPassword, "#tenant-name")
	b.open("/settings", "#settings-form")
	b.must(b.text("#row-billing-payment_days .effective") == "30" && b.text("#row-billing-payment_days .source") == "inherited from the panel defaults",
		"reseller sees terms %q %q", b.text("#row-billing-payment_days .effective"), b.text("#row-billing-payment_days .source"))
	b.setSettings(map[string]string{"billing.lead_days": "10", "billing.payment_days": "21"})
	// A wrong value is refused with its field named, and changes nothing.
	// The field's own bounds stop it in the browser; the server refuses it
	// too when the browser does not check.
	b.must(b.attr(`[name="billing.payment_days"]`, "max") == "365", "the terms field has no bound")
	b.do("bad terms", chromedp.SetValue(chromedp.CSS(`[name="billing.payment_days"]`), "400"), chromedp.SetValue(chromedp.CSS(`[name="billing.lead_days"]`), "3"))
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](`document.querySelector("#settings-form").submit()`)); err != nil {
		b.fail("submit without the browser's checks: %v", err)
	}
	b.do("refusal", chromedp.WaitVisible(chromedp.CSS(".ferr")))
	b.must(strings.Contains(b.text("#row-billing-payment_days .ferr"), "from 0 to 365"), "bad terms error = %q", b.text("#row-billing-payment_days .ferr"))
	b.open("/settings", "#settings-form")
	b.must(b.text("#row-billing-lead_days .effective") == "10", "a refused form changed lead days to %q", b.text("#row-billing-lead_days .effective"))

	// The client's page links to its settings, which show the reseller's values.
	b.open(fmt.Sprintf("/tenants/%d", w.cliA.ID), "#tenant-settings")
	b.do("customer settings", chromedp.Click(chromedp.CSS("#tenant-settings")), chromedp.WaitVisible(chromedp.CSS("#settings-form")))
	for _, key := range []string{"payment_days", "lead_days"} {
		src := b.text("#row-billing-" + key + " .source")
		b.must(src == "inherited from the reseller", "customer %s source = %q", key, src)
	}
	b.must(b.text("#row-billing-payment_days .effective") == "21" && b.text("#row-billing-lead_days .effective") == "10",
		"customer sees terms %q, lead %q", b.text("#row-billing-payment_days .effective"), b.text("#row-billing-lead_days .effective"))

	// The next run uses them: not 11 days ahead (the panel's 20 would),
	// but 10; issued that day, due 21 days later.
	for _, d := range []string{"2026-12-11", "2026-12-12"} {
		w.clock.Set(time.Date(2026, 12, day(d).Day, 9, 0, 0, 0, time.UTC))
		if _, err := w.billing.InvoiceRun(ctx, day(d)); err != nil {
			t.Fatal(err)
		}
		if d == "2026-12-11" && w.count("invoice_lines", "contract_id = ? AND period_start = ?", w.contractA.ID, "2026-12-22") != 0 {
			t.Fatal("the run billed 11 days ahead; reseller A's lead is 10 days")
		}
	}
	b.signIn("owner@a.test", testPassword, "#tenant-name") // three weeks on, the session has lapsed
	b.open(fmt.Sprintf("/billing/invoices?customer_id=%d", w.cliA.ID), "#invoices")
	row := b.text("#invoices tbody tr:first-child")
	b.must(strings.Contains(row, "12 December 2026") && strings.Contains(row, "2 January 2027"), "the run's invoice: %q, want issued 12 December 2026, due 2 January 2027", row)
	b.do("open invoice", chromedp.Click(chromedp.CSS("#invoices tbody tr:first-child a")), chromedp.WaitVisible(chromedp.CSS("#terms")))
	b.must(strings.Contains(b.text("#terms"), "21 days"), "terms printed: %q", b.text("#terms"))

	// Screens at two widths.
	for _, width := range []int64{1366, 390} {
		b.do("viewport", chromedp.EmulateViewport(width, 900))
		for _, pg := range []struct{ name, path, wait string }{
			{"dashboard", "/", "#tenant-name"},
			{"invoices", "/billing/invoices", "#invoices"},
			{"client", fmt.Sprintf("/tenants/%d", w.cliA.ID), "#tenant-contracts"},
			{"settings", "/settings", "#settings-form"},
			{"collections", "/billing/collections", "#overdue-list"},
		} {
			b.open(pg.path, pg.wait)
			b.screenshot(fmt.Sprintf("reseller-%s-%d.png", pg.name, width))
			if width == 390 {
				b.checkCellLabels(pg.name)
			}
		}
	}
	b.do("viewport", chromedp.EmulateViewport(1366, 900))
	b.signOut()

	// The operator's navigation, the longest, on one line in German too.
	w.h.W.Exec("UPDATE users SET language = 'de' WHERE email = 'admin@op.test'")
	b.signIn("admin@op.test", testPassword, "#tenant-name")
	b.checkNavOneLine("operator, German")
	b.screenshot("operator-dashboard-de-1366.png")
	b.signOut()
}

// attr reads an attribute of the first element sel matches.
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector(`+"`"+sel+"`"+`).getAttribute("`+name+`") || ""`))
	if err != nil {
		b.fail("read %s of %s: %v", name, sel, err)
	}
	return v
}

// setSettings fills settings fields and saves the form.
func (b *tab) setSettings(values map[string]string) {
	b.t.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for k, v := range values {
		acts = append(acts, chromedp.SetValue(chromedp.CSS(`[name="`+k+`"]`), v))
	}
	acts = append(acts, chromedp.Click(chromedp.CSS("#settings-save")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.do("save settings", acts...)
	for k, v := range values {
		id := "#row-" + strings.ReplaceAll(k, ".", "-")
		b.must(b.text(id+" .effective") == v, "%s in effect = %q after saving %q", k, b.text(id+" .effective"), v)
	}
}

// checkNavOneLine: every navigation entry and the user's menu sit on the
// header's one line.
func (b *tab) checkNavOneLine(who string) {
	b.t.Helper()
	tops, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`[...document.querySelectorAll("nav.nav > a, nav.nav > details, .me")].map(e => Math.round(e.getBoundingClientRect().top + e.getBoundingClientRect().height / 2))`))
	if err != nil {
		b.fail("measure navigation: %v", err)
	}
	b.must(len(tops) > 3, "%s: only %d navigation entries", who, len(tops))
	for _, y := range tops {
		b.must(y > tops[0]-6 && y < tops[0]+6, "%s: the navigation wraps at 1366 px (entry centres at %v)", who, tops)
	}
}

// checkCellLabels: at a narrow width each table row is a card and every
// body cell (but a spanning one) shows its column's label.
func (b *tab) checkCellLabels(page string) {
	b.t.Helper()
	missing, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main table")].flatMap(t =>
		getComputedStyle(t.querySelector("thead") || t).display !== "none" && t.querySelector("thead") ? ["header shown: " + t.id] :
		[...t.querySelectorAll("tbody td:not([colspan])")].filter(td => !td.closest("table table") && getComputedStyle(td, "::before").content.replace(/"/g, "") !== td.dataset.label || !td.dataset.label).map(td => t.id + ": " + td.textContent.trim().slice(0, 30)))`))
	if err != nil {
		b.fail("check labels: %v", err)
	}
	b.must(len(missing) == 0, "%s at 390 px: cells without their column label: %v", page, missing)
}

// screenshot saves the page in the artifacts directory.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fail("screenshot %s: %v", name, err)
	}
	path := filepath.Join(b.shot, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}
