package web_test

import (
	"context"
	"faktura/billing"
	"faktura/panel/identity"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSellerTaxPage: a reseller sets its tax scheme on its tax page and
// through the API, sees its Art. 59c tally; bad input gets field errors
// and changes nothing; a client has no tax page; an invoice no rate
// change overtook cannot be "corrected".
func TestSellerTaxPage(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		seller := w.signIn("owner@a.test")
		page := "/tenants/" + itoa(w.resA.ID) + "/tax"
		r := seller.get("/billing/tax")
		if r.status != http.StatusSeeOther || r.location != page {
			t.Fatalf("own tax page: %d %q", r.status, r.location)
		}
		r = seller.get(page)
		if r.status != http.StatusOK || !strings.Contains(r.body, `id="tax-scheme"`) || !strings.Contains(r.body, "Kleinunternehmerregelung (§ 19 UStG)") ||
			!strings.Contains(r.body, `id="tally-this">0.00`) || !strings.Contains(r.body, "Taxed in your country: under the threshold") {
			t.Fatalf("tax page: %d %s", r.status, r.body)
		}
		r = seller.post(page, url.Values{"tax_scheme": {"flat_rate"}, "oss_mode": {"threshold"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `class="ferr"`) || !strings.Contains(r.body, "must be one of standard, small_business") {
			t.Fatalf("bad scheme by form: %d %s", r.status, r.body)
		}
		if r = seller.post(page, url.Values{"tax_scheme": {"small_business"}, "oss_mode": {"threshold"}}); r.status != http.StatusSeeOther {
			t.Fatalf("small business by form: %d %s", r.status, r.body)
		}
		if n := w.count("billing_profiles", "tenant_id = ? AND tax_scheme = 'small_business'", w.resA.ID); n != 1 {
			t.Fatalf("scheme not saved (%d)", n)
		}

		api := "/api/v1/tenants/" + itoa(w.resA.ID) + "/tax"
		wantFields(t, "bad seller tax", w.api(w.keyA, "PUT", api, map[string]any{"tax_scheme": "x", "oss_mode": "y"}), "tax_scheme", "oss_mode")
		if n := w.count("billing_profiles", "tenant_id = ? AND oss_mode = 'threshold'", w.resA.ID); n != 1 {
			t.Fatalf("a refused change was saved")
		}
		r = w.api(w.keyA, "PUT", api, map[string]any{"tax_scheme": "standard", "oss_mode": "destination"})
		if r.status != http.StatusOK || !strings.Contains(r.body, `"oss_mode":"destination"`) || !strings.Contains(r.body, `"destination":true`) || !strings.Contains(r.body, `"opted_in":true`) {
			t.Fatalf("opt in by API: %d %s", r.status, r.body)
		}
		if r = w.api(w.keyCliA, "GET", "/api/v1/tenants/"+itoa(w.cliA.ID)+"/tax", nil); r.status != http.StatusNotFound {
			t.Fatalf("a client's tax settings: %d %s", r.status, r.body)
		}
		if r = w.api(w.keyCliA, "GET", api, nil); r.status != http.StatusNotFound {
			t.Fatalf("a client reads its seller's tax settings: %d %s", r.status, r.body)
		}
		if r = w.api(w.adminKey, "GET", api, nil); r.status != http.StatusOK || !strings.Contains(r.body, `"rate_changes":[]`) {
			t.Fatalf("the operator reads a reseller's tax settings: %d %s", r.status, r.body)
		}
		r = w.api(w.keyB, "POST", "/api/v1/invoices/"+itoa(w.finalB.ID)+"/correct-rate", nil)
		if r.status != http.StatusPreconditionFailed || !strings.Contains(r.body, "not overtaken by a VAT rate change") {
			t.Fatalf("correcting an invoice no rate change overtook: %d %s", r.status, r.body)
		}
	})
}

// TestFormShowsProblemsOfOtherFields: finalizing a draft whose seller
// lacks the id German invoices must carry names that id in the message,
// since the invoice page has no field for it.
func TestFormShowsProblemsOfOtherFields(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		op := identity.SystemCaller("test").Scope
		if _, err := w.billing.SaveProfile(context.Background(), op, w.resB.ID, billing.ProfileInput{LegalName: w.resB.Name, Country: "DE", Timezone: "Europe/Berlin"}); err != nil {
			t.Fatal(err)
		}
		seller := w.signIn("owner@b.test")
		r := seller.post("/billing/invoices/"+itoa(w.draftB.ID)+"/finalize", nil)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Steuernummer or USt-IdNr must be on German invoices") {
			t.Fatalf("finalize without the seller's id: %d %s", r.status, r.body)
		}
		if n := w.count("invoices", "id = ? AND finalized_at IS NULL", w.draftB.ID); n != 1 {
			t.Fatalf("the draft was finalized")
		}
	})
}
