package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"faktura/billing/document"
	"faktura/panel/core"
	"faktura/panel/core/automation"
	"faktura/panel/core/db/dbtest"
)

const evil = `<script>alert(1)</script>`

// TestEscaping names a tenant, a user, an API key and a brand with HTML
// and visits every page: the markup must come out escaped everywhere.
func TestEscaping(t *testing.T) {
	h := dbtest.Open(t, dbtest.SQLite, testSets)
	w := newWorld(t, h, worldOpts{})
	admin := w.signIn("admin@op.test")
	r := admin.post("/tenants/new", url.Values{"kind": {"reseller"}, "name": {"R " + evil}, "email": {"evil@x.test"},
		"owner_email": {"evilowner@x.test"}, "owner_name": {"O " + evil}, "owner_password": {testPassword}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("create reseller = %d %s", r.status, r.body)
	}
	tid := strings.TrimPrefix(r.location, "/tenants/")
	admin.post("/apikeys", url.Values{"name": {"K " + evil}, "role": {"auditor"}})
	admin.post("/profile", url.Values{"name": {"A " + evil}, "language": {"en"}})
	reseller := w.signIn("evilowner@x.test")
	reseller.post("/brand", url.Values{"brand_name": {"B " + evil}, "brand_primary": {"#112233"}})
	reseller.post("/tenants/new", url.Values{"kind": {"client"}, "name": {"C " + evil}, "email": {"evilclient@x.test"},
		"owner_email": {"evilclientowner@x.test"}, "owner_name": {"CO " + evil}, "owner_password": {testPassword}})
	client := w.signIn("evilclientowner@x.test")
	var uid string
	for _, u := range []string{"evilowner@x.test"} {
		var id int64
		h.W.Table("users").Select("id").Where("email = ?", u).Scan(&id)
		uid = strconv.FormatInt(id, 10)
	}
	pages := 0
	for _, route := range w.s.Routes() {
		method, path, _ := strings.Cut(route, " ")
		if method != http.MethodGet || strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/static") || path == "/metrics" || path == "/healthz" || path == "/readyz" {
			continue
		}
		path = strings.NewReplacer("/tenants/:id", "/tenants/"+tid, "/users/:id", "/users/"+uid).Replace(path)
		for _, b := range []*browser{admin, reseller, client} {
			r := b.get(path + "?q=" + url.QueryEscape(evil) + "&kind=reseller")
			if strings.Contains(r.body, "<script") {
				t.Errorf("GET %s (%d) shows unescaped markup", path, r.status)
			}
			pages++
		}
	}
	r = admin.get("/tenants?kind=reseller")
	if !strings.Contains(r.body, "R &lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("reseller list lacks the escaped name")
	}
	if r := client.get("/"); !strings.Contains(r.body, "B &lt;script&gt;") {
		t.Errorf("the client does not see its reseller's brand, escaped")
	}
	t.Logf("%d page views checked for escaping", pages)
}

// TestBadInput: forms and the API answer bad input with field errors and
// write nothing.
func TestBadInput(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		admin := w.signIn("admin@op.test")
		long := strings.Repeat("x", 201)
		users, tenants := w.count("users", "1=1"), w.count("tenants", "1=1")
		cases := []struct {
			name   string
			send   func() resp
			fields []string
		}{
			{"form: invalid e-mail, over-long name", func() resp {
				return admin.post("/tenants/new", url.Values{"kind": {"client"}, "name": {long}, "email": {"not-an-address"}})
			}, []string{"must be at most 200 characters", "is not a valid e-mail address"}},
			{"form: duplicate e-mail of the owner", func() resp {
				return admin.post("/tenants/new", url.Values{"kind": {"client"}, "name": {"Dup"}, "email": {"dup@x.test"}, "owner_email": {"owner@a.test"}, "owner_password": {testPassword}})
			}, []string{"is already in use"}},
			{"form: unknown role", func() resp {
				return admin.post("/users/new", url.Values{"tenant_id": {"1"}, "email": {"new@x.test"}, "role": {"emperor"}, "password": {testPassword}})
			}, []string{"is not a role"}},
			{"form: weak password", func() resp {
				return admin.post("/users/new", url.Values{"tenant_id": {"1"}, "email": {"new@x.test"}, "role": {"support"}, "password": {"password1234"}})
			}, []string{"is too common"}},
			{"API: many problems at once", func() resp {
				return w.api(w.adminKey, "POST", "/api/v1/users", map[string]any{"email": "bad", "name": long, "role": "emperor", "language": "xx", "password": "short"})
			}, []string{`"email":"is not a valid e-mail address"`, `"name":"must be at most 200 characters"`, `"role":"is not a role`, `"language":"must be one of`, `"password":"must be at least 12`}},
			{"API: duplicate e-mail", func() resp {
				return w.api(w.adminKey, "POST", "/api/v1/users", map[string]any{"email": "OWNER@A.TEST", "role": "support", "password": testPassword})
			}, []string{`"email":"is already in use"`}},
			{"API: role of another kind", func() resp {
				return w.api(w.adminKey, "POST", "/api/v1/users", map[string]any{"tenant_id": w.resA.ID, "email": "x@x.test", "role": "admin", "password": testPassword})
			}, []string{`"role":"must be one of owner, staff for a reseller"`}},
			{"API: unknown field", func() resp {
				return w.api(w.adminKey, "POST", "/api/v1/tenants", map[string]any{"kind": "client", "name": "X", "email": "x@x.test", "vat": "DE1"})
			}, []string{`"vat":"is not a known field"`}},
			{"API: wrong type", func() resp {
				return w.api(w.adminKey, "POST", "/api/v1/tenants", `{"kind":"client","name":7,"email":"x@x.test"}`)
			}, []string{`"name":"must be a string"`}},
			{"API: bad colour on PATCH-less brand field", func() resp {
				return w.api(w.adminKey, "PATCH", "/api/v1/tenants/"+strconv.FormatInt(w.resA.ID, 10), map[string]any{"country": "Germany", "status": "gone"})
			}, []string{`"country":"is not an ISO 3166 country code`, `"status":"must be active, suspended or closed"`}},
			{"API: client with the unassigned country ZZ", func() resp {
				return w.api(w.adminKey, "POST", "/api/v1/tenants", map[string]any{"kind": "client", "name": "Nowhere Ltd", "email": "zz@x.test", "country": "ZZ"})
			}, []string{`"country":"is not an ISO 3166 country code`}},
			{"API: client with the VAT prefix EL as a country", func() resp {
				return w.api(w.adminKey, "POST", "/api/v1/tenants", map[string]any{"kind": "client", "name": "Greek Ltd", "email": "el@x.test", "country": "el"})
			}, []string{`"country":"is not an ISO 3166 country code`}},
			{"form: client with the unassigned country ZZ", func() resp {
				return admin.post("/tenants/new", url.Values{"kind": {"client"}, "name": {"Nowhere Ltd"}, "email": {"zz@x.test"}, "country": {"zz"}})
			}, []string{"is not an ISO 3166 country code"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := tc.send()
				if r.status != http.StatusUnprocessableEntity {
					t.Errorf("status %d, want 422: %.300s", r.status, r.body)
				}
				for _, f := range tc.fields {
					if !strings.Contains(r.body, f) {
						t.Errorf("response lacks %q: %.400s", f, r.body)
					}
				}
			})
		}
		if u, tn := w.count("users", "1=1"), w.count("tenants", "1=1"); u != users || tn != tenants {
			t.Errorf("bad input wrote rows: users %d -> %d, tenants %d -> %d", users, u, tenants, tn)
		}
		if r := admin.post("/brand", url.Values{"brand_primary": {"red; background:url(x)"}}); r.status != 422 || !strings.Contains(r.body, "must be a colour like #1a2b3c") {
			t.Errorf("bad brand colour = %d", r.status)
		}
	})
}

// TestLanguages: a user's language applies to every page, signed-out pages
// follow the browser, and unknown languages fall back to English.
func TestLanguages(t *testing.T) {
	h := dbtest.Open(t, dbtest.SQLite, testSets)
	w := newWorld(t, h, worldOpts{})
	b := w.signIn("owner@clienta.test")
	for lang, want := range map[string]string{"de": "Abmelden", "fr": "Se déconnecter", "it": "Esci", "da": "Log ud", "en": "Sign out"} {
		if r := b.post("/profile", url.Values{"name": {"Owner"}, "language": {lang}}); r.status != http.StatusSeeOther {
			t.Fatalf("set language %s = %d", lang, r.status)
		}
		if r := b.get("/profile"); !strings.Contains(r.body, want) || !strings.Contains(r.body, `<html lang="`+lang+`">`) {
			t.Errorf("profile in %s lacks %q", lang, want)
		}
	}
	for accept, want := range map[string]string{"it-IT,it;q=0.9": "Accedi", "da": "Log ind", "ja": "Sign in"} {
		req, _ := http.NewRequest("GET", w.srv.URL+"/login", nil)
		req.Header.Set("Accept-Language", accept)
		if r := w.browser().do(req); !strings.Contains(r.body, want) {
			t.Errorf("sign-in page for %q lacks %q", accept, want)
		}
	}
}

// TestDashboardCounts: the dashboard counts every tenant in scope, beyond
// the largest page a list returns.
func TestDashboardCounts(t *testing.T) {
	h := dbtest.Open(t, dbtest.SQLite, testSets)
	w := newWorld(t, h, worldOpts{})
	for i := range 205 {
		id := int64(1000 + i)
		path := "/1/" + strconv.FormatInt(w.resA.ID, 10) + "/" + strconv.FormatInt(id, 10) + "/"
		if err := h.W.Exec(`INSERT INTO tenants (id, kind, parent_id, path, name, created_at, updated_at) VALUES (?, 'client', ?, ?, ?, ?, ?)`,
			id, w.resA.ID, path, "Bulk client", w.clock.Now(), w.clock.Now()).Error; err != nil {
			t.Fatal(err)
		}
	}
	r := w.signIn("owner@a.test").get("/")
	if got := between(r.body, `<div class="muted">Clients</div><div class="stat">`, "<"); got != "206" {
		t.Errorf("reseller A's dashboard counts %q clients, want 206", got)
	}
}

// failingStep is a daily step that fails, for the dashboard's last run.
type failingStep struct{}

func (failingStep) Name() string { return "test.failing" }
func (failingStep) Run(context.Context, core.Date) (map[string]int64, error) {
	return nil, errors.New("the mail server refused the connection")
}

// TestDashboards: the operator sees what it is owed, what awaits
// approval and the last daily run with its failed step; reseller A what
// it owes the operator; B's client its services and what it owes; no
// client sees a run or another tenant's money.
func TestDashboards(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		if err := w.run.Register(failingStep{}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.run.Run(context.Background(), core.Date{Year: 2026, Month: 11, Day: 22}, automation.TriggerCLI); err != nil {
			t.Fatal(err)
		}
		money := func(minor int64) string { return document.LocaleFor("en").Money(minor, "EUR") }
		admin := w.signIn("admin@op.test").get("/")
		for _, want := range []string{`id="receivables"`, money(w.opInvA.TotalMinor), `id="awaiting"`, `id="last-run"`, "22 November 2026", "test.failing", "refused the connection"} {
			if !strings.Contains(admin.body, want) {
				t.Errorf("operator dashboard lacks %q", want)
			}
		}
		reseller := w.signIn("owner@a.test").get("/")
		if !strings.Contains(reseller.body, `id="payables"`) || !strings.Contains(reseller.body, money(w.opInvA.TotalMinor)) || !strings.Contains(reseller.body, `id="last-run"`) {
			t.Errorf("reseller A's dashboard: %s", reseller.body)
		}
		client := w.signIn("owner@clientb.test").get("/")
		for _, want := range []string{`id="services"`, `id="payables"`, money(w.finalB.TotalMinor)} {
			if !strings.Contains(client.body, want) {
				t.Errorf("B's client's dashboard lacks %q", want)
			}
		}
		for _, not := range []string{`id="receivables"`, `id="last-run"`, "test.failing"} {
			if strings.Contains(client.body, not) {
				t.Errorf("B's client's dashboard shows %q", not)
			}
		}
	})
}

// TestClientPage: a seller's page of its client shows the client's
// services, active contracts, invoices and balance with a link to its
// billing profile; the client's own page does not present it as a
// customer.
func TestClientPage(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		seller := w.signIn("owner@a.test")
		r := seller.get("/tenants/" + itoa(w.cliA.ID))
		for _, want := range []string{`id="tenant-services"`, `href="/hosting/` + itoa(w.acctA.ID) + `"`, `id="tenant-contracts"`,
			`href="/billing/contracts/` + itoa(w.contractA.ID) + `"`, `id="tenant-invoices"`, `id="tenant-balance"`, `href="/tenants/` + itoa(w.cliA.ID) + `/billing"`} {
			if !strings.Contains(r.body, want) {
				t.Errorf("client page lacks %s", want)
			}
		}
		if strings.Contains(r.body, "Bravo") {
			t.Error("client page shows tenant B's data")
		}
		// The operator's client list names each client's seller.
		list := w.signIn("admin@op.test").get("/tenants?kind=client")
		if !strings.Contains(list.body, `<a href="/tenants/`+itoa(w.resA.ID)+`">Alpha Hosting</a>`) {
			t.Errorf("operator's client list lacks the seller column: %s", list.body)
		}
		own := w.signIn("owner@clienta.test").get("/tenants/" + itoa(w.cliA.ID))
		if own.status == http.StatusOK && strings.Contains(own.body, `id="tenant-balance"`) {
			t.Error("a client's own page presents it as a customer")
		}
	})
}
