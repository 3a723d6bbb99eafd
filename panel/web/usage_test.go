package web_test

import (
	"net/http"
	"strings"
	"testing"
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
