package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
)

// reach says how a route relates to tenants, which decides how the
// cross-tenant suite probes it.
type reach int

const (
	public   reach = iota // no tenant data (sign-in, probes, the OpenAPI document)
	own                   // acts only on the caller's own account or tenant
	listing               // lists the caller's scope: another tenant's names must not appear
	creating              // creates in a tenant named in the input: another tenant's id must be refused
	tenantID              // :id is a tenant
	userID                // :id is a user
	keyID                 // :id is an API key
)

// crossTenant classifies every route. A new route fails the suite until
// it is added here: one line.
var crossTenant = map[string]reach{
	"GET /healthz": public, "GET /readyz": public, "GET /metrics": public, "GET /static/*": public,
	"GET /api/v1/openapi.json": public,
	"GET /login":               public, "POST /login": public, "GET /login/2fa": public, "POST /login/2fa": public, "POST /logout": own,
	"GET /password/forgot": public, "POST /password/forgot": public, "GET /password/reset": public, "POST /password/reset": public,

	"GET /":                     listing,
	"GET /tenants":              listing,
	"GET /tenants/new":          listing,
	"POST /tenants/new":         creating,
	"GET /tenants/:id":          tenantID,
	"POST /tenants/:id":         tenantID,
	"GET /users":                listing,
	"GET /users/new":            creating,
	"POST /users/new":           creating,
	"GET /users/:id":            userID,
	"POST /users/:id":           userID,
	"GET /apikeys":              listing,
	"POST /apikeys":             own,
	"POST /apikeys/:id/revoke":  keyID,
	"GET /audit":                listing,
	"GET /brand":                own,
	"POST /brand":               own,
	"GET /settings/security":    own,
	"POST /settings/security":   own,
	"GET /profile":              own,
	"POST /profile":             own,
	"POST /profile/password":    own,
	"GET /profile/2fa":          own,
	"POST /profile/2fa":         own,
	"POST /profile/2fa/disable": own,
	"POST /profile/signout-all": own,

	"GET /api/v1/me":             listing,
	"GET /api/v1/tenants":        listing,
	"POST /api/v1/tenants":       creating,
	"GET /api/v1/tenants/:id":    tenantID,
	"PATCH /api/v1/tenants/:id":  tenantID,
	"GET /api/v1/users":          listing,
	"POST /api/v1/users":         creating,
	"GET /api/v1/users/:id":      userID,
	"PATCH /api/v1/users/:id":    userID,
	"GET /api/v1/audit":          listing,
	"GET /api/v1/apikeys":        listing,
	"POST /api/v1/apikeys":       creating,
	"DELETE /api/v1/apikeys/:id": keyID,
}

// routeKeys lists the registered routes as "METHOD path", without echo's
// not-found catch-alls.
func routeKeys(s *Server) []string {
	var out []string
	for _, r := range s.e.Routes() {
		if r.Method == "echo_route_not_found" {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// secret is in every name of tenant B's tree; it must never reach A.
const secret = "Bravo Secret"

// TestCrossTenant signs in as tenant A (a reseller's owner, and a client
// of that reseller) and aims every route at tenant B's objects (and the
// client at its own reseller's): each answers 404 or 403, no response
// shows B's data, and nothing of B changes.
func TestCrossTenant(t *testing.T) {
	dbtest.Each(t, testSets, func(t *testing.T, h *db.Handle) {
		w := newWorld(t, h, worldOpts{})
		routes := routeKeys(w.s)
		for _, r := range routes {
			if _, ok := crossTenant[r]; !ok {
				t.Errorf("route %s is not in the cross-tenant table; add one line to crossTenant", r)
			}
		}
		for r := range crossTenant {
			if !slices.Contains(routes, r) {
				t.Errorf("cross-tenant table lists %s, which is not a route", r)
			}
		}
		reseller, client := w.signIn("owner@a.test"), w.signIn("owner@clienta.test")
		type actor struct {
			name    string
			page    *browser
			key     string
			targets map[reach][]int64
			parent  int64 // a seller outside the actor's scope, for creating
			child   int64 // a tenant outside the actor's scope, for creating
		}
		actors := []actor{
			{"reseller A", reseller, w.keyA, map[reach][]int64{
				tenantID: {w.resB.ID, w.cliB.ID}, userID: {w.ownerB.ID, w.ownerCliB.ID, w.usB.ID}, keyID: {w.keyIDB, w.keyIDCliB}}, w.resB.ID, w.cliB.ID},
			{"client of A", client, w.keyCliA, map[reach][]int64{
				tenantID: {w.resA.ID, w.resB.ID, w.cliB.ID}, userID: {w.ownerA.ID, w.ownerB.ID, w.usB.ID}, keyID: {w.keyIDA, w.keyIDB}}, w.resA.ID, w.resA.ID},
		}
		counts := map[reach]int{}
		requests := 0
		for _, r := range routes {
			kind := crossTenant[r]
			counts[kind]++
			method, path, _ := strings.Cut(r, " ")
			for _, a := range actors {
				for _, res := range w.probe(a.page, a.key, method, path, kind, a.targets[kind], a.parent, a.child) {
					requests++
					label := fmt.Sprintf("%s: %s %s", a.name, method, res.path)
					switch {
					case strings.Contains(res.body, secret) || strings.Contains(res.body, "owner@b.test"):
						t.Errorf("%s shows tenant B's data (status %d)", label, res.status)
					case (kind == tenantID || kind == userID || kind == keyID) && res.status != http.StatusNotFound && res.status != http.StatusForbidden:
						t.Errorf("%s = %d, want 404 or 403", label, res.status)
					case kind == creating && res.status < 400:
						t.Errorf("%s = %d, want a refusal", label, res.status)
					case kind == listing && res.status != http.StatusOK && res.status != http.StatusForbidden:
						t.Errorf("%s = %d, want 200 (or 403 where the role may not list)", label, res.status)
					}
				}
			}
		}
		if n := w.count("tenants", "name LIKE ?", "%Hacked%"); n != 0 {
			t.Errorf("%d tenants renamed across tenants", n)
		}
		if n := w.count("users", "name LIKE ?", "%Hacked%"); n != 0 {
			t.Errorf("%d users renamed across tenants", n)
		}
		if n := w.count("api_keys", "revoked_at IS NOT NULL"); n != 0 {
			t.Errorf("%d API keys revoked across tenants", n)
		}
		if n := w.count("tenants", "parent_id IN (?, ?)", w.resB.ID, w.resA.ID); n != 2 {
			t.Errorf("tenants under the resellers = %d, want 2 (nothing created across tenants)", n)
		}
		if n := w.count("users", "email LIKE ?", "%intruder%"); n != 0 {
			t.Errorf("%d users created across tenants", n)
		}
		covered := counts[tenantID] + counts[userID] + counts[keyID] + counts[creating] + counts[listing]
		t.Logf("cross-tenant suite: %d routes classified; %d endpoints covered (%d take an object id, %d create in a named tenant, %d list a scope), %d act only on the caller's own account, %d public; %d requests",
			len(routes), covered, counts[tenantID]+counts[userID]+counts[keyID], counts[creating], counts[listing], counts[own], counts[public], requests)
		fmt.Printf("cross-tenant endpoints covered: %d (%s)\n", covered, dbName(h))
	})
}

func dbName(h *db.Handle) string { return string(h.Dialect) }

type probeResult struct {
	path   string
	status int
	body   string
}

// probe sends the requests that aim one route at objects outside the
// actor's scope.
func (w *world) probe(page *browser, key, method, path string, kind reach, ids []int64, parent, child int64) []probeResult {
	api := strings.HasPrefix(path, "/api/v1/")
	send := func(p string, form url.Values, body any) probeResult {
		var r resp
		switch {
		case api:
			r = w.api(key, method, p, body)
		case method == http.MethodGet:
			r = page.get(p)
		default:
			r = page.post(p, form)
		}
		return probeResult{p, r.status, r.body}
	}
	var out []probeResult
	switch kind {
	case tenantID, userID, keyID:
		for _, id := range ids {
			p := strings.Replace(path, ":id", strconv.FormatInt(id, 10), 1)
			out = append(out, send(p, url.Values{"name": {"Hacked"}, "email": {"hacked@x.test"}, "status": {"closed"}},
				map[string]any{"name": "Hacked"}))
		}
	case listing:
		out = append(out, send(path+"?q=Bravo", nil, nil), send(path, nil, nil))
		if path == "/tenants/new" {
			out = append(out, send(path+"?kind=client&parent_id="+strconv.FormatInt(parent, 10), nil, nil))
		}
	case creating:
		pid, cid := strconv.FormatInt(parent, 10), strconv.FormatInt(child, 10)
		switch path {
		case "/tenants/new":
			out = append(out, send(path, url.Values{"kind": {"client"}, "parent_id": {pid}, "name": {"Intruder"}, "email": {"intruder@x.test"}}, nil))
		case "/users/new":
			if method == http.MethodGet {
				return append(out, send(path+"?tenant_id="+cid, nil, nil))
			}
			out = append(out, send(path, url.Values{"tenant_id": {cid}, "email": {"intruder@x.test"}, "role": {"owner"}, "password": {testPassword}}, nil))
		case "/api/v1/tenants":
			out = append(out, send(path, nil, map[string]any{"kind": "client", "parent_id": parent, "name": "Intruder", "email": "intruder@x.test"}))
		case "/api/v1/users":
			out = append(out, send(path, nil, map[string]any{"tenant_id": child, "email": "intruder@x.test", "role": "owner", "password": testPassword}))
		case "/api/v1/apikeys":
			out = append(out, send(path, nil, map[string]any{"tenant_id": child, "role": "owner", "name": "intruder"}))
		default:
			w.t.Errorf("no cross-tenant probe for creating route %s %s", method, path)
		}
	}
	return out
}
