package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// setting is one key of a GET /api/v1/settings answer.
type setting struct {
	Name          string `json:"name"`
	Value         any    `json:"value"`
	Effective     any    `json:"effective"`
	From          string `json:"from"`
	Inherited     any    `json:"inherited"`
	InheritedFrom string `json:"inherited_from"`
}

func (w *world) settingsOf(key, level string, id int64) map[string]setting {
	w.t.Helper()
	r := w.api(key, http.MethodGet, fmt.Sprintf("/api/v1/settings/%s/%d", level, id), nil)
	if r.status != http.StatusOK {
		w.t.Fatalf("GET settings %s/%d = %d %s", level, id, r.status, r.body)
	}
	var out struct {
		Settings []setting `json:"settings"`
	}
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		w.t.Fatal(err)
	}
	m := map[string]setting{}
	for _, s := range out.Settings {
		m[s.Name] = s
	}
	return m
}

func (w *world) wantSetting(key, level string, id int64, name string, effective any, from string) setting {
	w.t.Helper()
	s, ok := w.settingsOf(key, level, id)[name]
	if !ok {
		w.t.Fatalf("%s/%d lists no %s", level, id, name)
	}
	if fmt.Sprint(s.Effective) != fmt.Sprint(effective) || s.From != from {
		w.t.Errorf("%s at %s/%d = %v from %s, want %v from %s", name, level, id, s.Effective, s.From, effective, from)
	}
	return s
}

// TestSettingsAPI walks the chain over the API: the operator sets the
// panel defaults, a reseller overrides them for itself and one customer,
// each level shows the value in effect and its source, a reset brings the
// inherited value back, bad values change nothing and every change is in
// the audit log.
func TestSettingsAPI(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		put := func(key, path string, body any) resp {
			t.Helper()
			return w.api(key, http.MethodPut, "/api/v1/settings/"+path, body)
		}
		w.wantSetting(w.keyA, "seller", w.resA.ID, "billing.payment_days", 14, "default")
		if r := put(w.adminKey, "panel/0", map[string]any{"billing.payment_days": 30, "billing.lead_days": "10"}); r.status != http.StatusOK {
			t.Fatalf("operator PUT panel = %d %s", r.status, r.body)
		}
		w.wantSetting(w.keyA, "seller", w.resA.ID, "billing.payment_days", 30, "panel")
		if r := put(w.keyA, fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{"billing.payment_days": 21, "billing.auto_finalize": false}); r.status != http.StatusOK {
			t.Fatalf("reseller PUT seller = %d %s", r.status, r.body)
		}
		s := w.wantSetting(w.keyA, "seller", w.resA.ID, "billing.payment_days", 21, "seller")
		if fmt.Sprint(s.Value) != "21" || fmt.Sprint(s.Inherited) != "30" || s.InheritedFrom != "panel" {
			t.Errorf("seller level payment_days = %+v, want 21 set here over 30 from the panel", s)
		}
		w.wantSetting(w.keyA, "customer", w.cliA.ID, "billing.payment_days", 21, "seller")
		w.wantSetting(w.keyA, "customer", w.cliA.ID, "billing.lead_days", 10, "panel")
		w.wantSetting(w.keyA, "contract", w.contractA.ID, "billing.lead_days", 10, "panel")
		if r := put(w.keyA, fmt.Sprintf("customer/%d", w.cliA.ID), map[string]any{"billing.payment_days": 7}); r.status != http.StatusOK {
			t.Fatalf("reseller PUT customer = %d %s", r.status, r.body)
		}
		w.wantSetting(w.keyA, "customer", w.cliA.ID, "billing.payment_days", 7, "customer")
		w.wantSetting(w.adminKey, "seller", 1, "billing.payment_days", 30, "panel") // the operator's own seller level is untouched

		// Bad input: the field is named, nothing changes.
		before := w.count("settings", "1 = 1")
		audits := w.count("audit_log", "action = ?", "settings.change")
		bad := []struct {
			path  string
			body  any
			field string
		}{
			{fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{"billing.payment_days": "soon"}, "billing.payment_days"},
			{fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{"billing.payment_days": 400}, "billing.payment_days"},
			{fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{"billing.lead_days": 5, "billing.grouping": "per_planet"}, "billing.grouping"},
			{fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{"billing.currency": "EURO"}, "billing.currency"},
			{fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{"billing.four_eyes": "maybe"}, "billing.four_eyes"},
			{fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{"billing.no_such_key": 1}, "billing.no_such_key"},
			{fmt.Sprintf("plan/%d", w.prodA.ID), map[string]any{"billing.payment_days": 5}, "billing.payment_days"},
			{fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{}, "body"},
			{fmt.Sprintf("seller/%d", w.resA.ID), []int{1}, "body"},
			{fmt.Sprintf("seller/%d", w.resA.ID), "billing.payment_days=5", "body"},
		}
		for _, b := range bad {
			r := put(w.keyA, b.path, b.body)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, b.field) {
				t.Errorf("PUT %s %v = %d %s, want 422 naming %s", b.path, b.body, r.status, r.body, b.field)
			}
		}
		for _, p := range []string{"galaxy/1", "panel/5", fmt.Sprintf("seller/%d", w.cliA.ID)} {
			if r := put(w.keyA, p, map[string]any{"billing.payment_days": 5}); r.status != http.StatusNotFound {
				t.Errorf("PUT %s = %d %s, want 404", p, r.status, r.body)
			}
		}
		if r := put(w.keyCliA, fmt.Sprintf("customer/%d", w.cliA.ID), map[string]any{"billing.payment_days": 60}); r.status != http.StatusForbidden {
			t.Errorf("a client changing its own terms = %d %s, want 403", r.status, r.body)
		}
		if n := w.count("settings", "1 = 1"); n != before {
			t.Errorf("bad input changed the settings: %d rows, want %d", n, before)
		}
		w.wantSetting(w.keyA, "seller", w.resA.ID, "billing.lead_days", 10, "panel")

		// The same value again is no change; a reset brings back the inherited one.
		put(w.keyA, fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{"billing.payment_days": 21})
		if n := w.count("audit_log", "action = ?", "settings.change"); n != audits {
			t.Errorf("a PUT of the same value wrote %d audit entries", n-audits)
		}
		r := put(w.keyA, fmt.Sprintf("seller/%d", w.resA.ID), map[string]any{"billing.payment_days": nil})
		if r.status != http.StatusOK {
			t.Fatalf("reset = %d %s", r.status, r.body)
		}
		s = w.wantSetting(w.keyA, "seller", w.resA.ID, "billing.payment_days", 30, "panel")
		if s.Value != nil {
			t.Errorf("after a reset the seller level still holds %v", s.Value)
		}
		var last struct{ Summary string }
		w.h.Read(t.Context()).Table("audit_log").Where("action = ?", "settings.change").Order("id DESC").Take(&last)
		if !strings.Contains(last.Summary, `"before":{"billing.payment_days":21}`) || !strings.Contains(last.Summary, `"after":{"billing.payment_days":null}`) {
			t.Errorf("audit of the reset = %s", last.Summary)
		}
		if n := w.count("audit_log", "action = ?", "settings.change"); n != audits+1 {
			t.Errorf("%d audit entries after the reset, want %d", n, audits+1)
		}
	})
}

// TestSettingsPages: the settings page of each level shows every key with
// the value in effect and its source; the form saves, refuses a bad value
// (naming it, changing nothing) and resets a key to the inherited value.
func TestSettingsPages(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		admin, reseller, client := w.signIn("admin@op.test"), w.signIn("owner@a.test"), w.signIn("owner@clienta.test")
		if r := admin.get("/settings"); r.status != http.StatusSeeOther || r.location != "/settings/panel/0" {
			t.Errorf("operator /settings = %d %s", r.status, r.location)
		}
		own := fmt.Sprintf("/settings/seller/%d", w.resA.ID)
		if r := reseller.get("/settings"); r.status != http.StatusSeeOther || r.location != own {
			t.Errorf("reseller /settings = %d %s, want %s", r.status, r.location, own)
		}
		if r := client.get("/settings"); r.status != http.StatusForbidden {
			t.Errorf("client /settings = %d", r.status)
		}
		if r := admin.post("/settings/panel/0", url.Values{"billing.payment_days": {"30"}, "billing.grouping": {"-"}}); r.status != http.StatusSeeOther {
			t.Fatalf("operator saves panel defaults = %d %.500s", r.status, r.body)
		}
		page := reseller.get(own)
		for _, want := range []string{"Payment terms (days)", `placeholder="30"`, "inherited from the panel defaults", "Invoice grouping", `id="billing-grouping"`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("reseller's settings page lacks %q", want)
			}
		}
		if strings.Contains(page.body, "Billing cycle of new contracts") != true {
			t.Error("the seller level does not offer the default cycle")
		}
		r := reseller.post(own, url.Values{"billing.payment_days": {"many"}, "billing.lead_days": {"3"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "must be a whole number from 0 to 365") || !strings.Contains(r.body, `value="many"`) {
			t.Errorf("bad form = %d, want the form again naming the field", r.status)
		}
		w.wantSetting(w.keyA, "seller", w.resA.ID, "billing.lead_days", 14, "default")
		w.h.W.Exec("UPDATE users SET language = 'de' WHERE email = 'owner@a.test'")
		r = reseller.post(own, url.Values{"billing.payment_days": {"400"}, "billing.grouping": {"weekly"}})
		if !strings.Contains(r.body, "muss eine ganze Zahl von 0 bis 365 sein") || !strings.Contains(r.body, "wählen Sie einen der angebotenen Werte") {
			t.Errorf("the problems are not in the reader's language: %d", r.status)
		}
		w.h.W.Exec("UPDATE users SET language = 'en' WHERE email = 'owner@a.test'")
		if r := reseller.post(own, url.Values{"billing.payment_days": {"21"}, "billing.four_eyes": {"true"}}); r.status != http.StatusSeeOther {
			t.Fatalf("reseller saves = %d %.500s", r.status, r.body)
		}
		w.wantSetting(w.keyA, "seller", w.resA.ID, "billing.four_eyes", true, "seller")
		cust := reseller.get(fmt.Sprintf("/settings/customer/%d", w.cliA.ID))
		if !strings.Contains(cust.body, "inherited from the reseller") || !strings.Contains(cust.body, `class="effective">21<`) {
			t.Errorf("customer page does not show 21 inherited from the reseller")
		}
		if strings.Contains(cust.body, "Reset to inherited") {
			t.Error("customer page offers a reset where nothing is set")
		}
		if !strings.Contains(reseller.get(own).body, "Reset to inherited") {
			t.Error("seller page offers no reset for its own values")
		}
		if r := reseller.post(own, url.Values{"reset": {"billing.payment_days"}}); r.status != http.StatusSeeOther {
			t.Fatalf("reset = %d", r.status)
		}
		w.wantSetting(w.keyA, "seller", w.resA.ID, "billing.payment_days", 30, "panel")
		w.wantSetting(w.keyA, "seller", w.resA.ID, "billing.four_eyes", true, "seller")
		for _, p := range []string{fmt.Sprintf("/settings/plan/%d", w.prodA.ID), fmt.Sprintf("/settings/contract/%d", w.contractA.ID)} {
			if r := reseller.get(p); r.status != http.StatusOK || !strings.Contains(r.body, "Invoice ahead (days)") {
				t.Errorf("GET %s = %d", p, r.status)
			}
		}
		links := map[string]string{fmt.Sprintf("/tenants/%d", w.cliA.ID): fmt.Sprintf("/settings/customer/%d", w.cliA.ID),
			fmt.Sprintf("/billing/catalog/%d", w.prodA.ID):       fmt.Sprintf("/settings/plan/%d", w.prodA.ID),
			fmt.Sprintf("/billing/contracts/%d", w.contractA.ID): fmt.Sprintf("/settings/contract/%d", w.contractA.ID)}
		for page, link := range links {
			if !strings.Contains(reseller.get(page).body, `href="`+link+`"`) {
				t.Errorf("%s does not link to its settings %s", page, link)
			}
		}
		if strings.Contains(client.get(fmt.Sprintf("/billing/contracts/%d", w.contractA.ID)).body, "/settings/contract/") {
			t.Error("the client's contract page links to the seller's settings")
		}
		plan := reseller.get(fmt.Sprintf("/settings/plan/%d", w.prodA.ID)).body
		if strings.Contains(plan, "Payment terms") {
			t.Error("the plan level offers payment terms, which are read per seller and customer")
		}
	})
}
