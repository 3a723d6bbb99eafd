package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestMoneyLimitsAPIAndPages: the overflow cases of the money limits and
// their neighbours, through the JSON API and the manual invoice form:
// field errors naming the line and the limit, and nothing written.
func TestMoneyLimitsAPIAndPages(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		seller := w.signIn("owner@a.test")
		counts := func() [4]int64 {
			return [4]int64{w.count("invoices", "1=1"), w.count("invoice_lines", "1=1"), w.count("products", "1=1"), w.count("coupons", "1=1")}
		}
		before := counts()
		lines := func(prices ...string) []map[string]any {
			var out []map[string]any
			for _, p := range prices {
				out = append(out, map[string]any{"description": "item", "unit_price": p})
			}
			return out
		}
		invoice := func(ls []map[string]any) resp {
			return w.api(w.keyA, "POST", "/api/v1/invoices", map[string]any{"customer_id": w.cliA.ID, "currency": "EUR", "lines": ls})
		}
		r := invoice(lines("92233720368547758.07", "10.00"))
		wantFields(t, "a unit price of int64's limit next to 10.00", r, "lines.0.unit_price")
		if !strings.Contains(r.body, "9999999999999.99 EUR") {
			t.Errorf("the error does not name the limit: %s", r.body)
		}
		wantFields(t, "two lines of 5*10^16", invoice(lines("50000000000000000", "50000000000000000")), "lines.0.unit_price")
		wantFields(t, "lines summing over the maximum", invoice(lines("9999999999999.99", "0.01")), "lines")
		wantFields(t, "a quantity of 10^12", invoice([]map[string]any{{"description": "x", "unit_price": "1", "quantity": "1000000000000"}}), "lines.0.quantity")
		wantFields(t, "a price of int64's limit in minor units", w.api(w.keyA, "POST", "/api/v1/products", map[string]any{"code": "huge", "name": "Huge",
			"kind": "oneoff", "prices": []map[string]any{{"currency": "EUR", "cycle": "once", "amount_minor": 9223372036854775807}}}), "prices.0.amount")
		wantFields(t, "a price beyond int64", w.api(w.keyA, "POST", "/api/v1/products",
			`{"code":"huge","name":"Huge","kind":"oneoff","prices":[{"currency":"EUR","cycle":"once","amount_minor":9223372036854775808}]}`), "prices.amount_minor")
		wantFields(t, "a coupon over the maximum", w.api(w.keyA, "POST", "/api/v1/coupons", map[string]any{"code": "HUGE", "kind": "fixed",
			"amount_minor": 1000000000000000, "currency": "EUR"}), "amount_minor")

		r = seller.post("/billing/invoices/new", url.Values{"customer_id": {itoa(w.cliA.ID)}, "currency": {"EUR"},
			"description_0": {"Big"}, "unit_price_0": {"92233720368547758.07"}, "description_1": {"Small"}, "unit_price_1": {"10.00"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "must be at most 9999999999999.99 EUR") ||
			!strings.Contains(r.body, `name="unit_price_0" value="92233720368547758.07"`) {
			t.Errorf("overflowing line by form: %d %s", r.status, r.body)
		}
		if got := counts(); got != before {
			t.Fatalf("bad amounts wrote rows: %v -> %v (invoices, lines, products, coupons)", before, got)
		}

		// Just inside: a line of 1,000,000,000.00 is accepted and exact.
		r = invoice(lines("1000000000.00"))
		if r.status != http.StatusCreated {
			t.Fatalf("an invoice of a billion: %d %s", r.status, r.body)
		}
		if doc := apiJSON(t, r); doc["net_minor"].(float64) != 100000000000 {
			t.Errorf("net = %v, want 100000000000", doc["net_minor"])
		}
	})
}
