package web_test

import (
	"encoding/json"
	"faktura/panel/core/db/dbtest"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestUsageAPI: a reseller sends usage for its client's account through
// the API; a replay adds nothing; a bad event is a field error by index
// and stores nothing; a client may not send usage.
func TestUsageAPI(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		ev := func(id, qty string) map[string]any {
			return map[string]any{"id": id, "meter": "traffic", "subject_kind": "account", "subject_id": w.acctA.ID, "quantity": qty, "timestamp": "2026-11-22T09:30:00Z"}
		}
		batch := map[string]any{"source": "mail1", "events": []map[string]any{ev("a", "1200"), ev("b", "800")}}
		r := w.api(w.keyA, "POST", "/api/v1/usage", batch)
		if r.status != http.StatusOK || !strings.Contains(r.body, `"accepted":2`) {
			t.Fatalf("ingest: %d %s", r.status, r.body)
		}
		if r = w.api(w.keyA, "POST", "/api/v1/usage", batch); r.status != http.StatusOK || !strings.Contains(r.body, `"duplicates":2`) {
			t.Fatalf("replay: %d %s", r.status, r.body)
		}
		bad := map[string]any{"events": []map[string]any{ev("c", "5"), ev("d", "-1"), {"id": "e", "meter": "bandwidth", "subject_kind": "account", "subject_id": w.acctA.ID, "quantity": "1", "timestamp": "2026-11-22T09:30:00Z"}}}
		wantFields(t, "bad events", w.api(w.keyA, "POST", "/api/v1/usage", bad), "events.1.quantity", "events.2.meter")
		if n := w.count("usage_events", "1=1"); n != 2 {
			t.Fatalf("%d events stored, want the first 2 only", n)
		}
		if r = w.api(w.keyCliA, "POST", "/api/v1/usage", batch); r.status != http.StatusForbidden {
			t.Fatalf("a client sends usage: %d %s", r.status, r.body)
		}
		if r = w.api(w.keyA, "GET", "/api/v1/meters", nil); r.status != http.StatusOK || !strings.Contains(r.body, `"code":"disk"`) {
			t.Fatalf("meters: %d %s", r.status, r.body)
		}
	})
}

// BenchmarkUsageIngest sends 100,000 usage events through the API (HTTP,
// JSON, the handler, validation, one transaction per 1,000) into MariaDB
// and compares the rate with raw multi-row INSERTs of the same rows, 1,000
// a statement, in the same run.
func BenchmarkUsageIngest(b *testing.B) {
	if os.Getenv(dbtest.EnvDSN) == "" {
		b.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	const n = 100_000
	for range b.N {
		w := newWorld(b, dbtest.Open(b, dbtest.MariaDB, testSets), worldOpts{})
		bodies := make([][]byte, 0, n/1000)
		for i := 0; i < n; i += 1000 {
			evs := make([]map[string]any, 0, 1000)
			for j := i; j < i+1000; j++ {
				evs = append(evs, map[string]any{"id": "ev-" + strconv.Itoa(j), "meter": "traffic", "subject_kind": "account", "subject_id": w.acctA.ID,
					"quantity": strconv.Itoa(1000 + j%5000), "timestamp": "2026-11-22T09:00:00Z"})
			}
			body, _ := json.Marshal(map[string]any{"source": "bench", "events": evs})
			bodies = append(bodies, body)
		}
		start := time.Now()
		for _, body := range bodies {
			if r := w.api(w.keyA, "POST", "/api/v1/usage", string(body)); r.status != http.StatusOK || !strings.Contains(r.body, `"accepted":1000`) {
				b.Fatalf("ingest: %d %s", r.status, r.body)
			}
		}
		api := time.Since(start)

		var meter, seller, customer int64
		w.h.W.Raw(`SELECT id, seller_id FROM usage_meters WHERE seller_id = ? AND code = 'traffic'`, w.resA.ID).Row().Scan(&meter, &seller)
		customer = w.cliA.ID
		path := w.cliA.Path
		now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		at := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
		start = time.Now()
		for i := 0; i < n; i += 1000 {
			var sb strings.Builder
			args := make([]any, 0, 11*1000)
			sb.WriteString("INSERT INTO usage_events (seller_id, customer_id, customer_path, meter_id, subject_kind, subject_id, source, event_id, quantity, occurred_at, created_at) VALUES ")
			for j := i; j < i+1000; j++ {
				if j > i {
					sb.WriteString(",")
				}
				sb.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
				args = append(args, seller, customer, path, meter, "account", w.acctA.ID, "raw", "ev-"+strconv.Itoa(j), 1000+j%5000, at, now)
			}
			if err := w.h.W.Exec(sb.String(), args...).Error; err != nil {
				b.Fatal(err)
			}
		}
		raw := time.Since(start)
		apiRate, rawRate := float64(n)/api.Seconds(), float64(n)/raw.Seconds()
		b.ReportMetric(apiRate, "api-events/s")
		b.ReportMetric(rawRate, "raw-events/s")
		b.ReportMetric(100*apiRate/rawRate, "%-of-raw")
		b.Logf("100,000 usage events into MariaDB: API %v (%.0f events/s), raw multi-row INSERT %v (%.0f rows/s): %.0f%% of raw",
			api.Round(time.Millisecond), apiRate, raw.Round(time.Millisecond), rawRate, 100*apiRate/rawRate)
	}
}

// TestServerPageShowsCollection: a server whose last usage collection
// failed shows the failure and its message on its page.
func TestServerPageShowsCollection(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		admin := w.signIn("admin@op.test")
		if r := admin.get("/servers/" + strconv.FormatInt(w.server.ID, 10)); !strings.Contains(r.body, "not collected yet") {
			t.Fatalf("server page before any collection: %s", r.body)
		}
		at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
		if err := w.h.W.Exec(`INSERT INTO usage_collections (server_id, log_cursor, failed_at, last_error, updated_at) VALUES (?, '', ?, 'dial tcp 10.0.0.9:22: connection refused', ?)`,
			w.server.ID, at, at).Error; err != nil {
			t.Fatal(err)
		}
		r := admin.get("/servers/" + strconv.FormatInt(w.server.ID, 10))
		if !strings.Contains(r.body, `<span class="badge bad">failed</span>`) || !strings.Contains(r.body, "connection refused") {
			t.Fatalf("server page after a failed collection: %s", r.body)
		}
	})
}

// TestAccountUsageCard: the client sees its account's traffic this month
// against its quota, the daily chart and the projection; the operator sees
// the account among the server's top consumers.
func TestAccountUsageCard(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		if err := w.h.W.Exec("UPDATE accounts SET traffic_mb = 1000 WHERE id = ?", w.acctA.ID).Error; err != nil {
			t.Fatal(err)
		}
		ev := func(id, at string) map[string]any {
			return map[string]any{"id": id, "meter": "traffic", "subject_kind": "account", "subject_id": w.acctA.ID, "quantity": "900000000", "timestamp": at}
		}
		r := w.api(w.keyA, "POST", "/api/v1/usage", map[string]any{"events": []map[string]any{ev("a", "2026-11-20T09:00:00Z"), ev("b", "2026-11-21T09:00:00Z")}})
		if r.status != http.StatusOK {
			t.Fatalf("ingest: %d %s", r.status, r.body)
		}
		client := w.signIn("owner@clienta.test")
		page := client.get("/hosting/" + strconv.FormatInt(w.acctA.ID, 10))
		for _, want := range []string{`id="account-usage"`, "1.80 GB</strong> / 1.00 GB (180 %)", `id="usage-over"`, `<rect x=`, "2026-11-21: 900.0 MB"} {
			if !strings.Contains(page.body, want) {
				t.Fatalf("usage card lacks %q: %s", want, page.body)
			}
		}
		admin := w.signIn("admin@op.test")
		if p := admin.get("/servers/" + strconv.FormatInt(w.server.ID, 10)); !strings.Contains(p.body, `id="top-consumers"`) || !strings.Contains(p.body, "1.80 GB") {
			t.Fatalf("server page top consumers: %s", p.body)
		}
	})
}

// TestUsagePricesForm: a reseller prices traffic above the quota on its
// product page; a bad tier list is a field error beside its row and saves
// nothing; another reseller's product cannot be priced.
func TestUsagePricesForm(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		seller := w.signIn("owner@a.test")
		page := "/billing/catalog/" + strconv.FormatInt(w.prodA.ID, 10)
		r := seller.post(page+"/usage", url.Values{"u_meter_0": {"traffic"}, "u_currency_0": {"EUR"}, "u_model_0": {"graduated"}, "u_unit_0": {"GB"}, "u_tiers_0": {"10:1.00 oops"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "write tiers as up_to:price") || !strings.Contains(r.body, `value="10:1.00 oops"`) {
			t.Fatalf("bad tiers: %d %s", r.status, r.body)
		}
		r = seller.post(page+"/usage", url.Values{"u_meter_0": {"traffic"}, "u_currency_0": {"EUR"}, "u_model_0": {"graduated"}, "u_unit_0": {"GB"}, "u_tiers_0": {"10:1.00 50:0.80"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "the last tier must have no limit") {
			t.Fatalf("a last tier with a limit: %d %s", r.status, r.body)
		}
		if n := w.count("product_usage_prices", "1=1"); n != 0 {
			t.Fatalf("refused prices saved: %d", n)
		}
		r = seller.post(page+"/usage", url.Values{"u_meter_0": {"traffic"}, "u_currency_0": {"EUR"}, "u_model_0": {"per_unit"}, "u_unit_0": {"GB"}, "u_included_0": {"50"}, "u_price_0": {"0.015"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("save: %d %s", r.status, r.body)
		}
		if n := w.count("product_usage_prices", "product_id = ? AND included = ? AND per = ? AND unit_price = '0.015'", w.prodA.ID, int64(50_000_000_000), int64(1_000_000_000)); n != 1 {
			t.Fatalf("stored prices: %d", n)
		}
		if p := seller.get(page); !strings.Contains(p.body, `name="u_included_0" value="50"`) || !strings.Contains(p.body, `name="u_price_0" value="0.015"`) {
			t.Fatalf("product page after saving: %s", p.body)
		}
		if r := seller.post("/billing/catalog/"+strconv.FormatInt(w.prodB.ID, 10)+"/usage", url.Values{"u_meter_0": {"traffic"}, "u_currency_0": {"EUR"}, "u_model_0": {"per_unit"}, "u_price_0": {"1"}}); r.status != http.StatusNotFound {
			t.Fatalf("pricing B's product: %d", r.status)
		}
	})
}
