package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"faktura/panel/core/db/dbtest"
)

// chromium finds the browser: $FAKTURA_TEST_CHROMIUM, else Debian's
// package. Without one the test skips, except under CI, where the README
// test command installs it and a skip would hide a missing step.
func chromium(t *testing.T) string {
	for _, p := range []string{os.Getenv("FAKTURA_TEST_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium found under CI; ./test.sh installs Debian's chromium package")
	}
	t.Skip("no Chromium found (install Debian's chromium package, or run ./test.sh); skipping the browser test")
	return ""
}

// tab drives one headless Chromium tab and saves a screenshot when a step
// fails.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string
}

func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.fail("%s: %v", what, err)
	}
}

func (b *tab) fail(format string, args ...any) {
	b.t.Helper()
	path := filepath.Join(b.shot, fmt.Sprintf("browser-failure-%d.png", time.Now().UnixNano()))
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil && os.WriteFile(path, png, 0o644) == nil {
		b.t.Fatalf(format+"\nscreenshot: %s", append(args, path)...)
	}
	b.t.Fatalf(format, args...)
}

func (b *tab) html() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		b.fail("read page: %v", err)
	}
	return s
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.fail("read %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

func (b *tab) open(path, waitFor string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

func (b *tab) signIn(email, password, waitFor string) {
	b.t.Helper()
	b.open("/login", "#login-form")
	b.do("sign in as "+email,
		chromedp.SendKeys(chromedp.CSS("#email"), email), chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login-submit")), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

func (b *tab) signOut() {
	b.t.Helper()
	b.do("sign out", chromedp.Click(chromedp.CSS("#logout")), chromedp.WaitVisible(chromedp.CSS("#login-form")))
}

func (b *tab) must(cond bool, format string, args ...any) {
	b.t.Helper()
	if !cond {
		b.fail(format, args...)
	}
}

// TestBrowser walks the panel in headless Chromium: the admin creates a
// reseller, the reseller creates a client, the client turns on two-factor
// sign-in and signs in with it; each sees only what is theirs.
func TestBrowser(t *testing.T) {
	w, b := openBrowser(t)
	browserResellerAndClient(b, w)
	browserTwoFactor(b, w)
	browserInvoice(b)
}

// openBrowser starts a world on SQLite and a headless Chromium tab on its
// panel.
func openBrowser(t *testing.T) (*world, *tab) {
	exe := chromium(t)
	h := dbtest.Open(t, dbtest.SQLite, testSets)
	w := newWorld(t, h, worldOpts{})
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	shots := os.Getenv("FAKTURA_TEST_ARTIFACTS")
	if shots == "" {
		shots = os.TempDir()
	}
	// The first action starts the browser; it must run on the tab's own
	// context, or the end of a per-step timeout would close the browser.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium (%s): %v", exe, err)
	}
	return w, &tab{t: t, ctx: ctx, base: w.srv.URL, shot: shots}
}

// browserResellerAndClient: the admin creates a reseller with its owner;
// the reseller sees its own area only, creates a client and sets its
// brand.
func browserResellerAndClient(b *tab, w *world) {
	// The admin creates a reseller with its owner.
	b.signIn("admin@op.test", testPassword, "#tenant-name")
	b.open("/tenants/new?kind=reseller", "#tenant-form")
	b.do("create reseller",
		chromedp.SendKeys(chromedp.CSS("#name"), "Charlie Web"), chromedp.SendKeys(chromedp.CSS("#email"), "charlie@c.test"),
		chromedp.SendKeys(chromedp.CSS("#owner_email"), "owner@c.test"), chromedp.SendKeys(chromedp.CSS("#owner_name"), "Charlie Owner"),
		chromedp.SendKeys(chromedp.CSS("#owner_password"), "charlie's long password"),
		chromedp.Click(chromedp.CSS("#tenant-submit")), chromedp.WaitVisible(chromedp.CSS("#tenant-users")))
	b.must(strings.Contains(b.html(), "owner@c.test"), "the new reseller's page does not list its owner")
	b.open("/tenants?kind=reseller", "#tenants")
	page := b.html()
	b.must(strings.Contains(page, "Charlie Web") && strings.Contains(page, "Bravo Secret Hosting"), "the admin does not see every reseller")
	b.signOut()

	// The reseller sees its own area only, and creates a client.
	b.signIn("owner@c.test", "charlie's long password", "#tenant-name")
	nav := b.text("nav.nav")
	b.must(strings.Contains(nav, "Clients") && !strings.Contains(nav, "Resellers") && !strings.Contains(nav, "Security"), "reseller navigation = %q", nav)
	b.open("/tenants/new?kind=client", "#tenant-form")
	b.do("create client",
		chromedp.SendKeys(chromedp.CSS("#name"), "Delta Shop"), chromedp.SendKeys(chromedp.CSS("#email"), "delta@d.test"),
		chromedp.SendKeys(chromedp.CSS("#owner_email"), "owner@d.test"), chromedp.SendKeys(chromedp.CSS("#owner_password"), "delta's long password"),
		chromedp.Click(chromedp.CSS("#tenant-submit")), chromedp.WaitVisible(chromedp.CSS("#tenant-users")))
	b.open("/tenants?kind=client", "#tenants")
	page = b.html()
	b.must(strings.Contains(page, "Delta Shop") && !strings.Contains(page, "Alpha Client") && !strings.Contains(page, "Bravo"), "the reseller's client list shows other resellers' clients")
	b.open(fmt.Sprintf("/tenants/%d", w.resB.ID), "h1")
	b.must(b.text("h1") == "Not found" && !strings.Contains(b.html(), "Bravo"), "the reseller can open another reseller")
	b.open("/brand", "#brand-form")
	b.do("set brand", chromedp.SendKeys(chromedp.CSS("#brand_name"), "Charlie Cloud"), chromedp.Submit(chromedp.CSS("#brand_name")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.signOut()

}

// browserTwoFactor: the client turns on two-factor sign-in, signs in
// with a code, and sees nothing of other tenants.
func browserTwoFactor(b *tab, w *world) {
	b.signIn("owner@d.test", "delta's long password", "#tenant-name")
	b.must(strings.Contains(b.text(".brand"), "Charlie Cloud"), "the client does not see its reseller's brand: %q", b.text(".brand"))
	nav := b.text("nav.nav")
	b.must(!strings.Contains(nav, "Clients") && !strings.Contains(nav, "Audit") && !strings.Contains(nav, "Resellers"), "client navigation = %q", nav)
	b.open("/profile/2fa", "#totp-secret")
	secret := b.text("#totp-secret")
	code, err := totp.GenerateCode(secret, w.clock.Now())
	if err != nil {
		b.fail("code for %q: %v", secret, err)
	}
	b.do("confirm 2FA", chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("#totp-submit")), chromedp.WaitVisible(chromedp.CSS("#recovery-codes")))
	b.open("/", "#tenant-name")
	b.signOut()

	w.clock.Advance(30 * time.Second)
	b.signIn("owner@d.test", "delta's long password", "#mfa-form")
	code, _ = totp.GenerateCode(secret, w.clock.Now())
	b.do("second factor", chromedp.SendKeys(chromedp.CSS("#code"), code), chromedp.Click(chromedp.CSS("#mfa-submit")), chromedp.WaitVisible(chromedp.CSS("#tenant-name")))
	b.must(b.text("#tenant-name") == "Delta Shop", "signed in to %q, want Delta Shop", b.text("#tenant-name"))
	for _, path := range []string{fmt.Sprintf("/tenants/%d", w.resB.ID), fmt.Sprintf("/users/%d", w.ownerA.ID), "/audit"} {
		b.open(path, "h1")
		h1 := b.text("h1")
		b.must(h1 == "Not found" || h1 == "Not allowed", "the client opened %s: %q", path, h1)
		b.must(!strings.Contains(b.html(), "Bravo") && !strings.Contains(b.html(), "Alpha"), "%s shows another tenant's data", path)
	}
	b.open("/tenants?kind=client", "#tenants")
	page := b.html()
	b.must(strings.Contains(page, "Delta Shop") && !strings.Contains(page, "Charlie Web") && !strings.Contains(page, "Alpha"), "the client's list shows more than itself")
	b.signOut()

}

// browserInvoice: reseller A bills its client by hand: a draft from the
// form, held for approval (manual lines), approved, then shown as an
// invoice.
func browserInvoice(b *tab) {
	b.signIn("owner@a.test", testPassword, "#tenant-name")
	b.must(strings.Contains(b.text("nav.nav"), "Billing"), "reseller navigation lacks Billing: %q", b.text("nav.nav"))
	b.open("/billing/invoices/new", "#invoice-form")
	b.do("draft invoice",
		chromedp.SendKeys(chromedp.CSS(`input[name="description_0"]`), "Design work"), chromedp.SendKeys(chromedp.CSS(`input[name="quantity_0"]`), "4"),
		chromedp.SendKeys(chromedp.CSS(`input[name="unit_price_0"]`), "25"), chromedp.Submit(chromedp.CSS(`input[name="unit_price_0"]`)),
		chromedp.WaitVisible(chromedp.CSS("#finalize")))
	b.do("finalize", chromedp.Click(chromedp.CSS("#finalize")), chromedp.WaitVisible(chromedp.CSS("#approve")))
	b.do("approve", chromedp.Click(chromedp.CSS("#approve")), chromedp.WaitVisible(chromedp.CSS("#credit-form")))
	b.must(strings.HasPrefix(b.text("#meta dd"), "INV-2026-"), "the approved invoice has no number: %q", b.text("#meta dd"))
	b.must(b.text("#total") == "119.00 EUR" && b.text("#vat") == "19.00 EUR", "invoice totals: %q, VAT %q", b.text("#total"), b.text("#vat"))
	b.must(strings.Contains(b.text("#buyer"), "Alpha Client") && strings.Contains(b.text("#seller"), "Alpha Hosting"), "invoice parties: %q / %q", b.text("#seller"), b.text("#buyer"))
}
