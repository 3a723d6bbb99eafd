package provisioning_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"faktura/panel/core/db"
	"faktura/provisioning"
	"faktura/provisioning/nginx"
	"faktura/provisioning/nginx/nginxtest"
)

// TestNginx runs the whole lifecycle against a real nginx: the sites
// serve the account's document root, a suspension serves the suspension
// page, unsuspension brings the site back, termination removes it, and
// the access log holds every request with its byte count. A change that
// fails nginx -t leaves the account retrying with nginx's message while
// the previous configuration keeps serving.
func TestNginx(t *testing.T) {
	each(t, func(t *testing.T, h *db.Handle) {
		n := nginxtest.Start(t)
		f := newFixture(t, h, provisioning.Options{Env: provisioning.Env{SuspensionPage: []byte("<h1>Suspended by Faktura Hosting</h1>\n")}})
		srv, a := nginxServeAccount(t, f, n)
		nginxBrokenConfig(t, f, n, a)
		nginxUsageAndTerminate(t, f, n, srv, a)
	})
}

// nginxServeAccount: a server on the real nginx, an account with an IDN
// domain and a subdomain serving their pages, then suspended.
func nginxServeAccount(t *testing.T, f *fixture, n *nginxtest.Nginx) (provisioning.Server, provisioning.Account) {
	ctx := f.ctx()
	raw, _ := json.Marshal(n.Settings)
	srv, err := f.s.CreateServer(ctx, provisioning.ServerInput{Name: "web1", Driver: "nginx", Settings: raw})
	if err != nil {
		t.Fatal(err)
	}
	if srv, err = f.s.TestServer(ctx, srv.ID); err != nil || srv.Health != "ok" {
		t.Fatalf("test connection: %s %q (err %v)", srv.Health, srv.HealthMessage, err)
	}
	a := f.account(f.other, provisioning.CreateAccountInput{TenantID: f.other.TenantID, PackageID: f.big.ID, Username: "webby", ServerID: srv.ID, Domain: "bücher.example"})
	f.work()
	doms, _ := f.s.Domains(ctx, f.other, a.ID)
	if _, err := f.s.AddSubdomain(ctx, f.other, doms[0].ID, "blog"); err != nil {
		t.Fatal(err)
	}
	f.work()
	want(t, "account", f.get(a.ID).State, provisioning.StateActive)
	home := filepath.Join(n.Settings.WebRoot, "webby", "public_html")
	os.WriteFile(filepath.Join(home, "index.html"), []byte("<h1>Welcome to the book shop</h1>\n"), 0o644)
	os.WriteFile(filepath.Join(home, "blog", "index.html"), []byte("<h1>The blog</h1>\n"), 0o644)
	domain, sub := "xn--bcher-kva.example", "blog.xn--bcher-kva.example"
	n.WaitFor(t, domain, 200, "Welcome to the book shop")
	n.WaitFor(t, sub, 200, "The blog")

	if _, err := f.s.SuspendAccount(ctx, operator, a.ID, provisioning.ReasonNonpayment); err != nil {
		t.Fatal(err)
	}
	f.work()
	n.WaitFor(t, domain, 200, "Suspended by Faktura Hosting")
	n.WaitFor(t, sub, 200, "Suspended by Faktura Hosting")

	return srv, a
}

// nginxBrokenConfig: someone leaves a broken file in the sites directory:
// the next change fails nginx -t, the account shows nginx's message, and
// the sites keep serving what they served until the file is gone.
func nginxBrokenConfig(t *testing.T, f *fixture, n *nginxtest.Nginx, a provisioning.Account) {
	ctx, domain, sub := f.ctx(), "xn--bcher-kva.example", "blog.xn--bcher-kva.example"
	broken := filepath.Join(n.Settings.SitesDir, "zz-broken.conf")
	os.WriteFile(broken, []byte("server { listen nonsense; }\n"), 0o644)
	if _, err := f.s.UnsuspendAccount(ctx, operator, a.ID); err != nil {
		t.Fatal(err)
	}
	f.work()
	got := f.get(a.ID)
	want(t, "state after the failed reload", got.State, provisioning.StateSuspended)
	want(t, "target after the failed reload", got.Target, provisioning.StateActive)
	if !strings.Contains(got.LastError, "configuration test failed") || !strings.Contains(got.LastError, "nonsense") {
		t.Errorf("last error = %q, want nginx -t's message", got.LastError)
	}
	n.WaitFor(t, domain, 200, "Suspended by Faktura Hosting")
	block, _ := os.ReadFile(filepath.Join(n.Settings.SitesDir, "webby--"+domain+".conf"))
	if !strings.Contains(string(block), ".suspended") {
		t.Errorf("server block after rollback:\n%s\nwant the suspended one back", block)
	}
	os.Remove(broken)
	f.clock.Advance(time.Hour)
	f.work()
	n.WaitFor(t, domain, 200, "Welcome to the book shop")
	n.WaitFor(t, sub, 200, "The blog")
	got = f.get(a.ID)
	if got.State != provisioning.StateActive || got.LastError != "" {
		t.Errorf("after the fix: %s, error %q; want active, no error", got.State, got.LastError)
	}

}

// nginxUsageAndTerminate: the usage report, termination, and the access
// log with host and bytes sent on every line.
func nginxUsageAndTerminate(t *testing.T, f *fixture, n *nginxtest.Nginx, srv provisioning.Server, a provisioning.Account) {
	ctx, domain, sub := f.ctx(), "xn--bcher-kva.example", "blog.xn--bcher-kva.example"
	logPath := filepath.Join(n.Settings.LogDir, domain+".access.log")
	drv, err := f.s.Driver(srv)
	if err != nil {
		t.Fatal(err)
	}
	usage, err := drv.UsageReport(ctx)
	if err != nil || len(usage) != 1 || usage[0].Username != "webby" || usage[0].DiskBytes < 40 || usage[0].TrafficBytes < 300 {
		t.Errorf("usage report = %+v (err %v), want webby's disk and traffic", usage, err)
	}
	if _, err := f.s.TerminateAccount(ctx, operator, a.ID); err != nil {
		t.Fatal(err)
	}
	f.work()
	n.WaitFor(t, domain, 404, "no such site")
	n.WaitFor(t, sub, 404, "no such site")
	if _, err := os.Stat(filepath.Join(n.Settings.WebRoot, "webby")); !os.IsNotExist(err) {
		t.Errorf("document root after termination: %v, want gone", err)
	}
	logged, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(logged)), "\n")
	for _, l := range lines {
		fields := strings.Fields(l)
		if len(fields) < 7 || fields[1] != domain || fields[3] == "0" {
			t.Errorf("access log line %q lacks host and bytes sent", l)
		}
	}
	total, _ := nginx.LogBytes(logPath)
	if len(lines) < 3 || total < 300 {
		t.Errorf("access log: %d requests, %d bytes; want the requests made", len(lines), total)
	}
	t.Logf("access log of %s: %d requests, %d bytes sent", domain, len(lines), total)
	want(t, "events", strings.Join(f.events("account:"+itoa(a.ID)), ","),
		"account_created,domain_added,subdomain_added,account_suspended,account_unsuspended,subdomain_removed,domain_removed,account_terminated")
}

// TestNginxTestConnection: "test connection" passes on a running nginx,
// and reports (creating nothing) a directory that does not exist and an
// nginx that is not running.
func TestNginxTestConnection(t *testing.T) {
	n := nginxtest.Start(t)
	ctx := context.Background()
	check := func(s nginx.Settings) error {
		raw, _ := json.Marshal(s)
		d, err := nginx.New(raw, provisioning.Env{})
		if err != nil {
			t.Fatal(err)
		}
		return d.TestConnection(ctx)
	}
	if err := check(n.Settings); err != nil {
		t.Fatalf("running nginx: %v", err)
	}
	if entries, _ := os.ReadDir(n.Settings.WebRoot); len(entries) != 0 {
		t.Errorf("the check left files in the web root: %v", entries)
	}
	elsewhere := filepath.Join(t.TempDir(), "not", "there")
	bad := n.Settings
	bad.WebRoot = elsewhere
	if err := check(bad); err == nil || !strings.Contains(err.Error(), "web_root "+elsewhere+": does not exist") {
		t.Errorf("missing web root: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(elsewhere)); !os.IsNotExist(err) {
		t.Errorf("the check created %s", filepath.Dir(elsewhere))
	}
	n.Stop()
	if err := check(n.Settings); err == nil || !strings.Contains(err.Error(), "nginx is not running") {
		t.Errorf("stopped nginx: %v", err)
	}
}
