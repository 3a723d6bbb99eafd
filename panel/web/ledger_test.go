package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestLedgerPages: the operator keeps its books in the panel and the
// API: a chart and its own accounts (bad input refused beside the field),
// an export download recorded with its hash, a month closed only when
// confirmed and over, the VAT reports as pages, JSON and CSV, an invoice
// written off; a client and another seller reach none of it.
func TestLedgerPages(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		admin := w.signIn("admin@op.test")
		r := admin.get("/billing/ledger")
		if r.status != http.StatusSeeOther || r.location != "/tenants/1/ledger" {
			t.Fatalf("own books: %d %q", r.status, r.location)
		}
		r = admin.get("/tenants/1/ledger")
		if r.status != http.StatusOK || !strings.Contains(r.body, `id="chart-form"`) || !strings.Contains(r.body, `id="export-form"`) ||
			!strings.Contains(r.body, "DATEV Buchungsstapel (EXTF)") {
			t.Fatalf("books page: %d %s", r.status, r.body)
		}
		r = admin.post("/tenants/1/ledger", url.Values{"chart": {"skr99"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "must be one of skr03, skr04, pcg, generic, custom") {
			t.Fatalf("unknown chart: %d %s", r.status, r.body)
		}
		r = admin.post("/tenants/1/ledger", url.Values{"chart": {"skr03"}, "accounts": {"revenue 8401"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "line 1: write a key, an equals sign") {
			t.Fatalf("malformed account line: %d %s", r.status, r.body)
		}
		r = admin.post("/tenants/1/ledger", url.Values{"chart": {"skr03"}, "accounts": {"cash|stripe = 1361\n# the bank\ncash = 1210"},
			"opt.datev.consultant": {"1001"}, "opt.datev.client": {"7"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("save books: %d %s", r.status, r.body)
		}
		if n := w.count("ledger_accounts", "seller_id = 1"); n != 2 {
			t.Fatalf("%d own accounts saved, want 2", n)
		}

		r = admin.get("/tenants/1/ledger/export?format=datev&from=2026-11")
		if r.status != http.StatusOK || !strings.HasPrefix(r.body, `"EXTF";700;21;"Buchungsstapel";13;`) ||
			r.header.Get("Content-Disposition") != `attachment; filename="EXTF_Buchungsstapel_20261101_20261130.csv"` || len(r.header.Get("X-Export-Sha256")) != 64 {
			t.Fatalf("DATEV download: %d %v %s", r.status, r.header, r.body)
		}
		r = admin.get("/tenants/1/ledger/export?format=fec&from=2025-12&to=2026-01")
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "covers one fiscal year") {
			t.Fatalf("FEC across two years: %d %s", r.status, r.body)
		}

		r = admin.post("/tenants/1/ledger/close", url.Values{"month": {"2026-10"}})
		if r.status != http.StatusUnprocessableEntity || w.count("ledger_books", "closed_through <> ''") != 0 {
			t.Fatalf("close without confirming: %d", r.status)
		}
		r = admin.post("/tenants/1/ledger/close", url.Values{"month": {"2026-11"}, "confirm": {"on"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "has not ended yet") {
			t.Fatalf("close the current month: %d %s", r.status, r.body)
		}
		r = admin.post("/tenants/1/ledger/close", url.Values{"month": {"2026-10"}, "confirm": {"on"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("close October: %d %s", r.status, r.body)
		}
		r = admin.post("/tenants/1/ledger/close", url.Values{"month": {"2026-10"}, "confirm": {"on"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "closed already") {
			t.Fatalf("close October twice: %d %s", r.status, r.body)
		}

		api := "/api/v1/tenants/1/ledger"
		r = w.api(w.adminKey, "GET", api, nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, `"closed_through":"2026-10"`) || !strings.Contains(r.body, `"chart":"skr03"`) {
			t.Fatalf("books by API: %d %s", r.status, r.body)
		}
		wantFields(t, "bad books", w.api(w.adminKey, "PUT", api, map[string]any{"chart": "x", "accounts": []map[string]any{{"key": "nothing", "account": "1"}}}),
			"chart", "accounts.0.key")
		if r = w.api(w.keyCliA, "GET", "/api/v1/tenants/"+itoa(w.cliA.ID)+"/ledger", nil); r.status != http.StatusNotFound {
			t.Fatalf("a client's books: %d %s", r.status, r.body)
		}
		if r = w.api(w.keyA, "GET", api+"/export?format=csv&from=2026-11", nil); r.status != http.StatusNotFound {
			t.Fatalf("a reseller exports the operator's books: %d %s", r.status, r.body)
		}
		if r = w.api(w.keyA, "PUT", "/api/v1/tenants/"+itoa(w.resA.ID)+"/ledger", map[string]any{"chart": "skr04"}); r.status != http.StatusOK {
			t.Fatalf("a reseller sets its own chart: %d %s", r.status, r.body)
		}

		inv := "/api/v1/invoices/" + itoa(w.opInvA.ID) + "/write-off"
		wantFields(t, "write-off without a reason", w.api(w.adminKey, "POST", inv, map[string]any{"reason": " "}), "reason")
		r = w.api(w.adminKey, "POST", inv, map[string]any{"reason": "insolvency"})
		if r.status != http.StatusOK || !strings.Contains(r.body, `"status":"uncollectible"`) || !strings.Contains(r.body, `"written_off_minor":595`) {
			t.Fatalf("write-off: %d %s", r.status, r.body)
		}
		if r = w.api(w.adminKey, "POST", inv, map[string]any{"reason": "again"}); r.status != http.StatusPreconditionFailed {
			t.Fatalf("write-off twice: %d %s", r.status, r.body)
		}
		r = w.api(w.adminKey, "GET", api+"/entries?from=2026-11", nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, `"kind":"write_off"`) || !strings.Contains(r.body, `"role":"bad_debt"`) {
			t.Fatalf("journal by API: %d %s", r.status, r.body)
		}

		r = w.api(w.adminKey, "GET", "/api/v1/tenants/1/reports/vat?from=2026-11", nil)
		if r.status != http.StatusOK || !strings.Contains(r.body, `"domestic":[{"rate":"19","base_minor":500,"tax_minor":95}]`) {
			t.Fatalf("VAT return by API: %d %s", r.status, r.body)
		}
		r = w.api(w.adminKey, "GET", "/api/v1/tenants/1/reports/oss?quarter=2026-Q4&format=csv", nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" || r.body != "member_state,rate,base,vat,currency\n" {
			t.Fatalf("OSS CSV by API: %d %v %q", r.status, r.header, r.body)
		}
		wantFields(t, "a fifth quarter", w.api(w.adminKey, "GET", "/api/v1/tenants/1/reports/oss?quarter=2026-Q5", nil), "quarter")
		if r = w.api(w.adminKey, "GET", "/api/v1/tenants/1/reports/profit", nil); r.status != http.StatusNotFound {
			t.Fatalf("an unknown report: %d %s", r.status, r.body)
		}
		r = admin.get("/tenants/1/reports?from=2026-11&quarter=2026-Q4")
		r0, links := r, 0
		if r.status != http.StatusOK || !strings.Contains(r.body, `id="vat-return"`) || !strings.Contains(r.body, `id="oss-return"`) || !strings.Contains(r.body, `id="sales-list"`) {
			t.Fatalf("reports page: %d %s", r.status, r.body)
		}
		if r = admin.get("/tenants/1/reports/sales-list.csv?from=2026-11"); r.status != http.StatusOK || !strings.HasPrefix(r.body, "country,vat_id,name,services,currency") {
			t.Fatalf("sales list CSV: %d %s", r.status, r.body)
		}
		// The page's own CSV links work.
		for _, m := range regexp.MustCompile(`href="(/tenants/1/reports/[a-z-]+\.csv\?[^"]*)"`).FindAllStringSubmatch(r0.body, -1) {
			link := strings.ReplaceAll(m[1], "&amp;", "&")
			if got := admin.get(link); got.status != http.StatusOK || got.header.Get("Content-Type") != "text/csv; charset=utf-8" {
				t.Errorf("the reports page's link %s: %d %s", link, got.status, got.body)
			}
			links++
		}
		if links != 3 {
			t.Errorf("%d CSV links on the reports page, want 3", links)
		}
		if err := w.billing.CheckJournal(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}
