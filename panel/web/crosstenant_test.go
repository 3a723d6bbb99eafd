package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"faktura/panel/core/db"
)

// reach says how a route relates to tenants, which decides how the
// cross-tenant suite probes it.
type reach int

const (
	public        reach = iota // no tenant data (sign-in, probes, the OpenAPI document)
	own                        // acts only on the caller's own account or tenant
	listing                    // lists the caller's scope: another tenant's names must not appear
	creating                   // creates in a tenant named in the input: another tenant's id must be refused
	tenantID                   // :id is a tenant
	userID                     // :id is a user
	keyID                      // :id is an API key
	accountID                  // :id is a hosting account
	domainID                   // :id is a domain or subdomain
	resellerID                 // :id is a reseller account
	serverID                   // :id is a server (the operator's alone)
	productID                  // :id is a catalog product
	contractID                 // :id is a contract
	invoiceID                  // :id is an invoice or credit note
	settingsLevel              // :level/:id is a level of the settings chain
	paymentID                  // :id is a payment
	attemptID                  // :id is a payment attempt
	methodID                   // :id is a saved payment method
	holdID                     // :id is a dunning hold
)

// objectIDs are the kinds whose probes must answer 404 or 403.
var objectIDs = []reach{tenantID, userID, keyID, accountID, domainID, resellerID, serverID, productID, contractID, invoiceID, settingsLevel, paymentID, attemptID, methodID, holdID}

// crossTenant classifies every route. A new route fails the suite until
// it is added here: one line.
var crossTenant = map[string]reach{
	"GET /healthz": public, "GET /readyz": public, "GET /metrics": public, "GET /static/*": public,
	"GET /api/v1/openapi.json": public,
	"GET /login":               public, "POST /login": public, "GET /login/2fa": public, "POST /login/2fa": public, "POST /logout": own,
	"GET /password/forgot": public, "POST /password/forgot": public, "GET /password/reset": public, "POST /password/reset": public,

	"GET /":                       listing,
	"GET /tenants":                listing,
	"GET /tenants/new":            listing,
	"POST /tenants/new":           creating,
	"GET /tenants/:id":            tenantID,
	"POST /tenants/:id":           tenantID,
	"GET /users":                  listing,
	"GET /users/new":              creating,
	"POST /users/new":             creating,
	"GET /users/:id":              userID,
	"POST /users/:id":             userID,
	"GET /apikeys":                listing,
	"POST /apikeys":               own,
	"POST /apikeys/:id/revoke":    keyID,
	"GET /audit":                  listing,
	"GET /brand":                  own,
	"POST /brand":                 own,
	"GET /settings/security":      own,
	"POST /settings/security":     own,
	"GET /hosting":                listing,
	"GET /hosting/new":            listing,
	"POST /hosting/new":           creating,
	"GET /hosting/:id":            accountID,
	"POST /hosting/:id/:action":   accountID,
	"GET /packages":               listing,
	"POST /packages":              own,
	"GET /servers":                listing,
	"POST /servers":               creating,
	"POST /servers/:id/test":      serverID,
	"GET /servers/:id":            serverID,
	"POST /servers/:id":           serverID,
	"POST /servers/:id/delete":    serverID,
	"GET /reseller-accounts":      listing,
	"POST /reseller-accounts":     creating,
	"POST /reseller-accounts/:id": resellerID,
	"GET /profile":                own,
	"POST /profile":               own,
	"POST /profile/password":      own,
	"GET /profile/2fa":            own,
	"POST /profile/2fa":           own,
	"POST /profile/2fa/disable":   own,
	"POST /profile/signout-all":   own,

	"GET /billing":                        own,
	"GET /billing/catalog":                listing,
	"POST /billing/catalog":               own,
	"GET /billing/catalog/:id":            productID,
	"POST /billing/catalog/:id":           productID,
	"POST /billing/catalog/:id/usage":     productID,
	"GET /billing/coupons":                listing,
	"POST /billing/coupons":               creating,
	"GET /billing/contracts":              listing,
	"POST /billing/contracts":             creating,
	"GET /billing/contracts/:id":          contractID,
	"POST /billing/contracts/:id/:action": contractID,
	"GET /billing/invoices":               listing,
	"GET /billing/invoices/new":           listing,
	"POST /billing/invoices/new":          creating,
	"GET /billing/invoices/:id":           invoiceID,
	"GET /billing/invoices/:id/pdf":       invoiceID,
	"GET /billing/invoices/:id/xml":       invoiceID,
	"POST /billing/invoices/:id/:action":  invoiceID,
	"GET /billing/profile":                own,
	"GET /tenants/:id/billing":            tenantID,
	"POST /tenants/:id/billing":           tenantID,
	"GET /billing/tax":                    own,
	"GET /tenants/:id/tax":                tenantID,
	"POST /tenants/:id/tax":               tenantID,
	"GET /billing/ledger":                 own,
	"GET /tenants/:id/ledger":             tenantID,
	"POST /tenants/:id/ledger":            tenantID,
	"POST /tenants/:id/ledger/close":      tenantID,
	"GET /tenants/:id/ledger/export":      tenantID,
	"GET /tenants/:id/reports":            tenantID,
	"GET /tenants/:id/reports/:report":    tenantID,

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

	"GET /api/v1/accounts":                       listing,
	"POST /api/v1/accounts":                      creating,
	"GET /api/v1/accounts/:id":                   accountID,
	"POST /api/v1/accounts/:id/domains":          accountID,
	"POST /api/v1/accounts/:id/:action":          accountID,
	"GET /api/v1/domains/:id":                    domainID,
	"DELETE /api/v1/domains/:id":                 domainID,
	"POST /api/v1/domains/:id/subdomains":        domainID,
	"GET /api/v1/packages":                       listing,
	"POST /api/v1/packages":                      own,
	"GET /api/v1/servers":                        listing,
	"POST /api/v1/servers":                       creating,
	"PATCH /api/v1/servers/:id":                  serverID,
	"DELETE /api/v1/servers/:id":                 serverID,
	"POST /api/v1/servers/:id/test":              serverID,
	"GET /api/v1/reseller-accounts":              listing,
	"POST /api/v1/reseller-accounts":             creating,
	"PATCH /api/v1/reseller-accounts/:id":        resellerID,
	"POST /api/v1/reseller-accounts/:id/:action": resellerID,

	"GET /api/v1/products":                       listing,
	"POST /api/v1/products":                      own,
	"GET /api/v1/products/:id":                   productID,
	"PUT /api/v1/products/:id":                   productID,
	"GET /api/v1/coupons":                        listing,
	"POST /api/v1/coupons":                       creating,
	"GET /api/v1/contracts":                      listing,
	"POST /api/v1/contracts":                     creating,
	"GET /api/v1/contracts/:id":                  contractID,
	"POST /api/v1/contracts/:id/terminate":       contractID,
	"POST /api/v1/contracts/:id/coupon":          contractID,
	"GET /api/v1/invoices":                       listing,
	"POST /api/v1/invoices":                      creating,
	"GET /api/v1/invoices/:id":                   invoiceID,
	"GET /api/v1/invoices/:id/pdf":               invoiceID,
	"GET /api/v1/invoices/:id/xml":               invoiceID,
	"GET /api/v1/invoices/:id/files":             invoiceID,
	"GET /api/v1/invoices/:id/deliveries":        invoiceID,
	"POST /api/v1/invoices/:id/resend":           invoiceID,
	"DELETE /api/v1/invoices/:id":                invoiceID,
	"POST /api/v1/invoices/:id/lines":            invoiceID,
	"POST /api/v1/invoices/:id/finalize":         invoiceID,
	"POST /api/v1/invoices/:id/approve":          invoiceID,
	"POST /api/v1/invoices/:id/credit-notes":     invoiceID,
	"GET /settings":                              own,
	"GET /billing/payments":                      listing,
	"GET /billing/payments/new":                  creating,
	"POST /billing/payments/new":                 creating,
	"GET /billing/payments/:id":                  paymentID,
	"POST /billing/payments/:id/:action":         paymentID,
	"POST /billing/invoices/:id/apply-credit":    invoiceID,
	"GET /api/v1/payments":                       listing,
	"POST /api/v1/payments":                      creating,
	"GET /api/v1/payments/:id":                   paymentID,
	"POST /api/v1/payments/:id/refund":           paymentID,
	"POST /api/v1/payments/:id/unallocate":       paymentID,
	"POST /api/v1/invoices/:id/apply-credit":     invoiceID,
	"GET /api/v1/tenants/:id/credit":             tenantID,
	"POST /webhooks/:gateway/:seller":            public,
	"POST /webhooks/:gateway":                    public,
	"POST /billing/invoices/:id/pay":             invoiceID,
	"GET /billing/pay/return":                    own,
	"GET /billing/pay/go":                        own,
	"GET /billing/gateways":                      own,
	"POST /billing/gateways/:gateway":            own,
	"POST /api/v1/invoices/:id/pay":              invoiceID,
	"POST /api/v1/payment-attempts/:id/complete": attemptID,
	"POST /billing/methods/:id/forget":           methodID,
	"GET /api/v1/tenants/:id/payment-methods":    tenantID,
	"DELETE /api/v1/payment-methods/:id":         methodID,
	"GET /api/v1/gateways":                       own,
	"PUT /api/v1/gateways/:gateway":              own,
	"GET /settings/:level/:id":                   settingsLevel,
	"POST /settings/:level/:id":                  settingsLevel,
	"GET /api/v1/settings/:level/:id":            settingsLevel,
	"PUT /api/v1/settings/:level/:id":            settingsLevel,
	"GET /api/v1/tenants/:id/billing-profile":    tenantID,
	"PUT /api/v1/tenants/:id/billing-profile":    tenantID,
	"GET /api/v1/tenants/:id/tax":                tenantID,
	"PUT /api/v1/tenants/:id/tax":                tenantID,
	"GET /api/v1/tenants/:id/ledger":             tenantID,
	"PUT /api/v1/tenants/:id/ledger":             tenantID,
	"POST /api/v1/tenants/:id/ledger/close":      tenantID,
	"GET /api/v1/tenants/:id/ledger/entries":     tenantID,
	"GET /api/v1/tenants/:id/ledger/export":      tenantID,
	"GET /api/v1/tenants/:id/reports/:report":    tenantID,
	"POST /api/v1/invoices/:id/write-off":        invoiceID,
	"POST /api/v1/invoices/:id/correct-rate":     invoiceID,
	"POST /api/v1/usage":                         creating,
	"GET /api/v1/meters":                         own,
	"GET /api/v1/products/:id/usage-prices":      productID,
	"PUT /api/v1/products/:id/usage-prices":      productID,
	"POST /api/v1/meters":                        own,
	"GET /billing/collections":                   listing,
	"POST /billing/collections/holds":            creating,
	"POST /billing/collections/holds/:id/end":    holdID,
	"GET /api/v1/collections":                    listing,
	"GET /api/v1/collections/status":             listing,
	"GET /api/v1/collections/holds":              listing,
	"POST /api/v1/collections/holds":             creating,
	"DELETE /api/v1/collections/holds/:id":       holdID,
}

// accountActions are the actions probed on another tenant's account.
var accountActions = []string{"suspend", "unsuspend", "terminate", "retry", "package", "password", "domains", "subdomains", "remove-domain"}

// secret is in every name of tenant B's tree; it must never reach A.
const secret = "Bravo Secret"

// TestCrossTenant signs in as tenant A (a reseller's owner, and a client
// of that reseller) and aims every route at tenant B's objects (and the
// client at its own reseller's): each answers 404 or 403, no response
// shows B's data, and nothing of B changes.
func TestCrossTenant(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		routes := w.s.Routes()
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
			levels  []string
		}
		foreign := map[reach][]int64{accountID: {w.acctB.ID}, domainID: {w.domB.ID, w.subB.ID}, serverID: {w.server.ID},
			contractID: {w.contractB.ID}}
		actors := []actor{
			{"reseller A", reseller, w.keyA, map[reach][]int64{
				tenantID: {w.resB.ID, w.cliB.ID}, userID: {w.ownerB.ID, w.ownerCliB.ID, w.usB.ID}, keyID: {w.keyIDB, w.keyIDCliB},
				accountID: foreign[accountID], domainID: foreign[domainID], serverID: foreign[serverID], resellerID: {w.raB.ID},
				productID: {w.prodB.ID}, contractID: foreign[contractID], invoiceID: {w.draftB.ID, w.finalB.ID}, paymentID: {w.payB.ID}, attemptID: {w.attemptB.ID}, methodID: {w.methodB.ID}, holdID: {w.holdB.ID}}, w.resB.ID, w.cliB.ID,
				// Outside the scope, and inside it but another seller's: its own
				// customer level (the operator's) and the operator's plan.
				levels("panel/0", "seller/%d", w.resB.ID, "customer/%d", w.cliB.ID, "customer/%d", w.resB.ID, "customer/%d", w.resA.ID,
					"plan/%d", w.prodB.ID, "plan/%d", w.prodOp.ID, "contract/%d", w.contractB.ID)},
			{"client of A", client, w.keyCliA, map[reach][]int64{
				tenantID: {w.resA.ID, w.resB.ID, w.cliB.ID}, userID: {w.ownerA.ID, w.ownerB.ID, w.usB.ID}, keyID: {w.keyIDA, w.keyIDB},
				accountID: foreign[accountID], domainID: foreign[domainID], serverID: foreign[serverID], resellerID: {w.raA.ID, w.raB.ID},
				productID: {w.prodB.ID, w.prodOp.ID}, contractID: foreign[contractID], invoiceID: {w.draftB.ID, w.finalB.ID, w.opInvA.ID}, paymentID: {w.payB.ID}, attemptID: {w.attemptB.ID}, methodID: {w.methodB.ID}, holdID: {w.holdB.ID}}, w.resA.ID, w.resA.ID,
				levels("panel/0", "seller/%d", w.resA.ID, "seller/%d", w.cliA.ID, "customer/%d", w.cliA.ID, "customer/%d", w.cliB.ID,
					"plan/%d", w.prodOp.ID, "contract/%d", w.contractB.ID)},
		}
		counts := map[reach]int{}
		requests := 0
		for _, r := range routes {
			kind := crossTenant[r]
			counts[kind]++
			method, path, _ := strings.Cut(r, " ")
			for _, a := range actors {
				probes := w.probe(a.page, a.key, method, path, kind, a.targets[kind], a.parent, a.child)
				if kind == settingsLevel {
					probes = w.probeLevels(a.page, a.key, method, path, a.levels)
				}
				for _, res := range probes {
					requests++
					label := fmt.Sprintf("%s: %s %s", a.name, method, res.path)
					switch {
					case strings.Contains(res.body, secret) || strings.Contains(res.body, "owner@b.test") || strings.Contains(res.body, "bravo"):
						t.Errorf("%s shows tenant B's data (status %d)", label, res.status)
					case res.refusal && res.status < 400:
						t.Errorf("%s = %d, want a refusal", label, res.status)
					case !res.refusal && slices.Contains(objectIDs, kind) && res.status != http.StatusNotFound && res.status != http.StatusForbidden:
						t.Errorf("%s = %d, want 404 or 403", label, res.status)
					case kind == creating && res.status < 400:
						t.Errorf("%s = %d, want a refusal", label, res.status)
					case kind == listing && res.status != http.StatusOK && res.status != http.StatusForbidden:
						t.Errorf("%s = %d, want 200 (or 403 where the role may not list)", label, res.status)
					}
				}
			}
		}
		w.checkIdentityHostingUntouched()
		w.checkBillingUntouched()
		covered := 0
		for _, k := range append(objectIDs, creating, listing) {
			covered += counts[k]
		}
		t.Logf("cross-tenant suite: %d routes classified; %d endpoints covered (%d take an object id, %d create in a named tenant, %d list a scope), %d act only on the caller's own account, %d public; %d requests",
			len(routes), covered, covered-counts[creating]-counts[listing], counts[creating], counts[listing], counts[own], counts[public], requests)
		fmt.Printf("cross-tenant endpoints covered: %d (%s)\n", covered, dbName(w.h))
	})
}

// levels writes settings levels: a format and its id, pairwise.
func levels(args ...any) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		f := args[i].(string)
		if strings.Contains(f, "%d") {
			i++
			f = fmt.Sprintf(f, args[i])
		}
		out = append(out, f)
	}
	return out
}

// probeLevels aims a settings route at levels the actor does not own,
// changing the payment terms to 99 days.
func (w *world) probeLevels(page *browser, key, method, path string, lv []string) []probeResult {
	var out []probeResult
	for _, l := range lv {
		p := strings.Replace(path, ":level/:id", l, 1)
		var r resp
		switch {
		case strings.HasPrefix(p, "/api/v1/"):
			r = w.api(key, method, p, map[string]any{"billing.payment_days": 99})
		case method == http.MethodGet:
			r = page.get(p)
		default:
			r = page.post(p, url.Values{"billing.payment_days": {"99"}})
		}
		out = append(out, probeResult{path: p, status: r.status, body: r.body})
	}
	return out
}

func dbName(h *db.Handle) string { return string(h.Dialect) }

type probeResult struct {
	path    string
	status  int
	body    string
	refusal bool // any 4xx will do (a field error that names nothing of B's)
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
		return probeResult{path: p, status: r.status, body: r.body}
	}
	var out []probeResult
	switch kind {
	case tenantID, userID, keyID, accountID, domainID, resellerID, serverID, productID, contractID, invoiceID, paymentID, attemptID, methodID, holdID:
		for _, id := range ids {
			p := strings.Replace(path, ":id", strconv.FormatInt(id, 10), 1)
			p = strings.Replace(p, ":report", "vat", 1)
			if strings.HasSuffix(p, "/export") || strings.HasSuffix(p, "/reports/vat") || strings.HasSuffix(p, "/entries") {
				p += "?format=csv&from=2026-01&to=2026-12"
			}
			actions := probeActions(kind, p)
			for _, a := range actions {
				ap := strings.Replace(p, ":action", a, 1)
				form := url.Values{"name": {"Hacked"}, "email": {"hacked@x.test"}, "status": {"closed"}, "reason": {"manual"},
					"package_id": {strconv.FormatInt(w.pkg.ID, 10)}, "password": {testPassword}, "label": {"hacked"},
					"domain_id": {strconv.FormatInt(w.domB.ID, 10)}, "action": {a}, "tenant_id": {strconv.FormatInt(id, 10)},
					"code": {"BRAVOSECRET"}, "description": {"hacked"}, "unit_price": {"1"}, "full": {"on"}, "confirm": {"on"},
					"write_off_reason": {"hacked"}, "chart": {"skr03"}, "accounts": {"revenue = 6666"}, "month": {"2026-01"},
					"legal_name": {"Hacked"}, "country": {"DE"}, "kind": {"hosting"}, "match_code": {"std"}, "amount_0": {"1"}, "currency_0": {"EUR"}, "cycle_0": {"monthly"}}
				if kind == accountID && strings.HasSuffix(ap, "/domains") {
					form["name"] = []string{"hacked.example"}
				}
				body := w.probeBody(kind, ap, a, id)
				r := send(ap, form, body)
				r.refusal = strings.HasSuffix(ap, "/subdomains") // "no such domain in your scope" is a field error
				out = append(out, r)
			}
		}
		// The caller's own account with tenant B's domain in the form.
		if kind == accountID && method == http.MethodPost && !api {
			own := w.acctA.ID
			for _, a := range []string{"subdomains", "remove-domain"} {
				r := send("/hosting/"+strconv.FormatInt(own, 10)+"/"+a, url.Values{"domain_id": {strconv.FormatInt(w.domB.ID, 10)}, "label": {"hacked"}, "confirm": {"on"}}, nil)
				r.refusal = true
				out = append(out, r)
			}
		}
	case listing:
		out = append(out, send(path+"?q=Bravo", nil, nil), send(path, nil, nil))
		if path == "/tenants/new" {
			out = append(out, send(path+"?kind=client&parent_id="+strconv.FormatInt(parent, 10), nil, nil))
		}
	case creating:
		out = append(out, w.createProbes(send, method, path, parent, child)...)
	}
	return out
}

// probeActions lists the :action values probed on a route of kind.
func probeActions(kind reach, p string) []string {
	if !strings.Contains(p, ":action") {
		return []string{""}
	}
	switch kind {
	case resellerID:
		return []string{"suspend", "unsuspend", "terminate"}
	case contractID:
		return []string{"terminate", "coupon"}
	case invoiceID:
		return []string{"finalize", "approve", "delete", "line", "credit", "write_off"}
	case paymentID:
		return []string{"refund", "unallocate"}
	}
	return accountActions
}

// probeBody is the JSON body a probe of kind sends to ap (action a, on
// object id): a valid request, so only the scope can refuse it.
func (w *world) probeBody(kind reach, ap, a string, id int64) any {
	switch {
	case kind == accountID && strings.HasSuffix(ap, "/domains"):
		return map[string]any{"name": "hacked.example"}
	case kind == accountID && a != "":
		return map[string]any{"reason": "manual", "package_id": w.pkg.ID, "password": testPassword}
	case kind == domainID:
		return map[string]any{"label": "hacked"}
	case kind == resellerID && a != "":
		return map[string]any{"reason": "manual"}
	case kind == resellerID:
		return map[string]any{"tenant_id": id, "package": "hacked", "max_clients": 1}
	case kind == contractID:
		return map[string]any{"code": "BRAVOSECRET"}
	case kind == invoiceID && strings.HasSuffix(ap, "/lines"):
		return map[string]any{"description": "hacked", "unit_price": "1"}
	case kind == invoiceID && strings.HasSuffix(ap, "/credit-notes"):
		return map[string]any{"full": true, "reason": "hacked"}
	case kind == invoiceID && strings.HasSuffix(ap, "/pay"):
		return map[string]any{"gateway": "testpay", "return_url": "http://panel.test/r"}
	case kind == invoiceID && strings.HasSuffix(ap, "/apply-credit"):
		return map[string]any{"amount": "1.00"}
	case kind == invoiceID:
		return nil
	case kind == paymentID && strings.HasSuffix(ap, "/refund"):
		return map[string]any{"amount": "1.00", "reason": "hacked"}
	case kind == paymentID:
		return map[string]any{"invoice_id": w.finalB.ID}
	case kind == productID && strings.HasSuffix(ap, "/usage-prices"):
		return map[string]any{"prices": []map[string]any{{"meter": "traffic", "currency": "EUR", "model": "per_unit", "unit_price": "1"}}}
	case kind == productID:
		return map[string]any{"code": "hacked", "name": "Hacked", "kind": "hosting", "match_code": "std",
			"prices": []map[string]any{{"currency": "EUR", "cycle": "monthly", "amount": "1"}}}
	case kind == tenantID && strings.HasSuffix(ap, "/ledger"):
		return map[string]any{"chart": "skr03", "accounts": []map[string]any{{"key": "revenue", "account": "6666"}}}
	case kind == tenantID && strings.HasSuffix(ap, "/ledger/close"):
		return map[string]any{"month": "2026-01"}
	case kind == invoiceID && strings.HasSuffix(ap, "/write-off"):
		return map[string]any{"reason": "hacked"}
	case kind == tenantID && strings.HasSuffix(ap, "/tax"):
		return map[string]any{"tax_scheme": "small_business", "oss_mode": "destination"}
	case kind == tenantID && strings.HasSuffix(ap, "/billing-profile"):
		return map[string]any{"legal_name": "Hacked", "country": "DE"}
	}
	return map[string]any{"name": "Hacked"}
}

// createProbes sends the requests that create something in a tenant
// outside the actor's scope (parent, child) or name another's object.
func (w *world) createProbes(send func(string, url.Values, any) probeResult, method, path string, parent, child int64) []probeResult {
	var out []probeResult
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
	case "/hosting/new":
		out = append(out, send(path, url.Values{"tenant_id": {cid}, "package_id": {strconv.FormatInt(w.pkg.ID, 10)}, "username": {"intruder"}}, nil))
	case "/api/v1/accounts":
		out = append(out, send(path, nil, map[string]any{"tenant_id": child, "package_id": w.pkg.ID, "username": "intruder"}))
	case "/servers":
		out = append(out, send(path, url.Values{"name": {"Intruder"}, "driver": {"noop"}, "settings": {"{}"}}, nil))
	case "/api/v1/servers":
		out = append(out, send(path, nil, map[string]any{"name": "Intruder", "driver": "noop"}))
	case "/reseller-accounts":
		out = append(out, send(path, url.Values{"tenant_id": {pid}, "package": {"intruder"}}, nil))
	case "/api/v1/reseller-accounts":
		out = append(out, send(path, nil, map[string]any{"tenant_id": parent, "package": "intruder"}))
	case "/billing/coupons":
		out = append(out, send(path, url.Values{"code": {"INTRUDER"}, "kind": {"percent"}, "percent": {"50"}, "product_ids": {strconv.FormatInt(w.prodB.ID, 10)}}, nil))
	case "/api/v1/coupons":
		out = append(out, send(path, nil, map[string]any{"code": "INTRUDER", "kind": "percent", "percent": "50", "product_ids": []int64{w.prodB.ID}}))
	case "/billing/contracts":
		out = append(out, send(path, url.Values{"customer_id": {cid}, "product_id": {strconv.FormatInt(w.prodB.ID, 10)}, "cycle": {"monthly"}, "currency": {"EUR"}, "name": {"intruder"}}, nil))
	case "/api/v1/contracts":
		out = append(out, send(path, nil, map[string]any{"customer_id": child, "product_id": w.prodB.ID, "cycle": "monthly", "currency": "EUR", "name": "intruder"}))
	case "/billing/invoices/new":
		out = append(out, send(path, url.Values{"customer_id": {cid}, "currency": {"EUR"}, "description_0": {"intruder"}, "unit_price_0": {"1"}}, nil))
	case "/billing/payments/new":
		if method == http.MethodGet {
			return append(out, send(path+"?invoice_id="+strconv.FormatInt(w.finalB.ID, 10), nil, nil))
		}
		out = append(out, send(path, url.Values{"customer_id": {cid}, "amount": {"1.00"}, "currency": {"EUR"}, "method": {"cash"}, "received_on": {"2026-11-21"},
			"invoice_id": {strconv.FormatInt(w.finalB.ID, 10)}, "allocate": {"1.00"}}, nil))
	case "/api/v1/payments":
		out = append(out, send(path, nil, map[string]any{"customer_id": child, "amount": "1.00", "currency": "EUR", "method": "cash", "received_on": "2026-11-21"}),
			send(path, nil, map[string]any{"customer_id": w.cliA.ID, "amount": "1.00", "currency": "EUR", "method": "cash", "received_on": "2026-11-21",
				"allocations": []map[string]any{{"invoice_id": w.finalB.ID, "amount": "1.00"}}}))
	case "/api/v1/invoices":
		out = append(out, send(path, nil, map[string]any{"customer_id": child, "currency": "EUR", "lines": []map[string]any{{"description": "intruder", "unit_price": "1"}}}))
	case "/billing/collections/holds":
		out = append(out, send(path, url.Values{"customer_id": {cid}, "reason": {"intruder"}, "until": {"2026-12-01"}}, nil),
			send(path, url.Values{"invoice_id": {strconv.FormatInt(w.finalB.ID, 10)}, "reason": {"intruder"}, "until": {"2026-12-01"}}, nil))
	case "/api/v1/collections/holds":
		out = append(out, send(path, nil, map[string]any{"customer_id": child, "reason": "intruder", "until": "2026-12-01"}),
			send(path, nil, map[string]any{"invoice_id": w.finalB.ID, "reason": "intruder", "until": "2026-12-01"}))
	case "/api/v1/usage":
		out = append(out, send(path, nil, map[string]any{"events": []map[string]any{{"id": "intruder", "meter": "traffic", "subject_kind": "account",
			"subject_id": w.acctB.ID, "quantity": "1", "timestamp": "2026-11-22T09:00:00Z"}}}))
	default:
		w.t.Errorf("no cross-tenant probe for creating route %s %s", method, path)
	}
	return out
}

// checkIdentityHostingUntouched checks that the probes renamed, revoked
// and created nothing across tenants, and left B's hosting as seeded.
func (w *world) checkIdentityHostingUntouched() {
	t := w.t
	if n := w.count("tenants", "name LIKE ?", "%Hacked%"); n != 0 {
		t.Errorf("%d tenants renamed across tenants", n)
	}
	if n := w.count("users", "name LIKE ?", "%Hacked%"); n != 0 {
		t.Errorf("%d users renamed across tenants", n)
	}
	if n := w.count("api_keys", "revoked_at IS NOT NULL"); n != 0 {
		t.Errorf("%d API keys revoked across tenants", n)
	}
	if n := w.count("usage_events", "source <> ?", "seed"); n != 0 {
		t.Errorf("%d usage events stored across tenants", n)
	}
	if n := w.count("product_usage_prices", "1=1"); n != 0 {
		t.Errorf("%d usage prices set across tenants", n)
	}
	if n := w.count("tenants", "parent_id IN (?, ?)", w.resB.ID, w.resA.ID); n != 2 {
		t.Errorf("tenants under the resellers = %d, want 2 (nothing created across tenants)", n)
	}
	if n := w.count("users", "email LIKE ?", "%intruder%"); n != 0 {
		t.Errorf("%d users created across tenants", n)
	}
	w.work()
	if n := w.count("accounts", "id = ? AND state = 'active' AND target = 'active' AND package_id = ?", w.acctB.ID, w.pkg.ID); n != 1 {
		t.Error("tenant B's account was changed across tenants")
	}
	if n := w.count("domains", "account_id = ? AND state = 'active' AND target = 'active'", w.acctB.ID); n != 2 {
		t.Errorf("tenant B's account has %d active domains after the probes, want 2", n)
	}
	if n := w.count("provisioning_jobs", "account_id = ? AND action <> 'create' AND action <> 'add_site'", w.acctB.ID); n != 0 {
		t.Errorf("%d jobs queued on tenant B's account across tenants", n)
	}
	if n := w.count("reseller_accounts", "state = 'active'"); n != 2 {
		t.Errorf("active reseller accounts = %d, want 2", n)
	}
	if n := w.count("accounts", "username LIKE ?", "%intruder%") + w.count("servers", "name LIKE ?", "%ntruder%") + w.count("domains", "name LIKE ?", "%hacked%"); n != 0 {
		t.Errorf("%d accounts, servers or domains created across tenants", n)
	}
}

// checkBillingUntouched checks that the probes changed nothing of B's
// billing: its catalog, contract, invoices and profile are as seeded, and
// nothing was created on anyone's behalf.
func (w *world) checkBillingUntouched() {
	t := w.t
	if n := w.count("payment_methods", "id = ?", w.methodB.ID); n != 1 {
		t.Error("tenant B's saved payment method was removed across tenants")
	}
	if n := w.count("payments", "1 = 1"); n != 2 {
		t.Errorf("%d payments after the probes, want the 2 seeded", n)
	}
	if n := w.count("payment_allocations", "1 = 1") + w.count("payment_refunds", "1 = 1") + w.count("payments", "refunded_minor <> 0"); n != 0 {
		t.Errorf("%d allocations or refunds made across tenants", n)
	}
	if n := w.count("settings", "value = ?", "99"); n != 0 {
		t.Errorf("%d settings changed across tenants", n)
	}
	if n := w.count("products", "name LIKE ? OR code LIKE ?", "%Hacked%", "%hacked%"); n != 0 {
		t.Errorf("%d products changed across tenants", n)
	}
	if n := w.count("contracts", "id = ? AND status = 'active' AND coupon_id IS NULL", w.contractB.ID); n != 1 {
		t.Error("tenant B's contract was terminated or discounted across tenants")
	}
	if n := w.count("contracts", "subject_name LIKE ?", "%intruder%") + w.count("coupons", "code = ?", "INTRUDER"); n != 0 {
		t.Errorf("%d contracts or coupons created across tenants", n)
	}
	if n := w.count("invoices", "id = ? AND status = 'draft'", w.draftB.ID); n != 1 {
		t.Error("tenant B's draft was finalized or deleted across tenants")
	}
	if n := w.count("invoices", "id IN (?, ?) AND status = 'finalized' AND credited_minor = 0", w.finalB.ID, w.opInvA.ID); n != 2 {
		t.Error("a finalized invoice was credited or changed across tenants")
	}
	if n := w.count("ledger_books", "chart <> '' OR closed_through <> ''") + w.count("ledger_accounts", "1 = 1") + w.count("ledger_exports", "1 = 1"); n != 0 {
		t.Errorf("%d books changed or exported across tenants", n)
	}
	if n := w.count("invoices", "status = 'uncollectible' OR written_off_minor <> 0"); n != 0 {
		t.Errorf("%d invoices written off across tenants", n)
	}
	if n := w.count("invoices", "kind = 'credit_note'"); n != 0 {
		t.Errorf("%d credit notes issued across tenants", n)
	}
	if n := w.count("invoice_lines", "description LIKE ?", "%intruder%") + w.count("invoice_lines", "description LIKE ?", "%hacked%"); n != 0 {
		t.Errorf("%d invoice lines written across tenants", n)
	}
	if n := w.count("billing_profiles", "legal_name LIKE ?", "%Hacked%"); n != 0 {
		t.Errorf("%d billing profiles changed across tenants", n)
	}
	if n := w.count("dunning_holds", "id = ? AND released_at IS NULL", w.holdB.ID); n != 1 {
		t.Error("tenant B's hold was ended across tenants")
	}
	if n := w.count("dunning_holds", "reason LIKE ?", "%intruder%"); n != 0 {
		t.Errorf("%d holds put across tenants", n)
	}
}
