package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"faktura/provisioning/noop"
)

// TestHostingAPI: a reseller creates an account for its client over the
// API; bad input names the field and writes nothing; the client sees its
// account and adds a subdomain where the package allows; actions move the
// target state.
func TestHostingAPI(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		hostingAPIBadInput(t, w)
		hostingAPIAccount(t, w)
		hostingAPILimits(t, w)
	})
}

// hostingAPIBadInput: refused requests name their fields and write nothing.
func hostingAPIBadInput(t *testing.T, w *world) {
	pkg := w.pkg.ID
	bad := []struct {
		name, path, field string
		body              map[string]any
	}{
		{"invalid domain", "/api/v1/accounts", "domain", map[string]any{"tenant_id": w.cliA.ID, "package_id": pkg, "username": "newone", "domain": "no spaces.com"}},
		{"domain taken", "/api/v1/accounts", "domain", map[string]any{"tenant_id": w.cliA.ID, "package_id": pkg, "username": "newone", "domain": "bravo-secret.example"}},
		{"bad user name", "/api/v1/accounts", "username", map[string]any{"tenant_id": w.cliA.ID, "package_id": pkg, "username": "1x"}},
		{"unknown field", "/api/v1/accounts", "quota", map[string]any{"tenant_id": w.cliA.ID, "package_id": pkg, "username": "newone", "quota": 5}},
		{"wrong type", "/api/v1/accounts", "package_id", map[string]any{"tenant_id": w.cliA.ID, "package_id": "std", "username": "newone"}},
		{"domain under another tenant's", "/api/v1/accounts/" + itoa(w.acctA.ID) + "/domains", "name", map[string]any{"name": "shop.bravo-secret.example"}},
		{"label with a dot", "/api/v1/domains/" + itoa(w.domA.ID) + "/subdomains", "label", map[string]any{"label": "a.b"}},
		{"bad reason", "/api/v1/accounts/" + itoa(w.acctA.ID) + "/suspend", "reason", map[string]any{"reason": "because"}},
	}
	before := w.count("accounts", "") + w.count("domains", "") + w.count("provisioning_jobs", "")
	for _, tc := range bad {
		r := w.api(w.keyA, http.MethodPost, tc.path, tc.body)
		var e struct {
			Error struct {
				Fields map[string]string `json:"fields"`
			} `json:"error"`
		}
		json.Unmarshal([]byte(r.body), &e)
		if r.status != http.StatusUnprocessableEntity || e.Error.Fields[tc.field] == "" {
			t.Errorf("%s: %d %s, want 422 naming %s", tc.name, r.status, r.body, tc.field)
		}
	}
	if after := w.count("accounts", "") + w.count("domains", "") + w.count("provisioning_jobs", ""); after != before {
		t.Errorf("refused requests wrote rows: %d -> %d", before, after)
	}
}

// hostingAPIAccount: an account created once under an idempotency key,
// what its client may do, and its suspension.
func hostingAPIAccount(t *testing.T, w *world) {
	pkg := w.pkg.ID
	r := w.api(w.keyA, http.MethodPost, "/api/v1/accounts", map[string]any{"tenant_id": w.cliA.ID, "package_id": pkg, "username": "shop", "domain": "Ålborg-Shop.dk"}, "Idempotency-Key", "acct-1")
	if r.status != http.StatusAccepted || !strings.Contains(r.body, `"state":"pending"`) || !strings.Contains(r.body, "xn--") {
		t.Fatalf("create account: %d %s", r.status, r.body)
	}
	again := w.api(w.keyA, http.MethodPost, "/api/v1/accounts", map[string]any{"tenant_id": w.cliA.ID, "package_id": pkg, "username": "shop", "domain": "Ålborg-Shop.dk"}, "Idempotency-Key", "acct-1")
	if again.header.Get("Idempotent-Replayed") != "true" || w.count("accounts", "username = 'shop'") != 1 {
		t.Errorf("a retried create made another account (replayed %q)", again.header.Get("Idempotent-Replayed"))
	}
	var acct struct {
		ID      int64 `json:"id"`
		Domains []struct {
			ID          int64  `json:"id"`
			DisplayName string `json:"display_name"`
		} `json:"domains"`
	}
	json.Unmarshal([]byte(r.body), &acct)
	w.work()
	r = w.api(w.keyCliA, http.MethodGet, "/api/v1/accounts/"+itoa(acct.ID), nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, `"state":"active"`) || !strings.Contains(r.body, "ålborg-shop.dk") {
		t.Fatalf("client reads its account: %d %s", r.status, r.body)
	}
	// The client may add a subdomain (the package allows it) but not
	// suspend, nor add a domain.
	if r = w.api(w.keyCliA, http.MethodPost, "/api/v1/domains/"+itoa(acct.Domains[0].ID)+"/subdomains", map[string]any{"label": "blog"}); r.status != http.StatusAccepted {
		t.Errorf("client adds a subdomain: %d %s", r.status, r.body)
	}
	if r = w.api(w.keyCliA, http.MethodPost, "/api/v1/accounts/"+itoa(acct.ID)+"/suspend", map[string]any{"reason": "manual"}); r.status != http.StatusForbidden {
		t.Errorf("client suspends: %d, want 403", r.status)
	}
	if r = w.api(w.keyCliA, http.MethodPost, "/api/v1/accounts/"+itoa(acct.ID)+"/domains", map[string]any{"name": "more.example"}); r.status != http.StatusForbidden {
		t.Errorf("client adds a domain: %d, want 403", r.status)
	}
	r = w.api(w.keyA, http.MethodPost, "/api/v1/accounts/"+itoa(acct.ID)+"/suspend", map[string]any{"reason": "abuse"})
	if r.status != http.StatusAccepted || !strings.Contains(r.body, `"target":"suspended"`) {
		t.Errorf("reseller suspends: %d %s", r.status, r.body)
	}
	if r = w.api(w.keyA, http.MethodPost, "/api/v1/accounts/"+itoa(acct.ID)+"/suspend", map[string]any{"reason": "abuse"}); r.status != http.StatusPreconditionFailed {
		t.Errorf("second suspension: %d %s, want 412", r.status, r.body)
	}
	w.work()
	if n := w.count("outbox_events", "aggregate = ? AND name = ?", "account:"+itoa(acct.ID), "provisioning.account_suspended"); n != 1 {
		t.Errorf("AccountSuspended events = %d, want 1", n)
	}
}

// hostingAPILimits: the operator's limits on a reseller, and servers.
func hostingAPILimits(t *testing.T, w *world) {
	pkg := w.pkg.ID
	var r resp
	// The operator caps reseller A at the one client it has: A cannot add
	// another, and nothing is created.
	r = w.api(w.adminKey, http.MethodPatch, "/api/v1/reseller-accounts/"+itoa(w.raA.ID), map[string]any{"tenant_id": w.resA.ID, "package": "reseller-a", "max_clients": 1})
	if r.status != http.StatusOK || !strings.Contains(r.body, `"max_clients":1`) {
		t.Fatalf("set the client limit: %d %s", r.status, r.body)
	}
	r = w.api(w.keyA, http.MethodPost, "/api/v1/tenants", map[string]any{"kind": "client", "name": "One Too Many", "email": "many@a.test"})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "limit of 1 clients") || w.count("tenants", "name = 'One Too Many'") != 0 {
		t.Errorf("client over the reseller's limit: %d %s", r.status, r.body)
	}
	r = w.api(w.adminKey, http.MethodPatch, "/api/v1/reseller-accounts/"+itoa(w.raA.ID), map[string]any{"tenant_id": w.resA.ID, "package": "reseller-a", "disk_mb": 10})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "disk_mb") {
		t.Errorf("disk limit below use: %d %s, want 422 on disk_mb", r.status, r.body)
	}
	// Only the operator registers servers and changes reseller limits.
	if r = w.api(w.keyA, http.MethodPatch, "/api/v1/reseller-accounts/"+itoa(w.raA.ID), map[string]any{"tenant_id": w.resA.ID, "package": "x", "max_clients": 99}); r.status != http.StatusForbidden {
		t.Errorf("reseller raises its own limit: %d, want 403", r.status)
	}
	if r = w.api(w.keyA, http.MethodPost, "/api/v1/servers", map[string]any{"name": "mine", "driver": "noop"}); r.status != http.StatusForbidden {
		t.Errorf("reseller registers a server: %d", r.status)
	}
	r = w.api(w.adminKey, http.MethodPost, "/api/v1/servers", map[string]any{"name": "web2", "driver": "nginx", "settings": map[string]any{"listen": "eighty"}})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "settings.listen") {
		t.Errorf("bad nginx settings: %d %s", r.status, r.body)
	}
	r = w.api(w.adminKey, http.MethodPatch, "/api/v1/servers/"+itoa(w.server.ID), map[string]any{"enabled": false})
	if r.status != http.StatusOK || !strings.Contains(r.body, `"enabled":false`) || !strings.Contains(r.body, `label`) {
		t.Errorf("disable a server: %d %s", r.status, r.body)
	}
	r = w.api(w.keyA, http.MethodPost, "/api/v1/accounts", map[string]any{"tenant_id": w.cliA.ID, "package_id": pkg, "username": "nowhere"})
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "server_id") {
		t.Errorf("account with every server disabled: %d %s, want 422 on server_id", r.status, r.body)
	}
	r = w.api(w.adminKey, http.MethodPatch, "/api/v1/servers/"+itoa(w.server.ID), map[string]any{"enabled": true, "capacity": 50})
	if r.status != http.StatusOK || !strings.Contains(r.body, `"capacity":50`) {
		t.Errorf("enable a server: %d %s", r.status, r.body)
	}
	r = w.api(w.adminKey, http.MethodPost, "/api/v1/servers/"+itoa(w.server.ID)+"/test", nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, `"health":"ok"`) {
		t.Errorf("test connection: %d %s", r.status, r.body)
	}
}

// TestHostingPages: the admin creates an account through the form, sees
// it pending and then active, adds a domain, suspends it and sees the
// reason; a bad domain shows a field error; a package name is escaped.
func TestHostingPages(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		admin := w.signIn("admin@op.test")
		r := admin.post("/packages", url.Values{"code": {"xss"}, "name": {"<script>alert(1)</script>"}, "disk_mb": {"10"}})
		if r.status != http.StatusSeeOther {
			t.Fatalf("create package: %d %s", r.status, r.body)
		}
		if r = admin.get("/packages"); strings.Contains(r.body, "<script>alert") || !strings.Contains(r.body, "&lt;script&gt;") {
			t.Error("package name not escaped on /packages")
		}
		r = admin.post("/hosting/new", url.Values{"tenant_id": {strconv.FormatInt(w.cliA.ID, 10)}, "package_id": {strconv.FormatInt(w.pkg.ID, 10)}, "server_id": {"0"}, "username": {"formuser"}, "domain": {"form-user.example"}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/hosting/") {
			t.Fatalf("create account: %d %s", r.status, r.body)
		}
		page := r.location
		if r = admin.get(page); !strings.Contains(r.body, `id="target"`) {
			t.Errorf("a new account does not show its change in progress: %s", r.body)
		}
		w.work()
		r = admin.get(page)
		if !strings.Contains(r.body, "form-user.example") || strings.Contains(r.body, `id="target"`) {
			t.Errorf("account page after the server acted: %s", r.body)
		}
		r = admin.post(page+"/domains", url.Values{"name": {"not a domain"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `class="ferr"`) {
			t.Errorf("bad domain: %d, want 422 with a field error", r.status)
		}
		if r = admin.post(page+"/suspend", url.Values{"reason": {"nonpayment"}}); r.status != http.StatusSeeOther {
			t.Fatalf("suspend: %d %s", r.status, r.body)
		}
		w.work()
		if r = admin.get(page); !strings.Contains(r.body, "non-payment") {
			t.Errorf("suspended account page lacks the reason")
		}
		for _, p := range []string{"/hosting", "/hosting/new", "/servers", "/packages", "/reseller-accounts"} {
			if r = admin.get(p); r.status != http.StatusOK {
				t.Errorf("GET %s = %d", p, r.status)
			}
		}
		// A failing server call shows its message on the account page, with
		// the change still on its way.
		noop.SetFail("web", "suspend", "panel API said: quota daemon unreachable")
		defer noop.SetFail("web", "suspend", "")
		alpha := "/hosting/" + strconv.FormatInt(w.acctA.ID, 10)
		if r = admin.post(alpha+"/suspend", url.Values{"reason": {"abuse"}}); r.status != http.StatusSeeOther {
			t.Fatalf("suspend alpha: %d", r.status)
		}
		w.work()
		r = admin.get(alpha)
		if !strings.Contains(r.body, `id="account-error"`) || !strings.Contains(r.body, "quota daemon unreachable") || !strings.Contains(r.body, `id="retry"`) {
			t.Errorf("account page does not show the failing change: %s", r.body)
		}
		// The operator's list names each account's owner, main domain,
		// package and server; a client's has no server column.
		if r = admin.get("/hosting"); !strings.Contains(r.body, "Alpha Client") || !strings.Contains(r.body, "alpha-client.example") ||
			!strings.Contains(r.body, w.pkg.Name) || !strings.Contains(r.body, w.server.Name) {
			t.Errorf("operator's hosting list lacks owner, domain, package or server: %s", r.body)
		}
		client := w.signIn("owner@clienta.test")
		if r = client.get("/hosting"); !strings.Contains(r.body, "alpha") || !strings.Contains(r.body, "formuser") || strings.Contains(r.body, w.server.Name+"</td>") {
			t.Errorf("client's hosting list: %s", r.body)
		}
		if r = client.get("/servers"); r.status != http.StatusForbidden {
			t.Errorf("client GET /servers = %d, want 403", r.status)
		}
	})
}

// TestServerPage: the operator edits a server on its page (bad input
// named, nothing changed), disables it, and removes one only when it
// never hosted an account, after ticking the confirmation; the API
// removes the same way. A reseller opens none of it.
func TestServerPage(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		admin, reseller := w.signIn("admin@op.test"), w.signIn("owner@a.test")
		page := "/servers/" + itoa(w.server.ID)
		if r := admin.get(page); r.status != http.StatusOK || !strings.Contains(r.body, `id="server-edit"`) {
			t.Fatalf("server page: %d", r.status)
		}
		if r := reseller.get(page); r.status != http.StatusForbidden {
			t.Errorf("reseller opens a server: %d, want 403", r.status)
		}
		r := admin.post(page, url.Values{"name": {"web1"}, "capacity": {"many"}, "settings": {"{"}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `class="ferr"`) {
			t.Errorf("bad edit: %d", r.status)
		}
		if n := w.count("servers", "id = ? AND enabled", w.server.ID); n != 1 {
			t.Errorf("a refused edit changed the server")
		}
		if r = admin.post(page, url.Values{"name": {"web1-renamed"}, "capacity": {"10"}, "settings": {"{}"}}); r.status != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", r.status, r.body)
		}
		if n := w.count("servers", "id = ? AND name = 'web1-renamed' AND capacity = 10 AND NOT enabled", w.server.ID); n != 1 {
			t.Errorf("the edit (renamed, capacity 10, disabled) was not saved")
		}
		// It hosts accounts: it stays, with the reason.
		if r = admin.post(page+"/delete", url.Values{"confirm": {"on"}}); r.status != http.StatusPreconditionFailed || !strings.Contains(r.body, "disable it instead") {
			t.Errorf("removing a used server: %d", r.status)
		}
		// An empty one goes, once confirmed.
		empty := w.api(w.adminKey, http.MethodPost, "/api/v1/servers", map[string]any{"name": "spare", "driver": "noop"})
		spare := "/servers/" + itoa(int64(apiJSON(t, empty)["id"].(float64)))
		if r = admin.post(spare+"/delete", nil); r.status != http.StatusUnprocessableEntity {
			t.Errorf("removal without the confirmation: %d", r.status)
		}
		if r = admin.post(spare+"/delete", url.Values{"confirm": {"on"}}); r.status != http.StatusSeeOther || w.count("servers", "name = 'spare'") != 0 {
			t.Errorf("removing an empty server: %d", r.status)
		}
		// The API: the same rule, and a reseller is refused.
		other := w.api(w.adminKey, http.MethodPost, "/api/v1/servers", map[string]any{"name": "spare2", "driver": "noop"})
		otherID := itoa(int64(apiJSON(t, other)["id"].(float64)))
		if r = w.api(w.keyA, http.MethodDelete, "/api/v1/servers/"+otherID, nil); r.status != http.StatusForbidden {
			t.Errorf("reseller removes a server: %d", r.status)
		}
		if r = w.api(w.adminKey, http.MethodDelete, "/api/v1/servers/"+itoa(w.server.ID), nil); r.status != http.StatusPreconditionFailed {
			t.Errorf("API removes a used server: %d", r.status)
		}
		if r = w.api(w.adminKey, http.MethodDelete, "/api/v1/servers/"+otherID, nil); r.status != http.StatusOK || w.count("servers", "name = 'spare2'") != 0 {
			t.Errorf("API removes an empty server: %d %s", r.status, r.body)
		}
	})
}
