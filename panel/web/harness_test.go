package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/archive"
	"faktura/billing/document/pdf"
	"faktura/billing/dunning"
	"faktura/billing/ledger"
	"faktura/billing/payment"
	"faktura/billing/payment/gatewaytest"
	"faktura/billing/usage"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/automation"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/mail"
	"faktura/panel/core/outbox"
	"faktura/panel/core/schema"
	secretbox "faktura/panel/core/secret"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/panel/web/admin"
	billingweb "faktura/panel/web/billing"
	collectionsweb "faktura/panel/web/collections"
	hostingweb "faktura/panel/web/hosting"
	paymentsweb "faktura/panel/web/payments"
	settingsweb "faktura/panel/web/settings"
	"faktura/panel/web/signin"
	_ "faktura/plugins/csvjournal" // the export formats the ledger offers
	_ "faktura/plugins/datev"
	_ "faktura/plugins/fec"
	"faktura/provisioning"
	_ "faktura/provisioning/nginx"
	_ "faktura/provisioning/noop"
	"faktura/themes"
)

// Areas are the panel's areas, as the composition root lists them.
var Areas = []web.Area{signin.Area{}, admin.Area{}, hostingweb.Area{}, billingweb.Area{}, paymentsweb.Area{}, collectionsweb.Area{}, settingsweb.Area{}}

var testSets = []db.MigrationSet{schema.Set, identity.Migrations, provisioning.Migrations, billing.Migrations}

// fastArgon keeps password hashing cheap in tests; the format and the
// verification are the same as in production.
var fastArgon = identity.Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1}

const testPassword = "correct horse battery"

// world is a running panel with two reseller trees, A and B, each with a
// client, users and API keys.
type world struct {
	t     testing.TB
	h     *db.Handle
	s     *web.Server
	srv   *httptest.Server
	id    *identity.Service
	clock *core.FrozenClock
	logs  *bytes.Buffer
	run   *automation.Runner

	admin                     identity.User
	resA, cliA, resB, cliB    identity.Tenant
	ownerA, ownerCliA         identity.User
	ownerB, ownerCliB, usB    identity.User
	keyA, keyCliA, keyB       string
	keyIDA, keyIDB, keyIDCliB int64
	adminKey                  string

	hosting                *provisioning.Service
	server                 provisioning.Server
	pkg                    provisioning.Package
	raA, raB               provisioning.ResellerAccount
	acctA, acctB           provisioning.Account // accounts of cliA and cliB, with a domain and a subdomain each
	domA, domB, subA, subB provisioning.Domain

	billing                *billing.Service
	prodOp, prodA, prodB   billing.Product // the operator's wholesale product and each reseller's retail one
	contractA, contractB   billing.Contract
	arc                    *archive.Service
	mailbox                *mail.Outbox
	draftB, finalB, opInvA billing.Invoice // B's draft and finalized invoices to its client; the operator's to reseller A
	pay                    *payment.Service
	payA, payB             payment.Payment // each reseller's client paid it 1.00 USD (kept as credit)
	attemptB               payment.Attempt // B's client started paying B's invoice online
	methodB                payment.Method  // B's client's saved card
	dun                    *dunning.Service
	holdB                  dunning.Hold // B put its finalized invoice on hold
}

type worldOpts struct {
	mail *mail.Sender
}

func newWorld(t testing.TB, h *db.Handle, o worldOpts) *world {
	t.Helper()
	clock := core.NewFrozenClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))
	st := settings.NewStore(h, clock)
	bus := outbox.NewBus(h, clock)
	hosting := provisioning.New(h, clock, bus, audit.New(h, clock), provisioning.Options{})
	id, err := identity.New(h, clock, audit.New(h, clock), st, identity.Options{Argon2: fastArgon, CheckNewClient: hosting.CheckNewClient})
	if err != nil {
		t.Fatal(err)
	}
	theme, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if o.mail == nil {
		o.mail = mail.NewSender(mail.Options{})
	}
	var logs bytes.Buffer
	bill := billing.New(h, clock, audit.New(h, clock), st, billing.Options{})
	pay := payment.New(h, clock, audit.New(h, clock), st, bill)
	bill.UseOverpayments(pay)
	box, err := secretbox.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	pay.UseSecrets(box)
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	renderer, err := pdf.New("/usr/share/fonts/truetype/dejavu", theme, pdf.DefaultLayout)
	if err != nil {
		t.Fatal(err)
	}
	arc := archive.New(h, clock, bill, renderer, archive.Options{Log: log})
	mailbox := mail.NewOutbox(h, clock, o.mail, box, "panel.test")
	arc.UseMail(mailbox, theme, "http://panel.test")
	runner := automation.NewRunner(h, clock, "test", log)
	dun := dunning.New(h, clock, audit.New(h, clock), st, bill, bus, dunning.Options{Enforcer: hosting, Mail: mailbox, Tpl: theme,
		BaseURL: "http://panel.test", AttachPDF: true, Log: log})
	s := web.New(web.Deps{DB: h, Bus: bus, Log: log, Identity: id, Hosting: hosting, Billing: bill, Theme: theme, Runner: runner,
		Audit: audit.New(h, clock), Clock: clock, Settings: st, SettingDefs: slices.Concat(bill.SettingDefs(), pay.SettingDefs(), dunning.SettingDefs(), usage.SettingDefs()), Usage: usage.New(h, clock, audit.New(h, clock), st), Payments: pay, Archive: arc, Dunning: dun,
		Ledger: ledger.New(h, clock, audit.New(h, clock), bill), Mail: o.mail, BaseURL: "http://panel.test", SessionLifetime: 24 * time.Hour, ResetTTL: time.Hour}, Areas...)
	w := &world{t: t, h: h, s: s, arc: arc, mailbox: mailbox, id: id, clock: clock, logs: &logs, hosting: hosting, billing: bill, pay: pay, run: runner, dun: dun}
	w.srv = httptest.NewServer(s)
	t.Cleanup(func() { w.srv.Close(); s.Wait() })
	w.seed()
	return w
}

func (w *world) seed() {
	t, ctx := w.t, context.Background()
	sys := identity.SystemCaller("test")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	w.admin, err = w.id.CreateUser(ctx, sys, identity.CreateUserInput{Email: "admin@op.test", Name: "Operator Admin", Role: identity.RoleAdmin, Password: testPassword})
	must(err)
	mk := func(kind tenancy.Kind, parent int64, name, email string) identity.Tenant {
		tn, err := w.id.CreateTenant(ctx, sys, identity.CreateTenantInput{Kind: kind, ParentID: parent, Name: name, Email: email, Country: "DE"})
		must(err)
		return tn
	}
	user := func(tn identity.Tenant, email, name string, role identity.Role) identity.User {
		u, err := w.id.CreateUser(ctx, sys, identity.CreateUserInput{TenantID: tn.ID, Email: email, Name: name, Role: role, Password: testPassword})
		must(err)
		return u
	}
	key := func(tn identity.Tenant, role identity.Role) (string, int64) {
		k, tok, err := w.id.CreateAPIKey(ctx, sys, identity.CreateKeyInput{TenantID: tn.ID, Role: role, Name: "key of " + tn.Name})
		must(err)
		return tok, k.ID
	}
	w.resA = mk(tenancy.KindReseller, 0, "Alpha Hosting", "alpha@a.test")
	w.cliA = mk(tenancy.KindClient, w.resA.ID, "Alpha Client", "client@a.test")
	w.resB = mk(tenancy.KindReseller, 0, "Bravo Secret Hosting", "bravo@b.test")
	w.cliB = mk(tenancy.KindClient, w.resB.ID, "Bravo Secret Client", "client@b.test")
	w.ownerA = user(w.resA, "owner@a.test", "Alpha Owner", identity.RoleOwner)
	w.ownerCliA = user(w.cliA, "owner@clienta.test", "Alpha Client Owner", identity.RoleOwner)
	w.ownerB = user(w.resB, "owner@b.test", "Bravo Secret Owner", identity.RoleOwner)
	w.ownerCliB = user(w.cliB, "owner@clientb.test", "Bravo Secret Client Owner", identity.RoleOwner)
	w.usB = user(w.cliB, "user@clientb.test", "Bravo Secret User", identity.RoleUser)
	w.keyA, w.keyIDA = key(w.resA, identity.RoleOwner)
	w.keyCliA, _ = key(w.cliA, identity.RoleOwner)
	w.keyB, w.keyIDB = key(w.resB, identity.RoleOwner)
	_, w.keyIDCliB = key(w.cliB, identity.RoleOwner)
	w.adminKey, _ = key(identity.Tenant{ID: tenancy.OperatorID}, identity.RoleAdmin)
	w.seedHosting()
	w.seedBilling()
}

// seedBilling gives the operator and both resellers a product, each
// reseller a contract with its client, reseller B a draft and a
// finalized invoice to its client, and the operator an invoice to
// reseller A.
func (w *world) seedBilling() {
	t, ctx, b := w.t, context.Background(), w.billing
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	op := identity.SystemCaller("test").Scope
	price := func(amount string) []billing.PriceInput {
		return []billing.PriceInput{{Currency: "EUR", Cycle: billing.CycleMonthly, Amount: amount}}
	}
	_, err := b.SaveProfile(ctx, op, tenancy.OperatorID, billing.ProfileInput{LegalName: "Operator GmbH", Address1: "Hauptstr. 1", PostalCode: "10115",
		City: "Berlin", Country: "DE", Currency: "EUR", Language: "de", Timezone: "Europe/Berlin", VATID: "DE136695976"})
	must(err)
	for _, r := range []identity.Tenant{w.resA, w.resB} { // German sellers print a Steuernummer or USt-IdNr
		_, err = b.SaveProfile(ctx, op, r.ID, billing.ProfileInput{LegalName: r.Name, Country: "DE", Email: r.Email, TaxNumber: "27/123/45678", Timezone: "Europe/Berlin"})
		must(err)
	}
	w.prodOp, err = b.CreateProduct(ctx, op, billing.ProductInput{Code: "wholesale", Name: "Wholesale Std", Kind: billing.KindHosting, MatchCode: "std", Prices: price("5.00")})
	must(err)
	w.prodA, err = b.CreateProduct(ctx, w.resA.Scope(), billing.ProductInput{Code: "alpha-std", Name: "Alpha Plan", Kind: billing.KindHosting, MatchCode: "std", Prices: price("9.00")})
	must(err)
	w.prodB, err = b.CreateProduct(ctx, w.resB.Scope(), billing.ProductInput{Code: "bravo-std", Name: "Bravo Secret Plan", Kind: billing.KindHosting, MatchCode: "std", Prices: price("11.00")})
	must(err)
	_, err = b.CreateCoupon(ctx, w.resB.Scope(), billing.CouponInput{Code: "BRAVOSECRET", Name: "Bravo Secret deal", Kind: billing.CouponPercent, Percent: "10"})
	must(err)
	w.contractA, err = b.CreateContract(ctx, w.resA.Scope(), billing.ContractInput{CustomerID: w.cliA.ID, ProductID: w.prodA.ID, Cycle: billing.CycleMonthly, Currency: "EUR", Name: "Alpha support"})
	must(err)
	w.contractB, err = b.CreateContract(ctx, w.resB.Scope(), billing.ContractInput{CustomerID: w.cliB.ID, ProductID: w.prodB.ID, Cycle: billing.CycleMonthly, Currency: "EUR", Name: "Bravo Secret support"})
	must(err)
	line := []billing.LineInput{{Description: "Bravo Secret consulting", Quantity: "2", UnitPrice: "50"}}
	w.draftB, err = b.CreateInvoice(ctx, w.resB.Scope(), billing.InvoiceInput{CustomerID: w.cliB.ID, Currency: "EUR", Lines: line})
	must(err)
	w.finalB, err = b.CreateInvoice(ctx, w.resB.Scope(), billing.InvoiceInput{CustomerID: w.cliB.ID, Currency: "EUR", Lines: line})
	must(err)
	_, err = b.Finalize(ctx, w.resB.Scope(), w.finalB.ID) // manual lines wait for approval
	must(err)
	w.finalB, err = b.Approve(ctx, w.resB.Scope(), w.finalB.ID)
	must(err)
	w.opInvA, err = b.CreateInvoice(ctx, op, billing.InvoiceInput{CustomerID: w.resA.ID, Currency: "EUR", Lines: []billing.LineInput{{Description: "Wholesale hosting", UnitPrice: "5"}}})
	must(err)
	_, err = b.Finalize(ctx, op, w.opInvA.ID)
	must(err)
	w.opInvA, err = b.Approve(ctx, op, w.opInvA.ID)
	must(err)
	paid := func(seller, customer identity.Tenant, ref string) payment.Payment {
		p, err := w.pay.RecordManual(ctx, seller.Scope(), payment.ManualInput{CustomerID: customer.ID, Method: "bank_transfer", Amount: "1.00",
			Currency: "USD", ReceivedOn: "2026-11-21", Reference: ref}) // no USD invoice takes it: credit

		must(err)
		return p
	}
	w.payA, w.payB = paid(w.resA, w.cliA, "alpha transfer"), paid(w.resB, w.cliB, "Bravo Secret transfer")
	gatewaytest.Provider.Reset()
	for _, seller := range []identity.Tenant{w.resA, w.resB} {
		_, err = w.pay.ConfigureGateway(ctx, seller.Scope(), gatewaytest.Name, payment.GatewayInput{Enabled: true,
			Settings: map[string]string{"account": "acct_" + seller.Name, "signing_secret": "whsec_" + seller.Name}})
		must(err)
	}
	w.holdB, err = w.dun.PutHold(ctx, w.resB.Scope(), dunning.HoldInput{InvoiceID: w.finalB.ID, Reason: "Bravo Secret dispute", Until: "2026-12-10"})
	must(err)
	w.attemptB, err = w.pay.Pay(ctx, w.cliB.Scope(), w.finalB.ID, payment.PayInput{Gateway: gatewaytest.Name, ReturnURL: "http://panel.test/billing/pay/return"})
	must(err)
	w.methodB = payment.Method{SellerID: w.resB.ID, CustomerID: w.cliB.ID, CustomerPath: w.cliB.Path, Gateway: gatewaytest.Name, ProviderCustomer: "cus_bravo",
		ProviderMethod: "pm_bravo", Label: "Bravo Secret card", AutoCharge: true, CreatedAt: w.clock.Now(), UpdatedAt: w.clock.Now()}
	must(w.h.W.Create(&w.methodB).Error)
	if w.finalB.Number == nil || w.opInvA.Number == nil {
		t.Fatalf("seeded invoices not finalized: %s, %s", w.finalB.Status, w.opInvA.Status)
	}
}

// seedHosting gives both resellers a reseller account and each client an
// account with a domain and a subdomain on a noop server.
func (w *world) seedHosting() {
	t, ctx, hs := w.t, context.Background(), w.hosting
	op := identity.SystemCaller("test").Scope
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	var err error
	w.server, err = hs.CreateServer(ctx, provisioning.ServerInput{Name: "web-noop", Driver: "noop", Settings: []byte(`{"label":"web"}`)})
	must(err)
	w.pkg, err = hs.CreatePackage(ctx, op, provisioning.PackageInput{Code: "std", Name: "Standard", DiskMB: 1000, TrafficMB: 1000, ClientSubdomains: true})
	must(err)
	w.raA, err = hs.CreateReseller(ctx, op, provisioning.ResellerInput{TenantID: w.resA.ID, Package: "reseller-a", MaxClients: 10})
	must(err)
	w.raB, err = hs.CreateReseller(ctx, op, provisioning.ResellerInput{TenantID: w.resB.ID, Package: "reseller-b", MaxClients: 10})
	must(err)
	mk := func(tn identity.Tenant, user, domain string) (provisioning.Account, provisioning.Domain, provisioning.Domain) {
		a, err := hs.CreateAccount(ctx, op, provisioning.CreateAccountInput{TenantID: tn.ID, PackageID: w.pkg.ID, Username: user, Domain: domain})
		must(err)
		doms, err := hs.Domains(ctx, op, a.ID)
		must(err)
		sub, err := hs.AddSubdomain(ctx, op, doms[0].ID, "blog")
		must(err)
		return a, doms[0], sub
	}
	w.acctA, w.domA, w.subA = mk(w.cliA, "alpha", "alpha-client.example")
	w.acctB, w.domB, w.subB = mk(w.cliB, "bravosecret", "bravo-secret.example")
	w.work()
}

// work runs the provisioning jobs that are due.
func (w *world) work() {
	wk := w.hosting.NewWorker("test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	for {
		n, err := wk.RunOnce(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	w *world
	c *http.Client
}

func (w *world) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{w: w, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type resp struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(req *http.Request) resp {
	b.w.t.Helper()
	r, err := b.c.Do(req)
	if err != nil {
		b.w.t.Fatal(err)
	}
	defer r.Body.Close()
	body, _ := io.ReadAll(r.Body)
	return resp{r.StatusCode, string(body), r.Header.Get("Location"), r.Header}
}

func (b *browser) get(path string) resp {
	req, _ := http.NewRequest(http.MethodGet, b.w.srv.URL+path, nil)
	return b.do(req)
}

// csrf returns the form token, fetching the sign-in page once to get one.
func (b *browser) csrf() string {
	u, _ := url.Parse(b.w.srv.URL)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "_csrf" {
			return c.Value
		}
	}
	b.get("/login")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "_csrf" {
			return c.Value
		}
	}
	b.w.t.Fatal("no CSRF cookie")
	return ""
}

// post submits a form with the CSRF token.
func (b *browser) post(path string, form url.Values) resp {
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", b.csrf())
	return b.postRaw(path, form)
}

// postRaw submits a form as it is.
func (b *browser) postRaw(path string, form url.Values) resp {
	req, _ := http.NewRequest(http.MethodPost, b.w.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn signs in with the test password and fails the test otherwise.
func (w *world) signIn(email string) *browser {
	w.t.Helper()
	b := w.browser()
	r := b.post("/login", url.Values{"email": {email}, "password": {testPassword}})
	if r.status != http.StatusSeeOther || r.location != "/" {
		w.t.Fatalf("sign in %s: %d %s %.300s", email, r.status, r.location, r.body)
	}
	return b
}

// api calls the JSON API with a key.
func (w *world) api(key, method, path string, body any, hdr ...string) resp {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		switch v := body.(type) {
		case string:
			rd = strings.NewReader(v)
		default:
			b, _ := json.Marshal(v)
			rd = bytes.NewReader(b)
		}
	}
	req, _ := http.NewRequest(method, w.srv.URL+path, rd)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return (&browser{w: w, c: http.DefaultClient}).do(req)
}

// count returns the rows of a table matching a condition.
func (w *world) count(table, where string, args ...any) int64 {
	var n int64
	if err := w.h.W.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		w.t.Fatal(err)
	}
	return n
}

// eachWorld runs fn on a fresh world on each database.
func eachWorld(t *testing.T, fn func(t *testing.T, w *world)) {
	t.Helper()
	dbtest.Each(t, testSets, func(t *testing.T, h *db.Handle) { fn(t, newWorld(t, h, worldOpts{})) })
}
