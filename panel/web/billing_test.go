package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"faktura/panel/web"
)

// apiJSON decodes a response body into a map.
func apiJSON(t *testing.T, r resp) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", r.status, r.body)
	}
	return m
}

// fieldsOf lists the field names of a 422 answer.
func fieldsOf(t *testing.T, r resp) []string {
	t.Helper()
	var e web.ErrorBody
	if err := json.Unmarshal([]byte(r.body), &e); err != nil {
		t.Fatalf("error body is not JSON: %s", r.body)
	}
	var out []string
	for f := range e.Error.Fields {
		out = append(out, f)
	}
	return out
}

func wantFields(t *testing.T, what string, r resp, fields ...string) {
	t.Helper()
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("%s = %d, want 422: %s", what, r.status, r.body)
		return
	}
	got := strings.Join(fieldsOf(t, r), ",")
	for _, f := range fields {
		if !strings.Contains(","+got+",", ","+f+",") {
			t.Errorf("%s: field errors %q lack %q", what, got, f)
		}
	}
}

// TestBillingAPI drives the catalog, a contract, an invoice from draft
// to credit note, the filters and the billing profile through the API,
// as reseller A and as its client, with the bad inputs beside the good.
func TestBillingAPI(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		proID := billingAPICatalog(t, w)
		billingAPIContract(t, w, proID)
		inv := billingAPIInvoice(t, w)
		billingAPIFilters(t, w, inv)
		billingAPIProfile(t, w)
	})
}

// billingAPICatalog: products with bad and good prices, who sees which
// catalog; it returns reseller A's new product.
func billingAPICatalog(t *testing.T, w *world) int64 {
	a, cli := w.keyA, w.keyCliA
	products := w.count("products", "1=1")

	// Catalog: bad prices name their fields and write nothing.
	r := w.api(a, "POST", "/api/v1/products", map[string]any{"code": "neg", "name": "Neg", "kind": "hosting", "match_code": "std",
		"prices": []map[string]any{{"currency": "EUR", "cycle": "monthly", "amount": "-1"}, {"currency": "XXY", "cycle": "weekly", "amount": "1"}}})
	wantFields(t, "bad prices", r, "prices.0.amount", "prices.1.currency", "prices.1.cycle")
	r = w.api(a, "POST", "/api/v1/products", map[string]any{"code": "x", "name": "X", "kind": "hosting", "match_code": "std", "prices": []any{}, "colour": "red"})
	wantFields(t, "unknown field", r, "colour")
	if n := w.count("products", "1=1"); n != products {
		t.Errorf("bad products wrote %d rows", n-products)
	}
	r = w.api(a, "POST", "/api/v1/products", map[string]any{"code": "alpha-pro", "name": "Alpha Pro", "kind": "hosting", "match_code": "pro",
		"prices": []map[string]any{{"currency": "EUR", "cycle": "monthly", "amount": "19.90", "setup": "10"}, {"currency": "EUR", "cycle": "annual", "amount_minor": 19900}}})
	if r.status != http.StatusCreated {
		t.Fatalf("create product: %d %s", r.status, r.body)
	}
	pro := apiJSON(t, r)
	proID := int64(pro["id"].(float64))
	if prices := pro["prices"].([]any); len(prices) != 2 || prices[0].(map[string]any)["amount_minor"].(float64) != 1990 || prices[0].(map[string]any)["setup_minor"].(float64) != 1000 {
		t.Errorf("prices = %v", pro["prices"])
	}
	r = w.api(a, "PUT", "/api/v1/products/"+itoa(proID), map[string]any{"code": "alpha-pro", "name": "Alpha Pro", "kind": "hosting", "match_code": "pro",
		"prices": []map[string]any{{"currency": "EUR", "cycle": "monthly", "amount": "-19.90"}}})
	wantFields(t, "update with a negative price", r, "prices.0.amount")
	if n := w.count("prices", "product_id = ?", proID); n != 2 {
		t.Errorf("a refused update left %d prices, want the 2 it had", n)
	}
	if r = w.api(a, "PUT", "/api/v1/products/"+itoa(w.prodOp.ID), map[string]any{"name": "Hacked"}); r.status != http.StatusForbidden {
		t.Errorf("reseller changes the operator's product: %d, want 403", r.status)
	}
	// Reseller A sees its own and the operator's catalog; its client
	// sees A's, never the operator's wholesale prices.
	if r = w.api(a, "GET", "/api/v1/products", nil); !strings.Contains(r.body, "Wholesale Std") || !strings.Contains(r.body, "Alpha Pro") {
		t.Errorf("reseller's catalog list: %s", r.body)
	}
	if r = w.api(cli, "GET", "/api/v1/products", nil); strings.Contains(r.body, "Wholesale Std") || !strings.Contains(r.body, "Alpha Pro") {
		t.Errorf("client's catalog list shows wholesale prices or lacks its seller's: %s", r.body)
	}
	if r = w.api(cli, "GET", "/api/v1/products/"+itoa(w.prodOp.ID), nil); r.status != http.StatusNotFound {
		t.Errorf("client reads a wholesale product: %d, want 404", r.status)
	}
	return proID
}

// billingAPIContract: coupons and a contract of the product proID.
func billingAPIContract(t *testing.T, w *world, proID int64) {
	a, cli := w.keyA, w.keyCliA
	var r resp
	// Coupons and a contract.
	r = w.api(a, "POST", "/api/v1/coupons", map[string]any{"code": "half", "kind": "percent", "percent": "150"})
	wantFields(t, "coupon over 100%", r, "percent")
	if r = w.api(a, "POST", "/api/v1/coupons", map[string]any{"code": "half", "kind": "percent", "percent": "50", "cycles": 2, "product_ids": []int64{proID}}); r.status != http.StatusCreated {
		t.Fatalf("create coupon: %d %s", r.status, r.body)
	}
	r = w.api(a, "POST", "/api/v1/contracts", map[string]any{"customer_id": w.cliA.ID, "product_id": proID, "cycle": "quarterly", "currency": "EUR"})
	wantFields(t, "a cycle the product does not offer", r, "cycle")
	r = w.api(a, "POST", "/api/v1/contracts", map[string]any{"customer_id": w.cliA.ID, "product_id": proID, "cycle": "monthly", "currency": "EUR", "name": "Pro site"})
	if r.status != http.StatusCreated {
		t.Fatalf("create contract: %d %s", r.status, r.body)
	}
	ct := apiJSON(t, r)
	ctPath := "/api/v1/contracts/" + itoa(int64(ct["id"].(float64)))
	if ct["unit_minor"].(float64) != 1990 || ct["setup_minor"].(float64) != 1000 || ct["status"] != "active" {
		t.Errorf("contract = %v", ct)
	}
	wantFields(t, "unknown coupon", w.api(a, "POST", ctPath+"/coupon", map[string]any{"code": "NOPE"}), "code")
	if r = w.api(a, "POST", ctPath+"/coupon", map[string]any{"code": "HALF"}); r.status != http.StatusOK || apiJSON(t, r)["discount_left"].(float64) != 2 {
		t.Errorf("apply coupon: %d %s", r.status, r.body)
	}
	if r = w.api(cli, "POST", ctPath+"/terminate", nil); r.status != http.StatusForbidden {
		t.Errorf("client terminates its contract: %d, want 403", r.status)
	}
	if r = w.api(cli, "GET", "/api/v1/contracts?status=active", nil); !strings.Contains(r.body, "Pro site") {
		t.Errorf("client's contracts: %s", r.body)
	}
	if r = w.api(a, "GET", "/api/v1/contracts?status=open", nil); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad contract status filter: %d", r.status)
	}
}

// billingAPIInvoice: a draft, a line, finalize (held: manual lines),
// approve, the frozen document, and credit notes; it returns the invoice.
func billingAPIInvoice(t *testing.T, w *world) map[string]any {
	a, cli := w.keyA, w.keyCliA
	var r resp
	// An invoice: draft, line, finalize (held: manual lines), approve.
	r = w.api(a, "POST", "/api/v1/invoices", map[string]any{"customer_id": w.cliA.ID, "currency": "EUR", "lines": []map[string]any{{"description": "", "unit_price": "-5"}}})
	wantFields(t, "bad line", r, "lines.0.description", "lines.0.unit_price")
	r = w.api(a, "POST", "/api/v1/invoices", map[string]any{"customer_id": w.cliA.ID, "currency": "EUR", "lines": []map[string]any{{"description": "Migration", "quantity": "2", "unit_price": "50"}}})
	if r.status != http.StatusCreated {
		t.Fatalf("create invoice: %d %s", r.status, r.body)
	}
	inv := apiJSON(t, r)
	invPath := "/api/v1/invoices/" + itoa(int64(inv["id"].(float64)))
	if r = w.api(a, "POST", invPath+"/lines", map[string]any{"description": "Backup restore", "unit_price": "30.00"}); r.status != http.StatusCreated {
		t.Fatalf("add line: %d %s", r.status, r.body)
	}
	inv = apiJSON(t, r)
	if inv["net_minor"].(float64) != 13000 || inv["tax_minor"].(float64) != 2470 || inv["total_minor"].(float64) != 15470 || inv["number"] != nil {
		t.Errorf("draft totals: net %v tax %v total %v number %v", inv["net_minor"], inv["tax_minor"], inv["total_minor"], inv["number"])
	}
	if buyer := inv["buyer"].(map[string]any); buyer["name"] != "Alpha Client" || buyer["country"] != "DE" {
		t.Errorf("buyer snapshot = %v", buyer)
	}
	if r = w.api(cli, "POST", invPath+"/finalize", nil); r.status != http.StatusForbidden {
		t.Errorf("client finalizes: %d, want 403", r.status)
	}
	if r = w.api(a, "POST", invPath+"/finalize", nil); r.status != http.StatusOK || apiJSON(t, r)["status"] != "awaiting_approval" {
		t.Fatalf("finalize: %d %s", r.status, r.body)
	}
	if r = w.api(a, "POST", invPath+"/approve", nil); r.status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	inv = apiJSON(t, r)
	if inv["status"] != "finalized" || !regexp.MustCompile(`^INV-2026-\d{6}$`).MatchString(inv["number"].(string)) {
		t.Errorf("approved invoice: status %v number %v", inv["status"], inv["number"])
	}
	// Frozen: no line, no deletion, no second finalize.
	for _, c := range []struct{ method, path string }{{"POST", invPath + "/lines"}, {"DELETE", invPath}, {"POST", invPath + "/finalize"}} {
		if r = w.api(a, c.method, c.path, map[string]any{"description": "late", "unit_price": "1"}); r.status != http.StatusPreconditionFailed {
			t.Errorf("%s %s on a finalized invoice = %d, want 412: %s", c.method, c.path, r.status, r.body)
		}
	}
	// Credit notes: over the line is a field error; a partial one works.
	lines := inv["lines"].([]any)
	first := int64(lines[0].(map[string]any)["id"].(float64))
	r = w.api(a, "POST", invPath+"/credit-notes", map[string]any{"lines": []map[string]any{{"line_id": first, "amount_minor": 20000}}, "reason": "goodwill"})
	wantFields(t, "over-credit", r, "lines.0.amount_minor")
	r = w.api(a, "POST", invPath+"/credit-notes", map[string]any{"reason": "goodwill"})
	wantFields(t, "credit note without lines", r, "lines")
	if r = w.api(cli, "POST", invPath+"/credit-notes", map[string]any{"full": true, "reason": "mine"}); r.status != http.StatusForbidden {
		t.Errorf("client credits its own invoice: %d, want 403", r.status)
	}
	r = w.api(a, "POST", invPath+"/credit-notes", map[string]any{"lines": []map[string]any{{"line_id": first, "amount_minor": 2000}}, "reason": "goodwill"})
	if r.status != http.StatusCreated {
		t.Fatalf("credit note: %d %s", r.status, r.body)
	}
	cn := apiJSON(t, r)
	if cn["kind"] != "credit_note" || cn["total_minor"].(float64) != 2380 || !strings.HasPrefix(cn["number"].(string), "CN-2026-") {
		t.Errorf("credit note = kind %v total %v number %v", cn["kind"], cn["total_minor"], cn["number"])
	}
	return inv
}

// billingAPIFilters: the invoice filters, for the client too, and their
// field errors.
func billingAPIFilters(t *testing.T, w *world, inv map[string]any) {
	a, cli := w.keyA, w.keyCliA
	var r resp
	// Filters, for the client too.
	for q, want := range map[string]int{"kind=credit_note": 1, "kind=invoice&status=finalized": 1, "number=CN-": 1, "from=2026-11-01&to=2026-11-30": 2, "to=2026-01-01": 0,
		"credits_id=" + itoa(int64(inv["id"].(float64))): 1} {
		r = w.api(cli, "GET", "/api/v1/invoices?"+q, nil)
		if n := len(apiJSON(t, r)["data"].([]any)); r.status != http.StatusOK || n != want {
			t.Errorf("client's invoices?%s = %d rows (%d), want %d", q, n, r.status, want)
		}
	}
	for q, field := range map[string]string{"status=open": "status", "from=2026-13-01": "from", "kind=bill": "kind", "customer_id=x": "customer_id"} {
		wantFields(t, "filter "+q, w.api(a, "GET", "/api/v1/invoices?"+q, nil), field)
	}
}

// billingAPIProfile: the billing profile through the API.
func billingAPIProfile(t *testing.T, w *world) {
	a, cli := w.keyA, w.keyCliA
	var r resp
	// Billing profile: the client keeps its data, but not its tax
	// exemption; its seller sets that.
	prof := "/api/v1/tenants/" + itoa(w.cliA.ID) + "/billing-profile"
	good := map[string]any{"legal_name": "Alpha Client SARL", "address1": "1 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR", "language": "fr"}
	bad := map[string]any{"legal_name": "Alpha Client SARL", "country": "FR", "vat_id": "FR123", "currency": "EURO"}
	wantFields(t, "bad profile", w.api(cli, "PUT", prof, bad), "vat_id", "currency")
	exempt := map[string]any{"legal_name": "Alpha Client SARL", "country": "FR", "tax_exempt": true, "tax_exempt_reason": "Association"}
	wantFields(t, "client exempts itself", w.api(cli, "PUT", prof, exempt), "tax_exempt")
	if n := w.count("billing_profiles", "tenant_id = ?", w.cliA.ID); n != 0 {
		t.Errorf("refused profiles were saved (%d rows)", n)
	}
	if r = w.api(cli, "PUT", prof, good); r.status != http.StatusOK || apiJSON(t, r)["city"] != "Paris" {
		t.Errorf("client saves its profile: %d %s", r.status, r.body)
	}
	if r = w.api(a, "PUT", prof, exempt); r.status != http.StatusOK || apiJSON(t, r)["tax_exempt"] != true {
		t.Errorf("seller exempts its client: %d %s", r.status, r.body)
	}
	if r = w.api(cli, "GET", prof, nil); !strings.Contains(r.body, `"tax_exempt_reason":"Association"`) || !strings.Contains(r.body, `"vat_status":""`) {
		t.Errorf("client reads its profile: %s", r.body)
	}
}

// TestBillingPages drives the billing pages: the catalog form with its
// rows, a manual invoice from the form to a credit note, the HTML invoice
// in the buyer's language with its legal note, and what a client sees.
func TestBillingPages(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		seller := w.signIn("owner@a.test")
		billingPagesCatalog(t, w, seller)
		doc := billingPagesInvoice(t, w, seller)
		billingPagesClient(t, w, seller, doc)
	})
}

// billingPagesCatalog: the catalog form with its rows, and coupons.
func billingPagesCatalog(t *testing.T, w *world, seller *browser) {

	// A price problem in the second row shows beside that row.
	r := seller.post("/billing/catalog", url.Values{"code": {"web-pro"}, "name": {"Web <Pro>"}, "kind": {"hosting"}, "match_code": {"pro"}, "active": {"on"},
		"currency_1": {"EUR"}, "cycle_1": {"monthly"}, "amount_1": {"9.999"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `name="amount_1" value="9.999"`) || !strings.Contains(r.body, "more than 2 decimals") {
		t.Errorf("bad price row: %d %s", r.status, r.body)
	}
	r = seller.post("/billing/catalog", url.Values{"code": {"web-pro"}, "name": {"Web <Pro>"}, "kind": {"hosting"}, "match_code": {"pro"}, "active": {"on"},
		"currency_1": {"EUR"}, "cycle_1": {"monthly"}, "amount_1": {"9.99"}, "setup_1": {"5"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/billing/catalog/") {
		t.Fatalf("create product: %d %s", r.status, r.body)
	}
	if r = seller.get(r.location); !strings.Contains(r.body, `value="9.99"`) || !strings.Contains(r.body, "Web &lt;Pro&gt;") {
		t.Errorf("product page: %s", r.body)
	}
	if r = seller.get("/billing/catalog"); !strings.Contains(r.body, "9.99\u00a0EUR") || !strings.Contains(r.body, "Wholesale Std") {
		t.Errorf("catalog list: %s", r.body)
	}

	if r = seller.post("/billing/coupons", url.Values{"code": {"TENOFF"}, "kind": {"fixed"}, "amount": {"10.001"}, "currency": {"EUR"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `class="ferr"`) {
		t.Errorf("fixed coupon with 3 decimals by form: %d", r.status)
	}
	if r = seller.post("/billing/coupons", url.Values{"code": {"TENOFF"}, "kind": {"fixed"}, "amount": {"10"}, "currency": {"EUR"}, "cycles": {"3"}}); r.status != http.StatusSeeOther {
		t.Errorf("fixed coupon by form: %d %s", r.status, r.body)
	}
	if n := w.count("coupons", "code = 'TENOFF' AND amount_minor = 1000 AND cycles = 3"); n != 1 {
		t.Errorf("fixed coupon rows = %d, want 1", n)
	}
}

// billingPagesInvoice: a manual invoice from the form to a credit note;
// it returns the invoice page's path.
func billingPagesInvoice(t *testing.T, w *world, seller *browser) string {
	var r resp
	// The client is outside the EU and reads German: the invoice shows
	// category O, its note and the German labels, whatever the panel
	// language of the reader.
	if r = seller.post("/tenants/"+itoa(w.cliA.ID)+"/billing", url.Values{"legal_name": {"Alpha Client Inc."}, "address1": {"1 Main St"}, "postal_code": {"10001"},
		"city": {"New York"}, "country": {"US"}, "language": {"de"}, "tax_exempt_reason": {""}}); r.status != http.StatusSeeOther {
		t.Fatalf("save client's profile: %d %s", r.status, r.body)
	}
	r = seller.post("/billing/invoices/new", url.Values{"customer_id": {itoa(w.cliA.ID)}, "currency": {"EUR"}, "description_2": {"Setup"}, "unit_price_2": {"abc"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `name="unit_price_2" value="abc"`) || !strings.Contains(r.body, "must be a number") {
		t.Errorf("bad invoice line: %d %s", r.status, r.body)
	}
	r = seller.post("/billing/invoices/new", url.Values{"customer_id": {itoa(w.cliA.ID)}, "currency": {"EUR"}, "description_0": {"Setup"}, "quantity_0": {"3"}, "unit_price_0": {"1000.50"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create invoice: %d %s", r.status, r.body)
	}
	doc := r.location
	for _, step := range []string{"finalize", "approve"} {
		if r = seller.post(doc+"/"+step, nil); r.status != http.StatusSeeOther {
			t.Fatalf("%s: %d %s", step, r.status, r.body)
		}
	}
	r = seller.get(doc)
	for _, want := range []string{"Rechnungsdatum", "Rechnungsempfänger", "Alpha Client Inc.", "New York", "3.001,50\u00a0EUR", `id="tax-note"`, "INV-2026-", `id="credit-form"`,
		">O<", "Alpha Hosting"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("invoice view lacks %q", want)
		}
	}
	if strings.Contains(r.body, `id="finalize"`) || strings.Contains(r.body, `id="line-form"`) {
		t.Error("a finalized invoice offers draft actions")
	}
	line := regexp.MustCompile(`name="(credit_\d+)"`).FindStringSubmatch(r.body)
	if line == nil {
		t.Fatalf("credit form has no line field: %s", r.body)
	}
	if r = seller.post(doc+"/credit", url.Values{line[1]: {"5000"}, "reason": {"too much"}}); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `class="ferr"`) {
		t.Errorf("over-credit by form: %d", r.status)
	}
	if r = seller.post(doc+"/credit", url.Values{line[1]: {"500.25"}, "reason": {"Rabatt"}}); r.status != http.StatusSeeOther || r.location == doc {
		t.Fatalf("credit note by form: %d %s", r.status, r.body)
	}
	// The credit note reads as one: issued (not open), no due date, no
	// total due, the credited invoice named.
	if r = seller.get(r.location); !strings.Contains(r.body, "Gutschrift") || !strings.Contains(r.body, "CN-2026-") || !strings.Contains(r.body, "Rabatt") ||
		!strings.Contains(r.body, "500,25\u00a0EUR") || !strings.Contains(r.body, ">issued<") || strings.Contains(r.body, `id="due-date"`) ||
		strings.Contains(r.body, "Zahlbetrag") || !strings.Contains(r.body, `id="credits-ref"`) {
		t.Errorf("credit note view: %s", r.body)
	}
	// In the list its amount is negative and it has no due date.
	if r = seller.get("/billing/invoices?kind=credit_note"); !strings.Contains(r.body, "CN-2026-") || strings.Contains(r.body, "INV-2026-") ||
		!strings.Contains(r.body, "-500.25\u00a0EUR") || !strings.Contains(r.body, `<td data-label="Due"></td>`) {
		t.Errorf("credit-note filter on the list page: %s", r.body)
	}
	// The credited invoice shows what is left to pay.
	if r = seller.get(doc); !regexp.MustCompile(`id="credited"[^>]*>500,25\x{a0}EUR`).MatchString(r.body) || !strings.Contains(r.body, "2.501,25\u00a0EUR</strong>") {
		t.Errorf("credited invoice: %s", r.body)
	}
	if r = seller.get("/billing/invoices?status=nope"); r.status != http.StatusUnprocessableEntity {
		t.Errorf("bad filter on the list page: %d", r.status)
	}
	return doc
}

// billingPagesClient: what the client sees and may do, and the
// operator's view of a reseller's contract.
func billingPagesClient(t *testing.T, w *world, seller *browser, doc string) {
	var r resp
	// The client reads its invoice and its catalog, and changes nothing.
	client := w.signIn("owner@clienta.test")
	r = client.get(doc)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Rechnungsdatum") || strings.Contains(r.body, `id="credit-form"`) || strings.Contains(r.body, `id="approve"`) {
		t.Errorf("client's invoice view: %d", r.status)
	}
	if r = client.post(doc+"/credit", url.Values{"full": {"on"}, "reason": {"mine"}}); r.status != http.StatusForbidden {
		t.Errorf("client posts a credit note: %d, want 403", r.status)
	}
	if r = client.get("/billing/catalog"); strings.Contains(r.body, "Wholesale Std") || !strings.Contains(r.body, "Alpha Plan") || strings.Contains(r.body, `id="product-form"`) {
		t.Errorf("client's catalog page: %s", r.body)
	}
	r = client.post("/tenants/"+itoa(w.cliA.ID)+"/billing", url.Values{"legal_name": {"Alpha Client Inc."}, "country": {"US"}, "language": {"de"}, "tax_exempt": {"on"}, "tax_exempt_reason": {"me"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Errorf("client exempts itself by form: %d", r.status)
	}
	for _, p := range []string{"/billing/invoices", "/billing/contracts", "/billing/contracts/" + itoa(w.contractA.ID), "/billing/profile"} {
		if r = client.get(p); r.status != http.StatusOK && r.status != http.StatusSeeOther {
			t.Errorf("client GET %s = %d", p, r.status)
		}
	}
	for _, p := range []string{"/billing/coupons", "/billing/invoices/new"} {
		if r = client.get(p); r.status != http.StatusForbidden {
			t.Errorf("client GET %s = %d, want 403", p, r.status)
		}
	}
	for _, p := range []string{"/billing/coupons", "/billing/contracts", "/billing/contracts/" + itoa(w.contractA.ID), "/billing/invoices/new", "/tenants/" + itoa(w.resA.ID) + "/billing"} {
		if r = seller.get(p); r.status != http.StatusOK {
			t.Errorf("seller GET %s = %d", p, r.status)
		}
	}
	if r = seller.post("/billing/contracts/"+itoa(w.contractA.ID)+"/terminate", nil); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "tick the box") {
		t.Errorf("terminate without the confirmation: %d", r.status)
	}
	if r = seller.post("/billing/contracts/"+itoa(w.contractA.ID)+"/terminate", url.Values{"confirm": {"on"}}); r.status != http.StatusSeeOther {
		t.Errorf("terminate by form: %d %s", r.status, r.body)
	}
	if n := w.count("contracts", "id = ? AND status = 'terminated'", w.contractA.ID); n != 1 {
		t.Error("contract not terminated by the form")
	}
	// The operator oversees a reseller's contract without reading its
	// catalog: the page names the product by its id.
	admin := w.signIn("admin@op.test")
	if r = admin.get("/billing/contracts/" + itoa(w.contractB.ID)); r.status != http.StatusOK || !strings.Contains(r.body, "#"+itoa(w.prodB.ID)) || strings.Contains(r.body, `id="contract-terminate"`) {
		t.Errorf("operator's view of a reseller's contract: %d", r.status)
	}
}

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
