package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"faktura/panel/core/db/dbtest"
)

// sessionCookie is the session cookie's name.
const sessionCookie = "faktura_session"

func cookie(r resp, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestSignInThrottle: five wrong passwords within a minute close the
// account for the rest of the minute; the sixth attempt is refused even
// with the right password, and unknown accounts answer exactly alike.
func TestSignInThrottle(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		b := w.browser()
		for i := range 5 {
			r := b.post("/login", url.Values{"email": {"owner@a.test"}, "password": {"wrong password " + string(rune('a'+i))}})
			if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "e-mail address or password is wrong") {
				t.Fatalf("wrong password %d = %d, want 401 with the generic message", i+1, r.status)
			}
		}
		r := b.post("/login", url.Values{"email": {"owner@a.test"}, "password": {testPassword}})
		if r.status != http.StatusTooManyRequests || cookie(r, sessionCookie) != nil {
			t.Fatalf("sixth attempt with the right password = %d, want 429 and no session", r.status)
		}
		// An account that does not exist is throttled the same way.
		for range 5 {
			b.post("/login", url.Values{"email": {"nobody@nowhere.test"}, "password": {"whatever it is"}})
		}
		if r := b.post("/login", url.Values{"email": {"nobody@nowhere.test"}, "password": {"whatever it is"}}); r.status != http.StatusTooManyRequests {
			t.Errorf("sixth attempt for an unknown account = %d, want 429 like a real one", r.status)
		}
		// Twenty failures from one address close it for every account.
		for i := range 10 {
			b.post("/login", url.Values{"email": {"spray" + string(rune('a'+i)) + "@x.test"}, "password": {"whatever it is"}})
		}
		if r := b.post("/login", url.Values{"email": {"admin@op.test"}, "password": {testPassword}}); r.status != http.StatusTooManyRequests {
			t.Errorf("right password after 20 failures from the address = %d, want 429", r.status)
		}
		w.clock.Advance(61 * time.Second)
		if r := b.post("/login", url.Values{"email": {"owner@a.test"}, "password": {testPassword}}); r.status != http.StatusSeeOther {
			t.Errorf("after the minute = %d, want 303", r.status)
		}
		if n := w.count("audit_log", "action = ?", "user.login"); n != 1 {
			t.Errorf("user.login audit entries = %d, want 1", n)
		}
	})
}

// TestSessionsAndCSRF: the session cookie is HttpOnly and SameSite, the id
// changes at sign-in, sign-out-everywhere ends other browsers' sessions,
// and a form without its CSRF token changes nothing.
func TestSessionsAndCSRF(t *testing.T) {
	h := dbtest.Open(t, dbtest.SQLite, testSets)
	w := newWorld(t, h, worldOpts{})
	b := w.browser()
	first := b.post("/login", url.Values{"email": {"admin@op.test"}, "password": {testPassword}})
	c1 := cookie(first, sessionCookie)
	if c1 == nil || !c1.HttpOnly || c1.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v, want HttpOnly and SameSite=Lax", c1)
	}
	again := b.post("/login", url.Values{"email": {"admin@op.test"}, "password": {testPassword}})
	if c2 := cookie(again, sessionCookie); c2 == nil || c2.Value == c1.Value {
		t.Errorf("signing in again kept the session id")
	}
	if n := w.count("sessions", "user_id = ?", w.admin.ID); n != 1 {
		t.Errorf("sessions after signing in twice in one browser = %d, want 1 (the old one ends)", n)
	}

	// A form POST without the token is refused and creates nothing.
	before := w.count("tenants", "1=1")
	r := b.postRaw("/tenants/new", url.Values{"kind": {"reseller"}, "name": {"No Token"}, "email": {"nt@x.test"}})
	if r.status != http.StatusForbidden || w.count("tenants", "1=1") != before {
		t.Errorf("POST without CSRF token = %d, tenants %d -> %d; want 403 and nothing created", r.status, before, w.count("tenants", "1=1"))
	}
	r = b.postRaw("/tenants/new", url.Values{"_csrf": {"forged-token-forged-token-forged"}, "kind": {"reseller"}, "name": {"No Token"}, "email": {"nt@x.test"}})
	if r.status != http.StatusForbidden {
		t.Errorf("POST with a wrong CSRF token = %d, want 403", r.status)
	}
	if r := w.browser().postRaw("/login", url.Values{"email": {"admin@op.test"}, "password": {testPassword}}); r.status != http.StatusForbidden {
		t.Errorf("sign-in POST without CSRF token = %d, want 403", r.status)
	}

	other := w.signIn("admin@op.test")
	if r := b.post("/profile/signout-all", nil); r.status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere = %d", r.status)
	}
	if r := other.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Errorf("other browser after sign-out-everywhere = %d %s, want a redirect to sign-in", r.status, r.location)
	}
	if n := w.count("sessions", "user_id = ?", w.admin.ID); n != 0 {
		t.Errorf("sessions left = %d, want 0", n)
	}
}

// TestTwoFactor enrols TOTP through the pages, then signs in with a code,
// refuses the same code twice, accepts a recovery code once, and enforces
// the operator's per-role requirement.
func TestTwoFactor(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		b := w.signIn("owner@clienta.test")
		r := b.get("/profile/2fa")
		secret := between(r.body, `id="totp-secret">`, "<")
		if r.status != 200 || secret == "" || !strings.Contains(r.body, "data:image/png;base64,") {
			t.Fatalf("enrolment page = %d, secret %q; want a QR code and the secret", r.status, secret)
		}
		if r := b.post("/profile/2fa", url.Values{"code": {"000000"}}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("wrong enrolment code = %d, want 422", r.status)
		}
		code, _ := totp.GenerateCode(secret, w.clock.Now())
		r = b.post("/profile/2fa", url.Values{"code": {code}})
		if r.status != 200 || !strings.Contains(r.body, `id="recovery-codes"`) {
			t.Fatalf("confirm enrolment = %d; want the recovery codes", r.status)
		}
		recovery := between(r.body, `<ul class="codes" id="recovery-codes"><li>`, "<")

		w.clock.Advance(30 * time.Second)
		b2 := w.browser()
		r = b2.post("/login", url.Values{"email": {"owner@clienta.test"}, "password": {testPassword}})
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login/2fa") {
			t.Fatalf("password step = %d %s, want the second step", r.status, r.location)
		}
		pending := cookie(r, sessionCookie)
		if r := b2.get("/"); r.status != http.StatusSeeOther || r.location != "/login/2fa" {
			t.Errorf("dashboard before the second factor = %d %s, want /login/2fa", r.status, r.location)
		}
		if r := b2.post("/login/2fa", url.Values{"code": {"123456"}}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("wrong code = %d, want 422", r.status)
		}
		code, _ = totp.GenerateCode(secret, w.clock.Now())
		r = b2.post("/login/2fa", url.Values{"code": {code}})
		if r.status != http.StatusSeeOther || cookie(r, sessionCookie) == nil || cookie(r, sessionCookie).Value == pending.Value {
			t.Fatalf("right code = %d; want a redirect and a new session id", r.status)
		}
		if r := b2.get("/"); r.status != 200 {
			t.Errorf("dashboard after two factors = %d", r.status)
		}

		b3 := w.browser()
		b3.post("/login", url.Values{"email": {"owner@clienta.test"}, "password": {testPassword}})
		if r := b3.post("/login/2fa", url.Values{"code": {code}}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("replayed code = %d, want 422", r.status)
		}
		if r := b3.post("/login/2fa", url.Values{"code": {recovery}}); r.status != http.StatusSeeOther {
			t.Errorf("recovery code = %d, want 303", r.status)
		}
		b4 := w.browser()
		b4.post("/login", url.Values{"email": {"owner@clienta.test"}, "password": {testPassword}})
		if r := b4.post("/login/2fa", url.Values{"code": {recovery}}); r.status != http.StatusUnprocessableEntity {
			t.Errorf("used recovery code again = %d, want 422", r.status)
		}

		// The operator requires two factors for reseller owners: owner@a.test
		// is sent to enrolment until it has one.
		admin := w.signIn("admin@op.test")
		if r := admin.post("/settings/security", url.Values{"require": {"reseller.owner"}}); r.status != http.StatusSeeOther {
			t.Fatalf("set policy = %d %s", r.status, r.body)
		}
		ra := w.signIn("owner@a.test")
		if r := ra.get("/tenants?kind=client"); r.status != http.StatusSeeOther || r.location != "/profile/2fa" {
			t.Errorf("reseller owner without 2FA = %d %s, want /profile/2fa", r.status, r.location)
		}
		if r := ra.get("/profile/2fa"); r.status != 200 || !strings.Contains(r.body, "requires two-factor") {
			t.Errorf("enrolment page does not say it is required: %d", r.status)
		}
	})
}

func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return strings.TrimSpace(v)
}
