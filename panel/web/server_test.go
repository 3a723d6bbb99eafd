package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/mail"
	"faktura/panel/core/outbox"
	"faktura/panel/core/settings"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/themes"
)

type pinged struct{ ID string }

func (pinged) EventName() string      { return "test.pinged" }
func (p pinged) AggregateKey() string { return "ping:" + p.ID }

func newServer(t *testing.T, h *db.Handle, areas ...web.Area) (*web.Server, *bytes.Buffer) {
	return newServerWith(t, h, metricsToken, areas...)
}

func newServerWith(t *testing.T, h *db.Handle, token string, areas ...web.Area) (*web.Server, *bytes.Buffer) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	theme, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	clock := core.SystemClock{}
	id, err := identity.New(h, clock, audit.New(h, clock), settings.NewStore(h, clock), identity.Options{Argon2: fastArgon})
	if err != nil {
		t.Fatal(err)
	}
	return web.New(web.Deps{DB: h, Bus: outbox.NewBus(h, clock), Log: log, Identity: id, Theme: theme, Mail: mail.NewSender(mail.Options{}), BaseURL: "http://panel.test",
		MetricsToken: token}, areas...), &logs
}

// errorArea serves /api/test-error/<i>, answering with the i-th error.
type errorArea []error

func (a errorArea) Routes(r *web.Router) {
	for i, err := range a {
		r.Root.GET(fmt.Sprintf("/api/test-error/%d", i), func(echo.Context) error { return err })
	}
}

// metricsToken is the scrapers' token in these tests.
const metricsToken = "scrape-token-0123456789"

// get sends GET path with the header pairs hdr.
func get(s http.Handler, path string, hdr ...string) (int, string) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	s.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func TestProbesAndMetrics(t *testing.T) {
	dbtest.Each(t, testSets, func(t *testing.T, h *db.Handle) {
		s, _ := newServer(t, h)
		if _, err := s.Deps.Bus.Publish(context.Background(), pinged{ID: "1"}, "test"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			setup  func()
			path   string
			hdr    []string
			status int
			want   []string
		}{
			{"healthz", nil, "/healthz", nil, 200, []string{`"status":"ok"`}},
			{"readyz before start", nil, "/readyz", nil, 503, []string{"not ready"}},
			{"readyz when ready", func() { s.SetReady(true) }, "/readyz", nil, 200, []string{`"ready"`}},
			{"readyz during shutdown", func() { s.SetReady(false) }, "/readyz", nil, 503, []string{"not ready"}},
			{"unknown API route", nil, "/api/v1/nope", nil, 401, []string{`"code":"unauthorized"`}},
			{"metrics without the token", nil, "/metrics", nil, 401, []string{"metrics token"}},
			{"metrics with a wrong token", nil, "/metrics", []string{"Authorization", "Bearer " + metricsToken + "x"}, 401, []string{"metrics token"}},
			{"metrics", nil, "/metrics", []string{"Authorization", "Bearer " + metricsToken}, 200, []string{
				`faktura_http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200"`,
				`faktura_http_request_duration_seconds_count{method="GET",route="/api/v1/*",status="401"}`,
				`faktura_outbox_events{status="pending"} 1`,
				`faktura_outbox_events{status="parked"} 0`,
				`go_sql_max_open_connections{db_name="faktura"}`,
				`go_goroutines`,
			}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.setup != nil {
					tc.setup()
				}
				status, body := get(s, tc.path, tc.hdr...)
				if status != tc.status {
					t.Errorf("GET %s = %d, want %d: %s", tc.path, status, tc.status, body)
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("GET %s body lacks %q", tc.path, w)
					}
				}
			})
		}
		h.Close()
		if status, body := get(s, "/healthz"); status != 503 || !strings.Contains(body, "unreachable") {
			t.Errorf("healthz with the database closed = %d %s, want 503", status, body)
		}
	})
}

// TestMetricsOff: without a token, /metrics on the panel's address is
// refused whatever the request says; the handler for a listener of its
// own (server.metrics_listen) serves them.
func TestMetricsOff(t *testing.T) {
	h := dbtest.Open(t, dbtest.SQLite, testSets)
	s, _ := newServerWith(t, h, "")
	for _, hdr := range [][]string{nil, {"Authorization", "Bearer "}, {"Authorization", "Bearer " + metricsToken}} {
		if status, body := get(s, "/metrics", hdr...); status != http.StatusForbidden || !strings.Contains(body, "server.metrics_listen") {
			t.Errorf("/metrics with %v = %d %s, want 403 naming the settings", hdr, status, body)
		}
	}
	if status, body := get(s.Metrics(), "/metrics"); status != http.StatusOK || !strings.Contains(body, "go_goroutines") {
		t.Errorf("the metrics handler = %d", status)
	}
}

func TestErrorMapping(t *testing.T) {
	h := dbtest.Open(t, dbtest.SQLite, testSets)
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{core.E(core.ErrNotFound, "invoice 7 not found"), 404, "not_found"},
		{core.Invalid("email", "is required"), 422, "invalid"},
		{fmt.Errorf("save: %w", core.E(core.ErrConflict, "duplicate")), 409, "conflict"},
		{core.E(core.ErrForbidden, "not yours"), 403, "forbidden"},
		{core.E(core.ErrPrecondition, "invoice is finalized"), 412, "precondition_failed"},
		{errors.New("dial tcp: secret-host refused"), 500, "internal"},
		{echo.NewHTTPError(http.StatusTooManyRequests, "slow down"), 429, "rate_limited"},
	}
	var errs errorArea
	for _, tc := range cases {
		errs = append(errs, tc.err)
	}
	s, logs := newServer(t, h, errs)
	for i, tc := range cases {
		status, body := get(s, fmt.Sprintf("/api/test-error/%d", i))
		var got web.ErrorBody
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%v: body %q is not the error shape: %v", tc.err, body, err)
		}
		if status != tc.status || got.Error.Code != tc.code {
			t.Errorf("%v -> %d %s, want %d %s", tc.err, status, got.Error.Code, tc.status, tc.code)
		}
		switch tc.status {
		case 422:
			if got.Error.Fields["email"] != "is required" {
				t.Errorf("field errors = %v", got.Error.Fields)
			}
		case 500:
			if strings.Contains(body, "secret-host") || got.Error.ErrorID == "" {
				t.Errorf("500 body %s leaks the cause or lacks an error id", body)
			}
			if !strings.Contains(logs.String(), got.Error.ErrorID) || !strings.Contains(logs.String(), "secret-host") {
				t.Errorf("log lacks the error id and cause: %s", logs.String())
			}
		}
	}
}

// TestIdempotencyKey: the same key and body give the same response once
// more, another body is a conflict, and only one object exists.
func TestIdempotencyKey(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		body := map[string]any{"kind": "client", "name": "Idem GmbH", "email": "idem@x.test"}
		first := w.api(w.keyA, "POST", "/api/v1/tenants", body, "Idempotency-Key", "k-1")
		second := w.api(w.keyA, "POST", "/api/v1/tenants", body, "Idempotency-Key", "k-1")
		if first.status != 201 || second.status != 201 || first.body != second.body || second.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay = %d %q / %d %q (replayed %q)", first.status, first.body, second.status, second.body, second.header.Get("Idempotent-Replayed"))
		}
		other := w.api(w.keyA, "POST", "/api/v1/tenants", map[string]any{"kind": "client", "name": "Other", "email": "o@x.test"}, "Idempotency-Key", "k-1")
		if other.status != http.StatusConflict || !strings.Contains(other.body, `"code":"conflict"`) {
			t.Errorf("same key, other body = %d %s, want 409", other.status, other.body)
		}
		if n := w.count("tenants", "name = ?", "Idem GmbH"); n != 1 {
			t.Errorf("tenants created = %d, want 1", n)
		}
		// Keys are per API key: another key may use the same string.
		if r := w.api(w.adminKey, "POST", "/api/v1/tenants", map[string]any{"kind": "reseller", "name": "Idem Two", "email": "i2@x.test"}, "Idempotency-Key", "k-1"); r.status != 201 {
			t.Errorf("same key string from another API key = %d", r.status)
		}
		// A failed request's response is kept too: retrying bad input stays bad.
		bad := w.api(w.keyA, "POST", "/api/v1/tenants", map[string]any{"kind": "client", "name": "", "email": "x"}, "Idempotency-Key", "k-2")
		again := w.api(w.keyA, "POST", "/api/v1/tenants", map[string]any{"kind": "client", "name": "", "email": "x"}, "Idempotency-Key", "k-2")
		if bad.status != 422 || again.status != 422 || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("bad input with a key = %d then %d", bad.status, again.status)
		}
		// A new API key's token is never stored for replays.
		k1 := w.api(w.keyA, "POST", "/api/v1/apikeys", map[string]any{"name": "ci", "role": "staff"}, "Idempotency-Key", "k-3")
		k2 := w.api(w.keyA, "POST", "/api/v1/apikeys", map[string]any{"name": "ci", "role": "staff"}, "Idempotency-Key", "k-3")
		if !strings.Contains(k1.body, `"token":"fk_`) || !strings.Contains(k2.body, `"token":"(shown once)"`) {
			t.Errorf("API key replay = %s / %s", k1.body, k2.body)
		}
		if n := w.count("idempotency_keys", "response_body LIKE ?", "%\"token\":\"fk_%"); n != 0 {
			t.Errorf("%d stored responses hold an API token", n)
		}
	})
}

// TestAPIPagingAndKeys: cursors page through a list without overlap, bad
// paging parameters are field errors, unknown and revoked keys are 401,
// and every use of a key is in the audit log.
func TestAPIPagingAndKeys(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		var seen []float64
		cursor := ""
		for pages := 0; ; pages++ {
			r := w.api(w.adminKey, "GET", "/api/v1/users?limit=2&cursor="+cursor, nil)
			var got struct {
				Data       []map[string]any `json:"data"`
				NextCursor string           `json:"next_cursor"`
			}
			if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != 200 {
				t.Fatalf("page %d: %d %s", pages, r.status, r.body)
			}
			for _, u := range got.Data {
				id := u["id"].(float64)
				if slices.Contains(seen, id) {
					t.Errorf("user %v on two pages", id)
				}
				seen = append(seen, id)
			}
			if got.NextCursor == "" {
				break
			}
			cursor = got.NextCursor
		}
		if len(seen) != 6 {
			t.Errorf("paged through %d users, want 6", len(seen))
		}
		if r := w.api(w.adminKey, "GET", "/api/v1/users?limit=0&cursor=zzz", nil); r.status != 422 || !strings.Contains(r.body, `"limit"`) || !strings.Contains(r.body, `"cursor"`) {
			t.Errorf("bad paging = %d %s", r.status, r.body)
		}
		if r := w.api("fk_nope_nope", "GET", "/api/v1/me", nil); r.status != 401 {
			t.Errorf("unknown key = %d", r.status)
		}
		if r := w.api("", "GET", "/api/v1/me", nil); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("no key = %d", r.status)
		}
		if r := w.api(w.keyB, "DELETE", "/api/v1/apikeys/"+itoa(w.keyIDB), nil); r.status != 200 {
			t.Fatalf("revoke own key = %d %s", r.status, r.body)
		}
		if r := w.api(w.keyB, "GET", "/api/v1/me", nil); r.status != 401 {
			t.Errorf("revoked key = %d, want 401", r.status)
		}
		if n := w.count("audit_log", "action = ? AND actor_api_key_id = ?", "apikey.use", w.keyIDB); n != 1 {
			t.Errorf("uses of key B in the audit log = %d, want 1", n)
		}
		if n := w.count("audit_log", "action = ? AND actor_api_key_id = ?", "apikey.revoke", w.keyIDB); n != 1 {
			t.Errorf("revocation in the audit log = %d, want 1", n)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestOpenAPIMatchesRoutes: every /api/v1 route is documented, and every
// documented operation is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := dbtest.Open(t, dbtest.SQLite, testSets)
	w := newWorld(t, h, worldOpts{})
	r := w.api("", "GET", "/api/v1/openapi.json", nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil || r.status != 200 || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json = %d, %v", r.status, err)
	}
	param := regexp.MustCompile(`\{(\w+)\}`)
	var documented []string
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" /api/v1"+param.ReplaceAllString(p, ":$1"))
		}
	}
	var routes []string
	for _, k := range w.s.Routes() {
		if strings.Contains(k, " /api/v1/") {
			routes = append(routes, k)
		}
	}
	for _, k := range routes {
		if !slices.Contains(documented, k) {
			t.Errorf("route %s is not in openapi.json", k)
		}
	}
	for _, k := range documented {
		if !slices.Contains(routes, k) {
			t.Errorf("openapi.json documents %s, which is not a route", k)
		}
	}
	t.Logf("%d API routes, all documented", len(routes))
}
