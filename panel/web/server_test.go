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
	return web.New(web.Deps{DB: h, Bus: outbox.NewBus(h, clock), Log: log, Identity: id, Theme: theme, Mail: mail.NewSender(mail.Options{}), BaseURL: "http://panel.test"}, areas...), &logs
}

// errorArea serves /api/test-error/<i>, answering with the i-th error.
type errorArea []error

func (a errorArea) Routes(r *web.Router) {
	for i, err := range a {
		r.Root.GET(fmt.Sprintf("/api/test-error/%d", i), func(echo.Context) error { return err })
	}
}

func get(s http.Handler, path string) (int, string) {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
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
			status int
			want   []string
		}{
			{"healthz", nil, "/healthz", 200, []string{`"status":"ok"`}},
			{"readyz before start", nil, "/readyz", 503, []string{"not ready"}},
			{"readyz when ready", func() { s.SetReady(true) }, "/readyz", 200, []string{`"ready"`}},
			{"readyz during shutdown", func() { s.SetReady(false) }, "/readyz", 503, []string{"not ready"}},
			{"unknown API route", nil, "/api/v1/nope", 401, []string{`"code":"unauthorized"`}},
			{"metrics", nil, "/metrics", 200, []string{
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
				status, body := get(s, tc.path)
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
