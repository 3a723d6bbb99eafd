package provisioning_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"faktura/panel/core/db"
	"faktura/provisioning"
	"faktura/provisioning/nginx"
)

// realNginx is an nginx master process under a temporary prefix, listening
// on a loopback port.
type realNginx struct {
	addr     string
	settings nginx.Settings
	stop     func() // stops the master (also at cleanup)
}

func findNginx(t *testing.T) string {
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("nginx is not installed; run the tests through ./test.sh, which installs it")
	}
	t.Skip("nginx is not installed (./test.sh installs it)")
	return ""
}

func startNginx(t *testing.T) *realNginx {
	bin := findNginx(t)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	for _, d := range []string{"sites", "www", "logs", "tmp"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // the workers read the test's private temp directory
	}
	conf := fmt.Sprintf(`%s
daemon off;
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/logs/error.log;
events { worker_connections 64; }
http {
    default_type text/html;
    access_log off;
    client_body_temp_path %[2]s/tmp/body;
    proxy_temp_path %[2]s/tmp/proxy;
    fastcgi_temp_path %[2]s/tmp/fastcgi;
    uwsgi_temp_path %[2]s/tmp/uwsgi;
    scgi_temp_path %[2]s/tmp/scgi;
    server {
        listen %[3]s default_server;
        return 404 "no such site\n";
    }
    include %[2]s/sites/*.conf;
}
`, user, dir, addr)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
			}
		})
	}
	t.Cleanup(stop)
	n := &realNginx{addr: addr, stop: stop, settings: nginx.Settings{Binary: bin, Prefix: dir, Conf: confPath,
		SitesDir: filepath.Join(dir, "sites"), WebRoot: filepath.Join(dir, "www"), LogDir: filepath.Join(dir, "logs"), Listen: addr}}
	n.waitFor(t, "unknown.example", 404, "no such site")
	return n
}

// get fetches / with the Host header host.
func (n *realNginx) get(host string) (int, string, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+n.addr+"/", nil)
	req.Host = host
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// waitFor polls until host answers status with a body containing text
// (a reload takes effect when the new workers start).
func (n *realNginx) waitFor(t *testing.T, host string, status int, text string) {
	t.Helper()
	var code int
	var body string
	var err error
	for range 100 {
		code, body, err = n.get(host)
		if err == nil && code == status && strings.Contains(body, text) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s: %d %q (err %v), want %d with %q", host, code, body, err, status, text)
}

// TestNginx runs the whole lifecycle against a real nginx: the sites
// serve the account's document root, a suspension serves the suspension
// page, unsuspension brings the site back, termination removes it, and
// the access log holds every request with its byte count. A change that
// fails nginx -t leaves the account retrying with nginx's message while
// the previous configuration keeps serving.
func TestNginx(t *testing.T) {
	each(t, func(t *testing.T, h *db.Handle) {
		n := startNginx(t)
		f := newFixture(t, h, provisioning.Options{Env: provisioning.Env{SuspensionPage: []byte("<h1>Suspended by Faktura Hosting</h1>\n")}})
		srv, a := nginxServeAccount(t, f, n)
		nginxBrokenConfig(t, f, n, a)
		nginxUsageAndTerminate(t, f, n, srv, a)
	})
}

// nginxServeAccount: a server on the real nginx, an account with an IDN
// domain and a subdomain serving their pages, then suspended.
func nginxServeAccount(t *testing.T, f *fixture, n *realNginx) (provisioning.Server, provisioning.Account) {
	ctx := f.ctx()
	raw, _ := json.Marshal(n.settings)
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
	home := filepath.Join(n.settings.WebRoot, "webby", "public_html")
	os.WriteFile(filepath.Join(home, "index.html"), []byte("<h1>Welcome to the book shop</h1>\n"), 0o644)
	os.WriteFile(filepath.Join(home, "blog", "index.html"), []byte("<h1>The blog</h1>\n"), 0o644)
	domain, sub := "xn--bcher-kva.example", "blog.xn--bcher-kva.example"
	n.waitFor(t, domain, 200, "Welcome to the book shop")
	n.waitFor(t, sub, 200, "The blog")

	if _, err := f.s.SuspendAccount(ctx, operator, a.ID, provisioning.ReasonNonpayment); err != nil {
		t.Fatal(err)
	}
	f.work()
	n.waitFor(t, domain, 200, "Suspended by Faktura Hosting")
	n.waitFor(t, sub, 200, "Suspended by Faktura Hosting")

	return srv, a
}

// nginxBrokenConfig: someone leaves a broken file in the sites directory:
// the next change fails nginx -t, the account shows nginx's message, and
// the sites keep serving what they served until the file is gone.
func nginxBrokenConfig(t *testing.T, f *fixture, n *realNginx, a provisioning.Account) {
	ctx, domain, sub := f.ctx(), "xn--bcher-kva.example", "blog.xn--bcher-kva.example"
	broken := filepath.Join(n.settings.SitesDir, "zz-broken.conf")
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
	n.waitFor(t, domain, 200, "Suspended by Faktura Hosting")
	block, _ := os.ReadFile(filepath.Join(n.settings.SitesDir, "webby--"+domain+".conf"))
	if !strings.Contains(string(block), ".suspended") {
		t.Errorf("server block after rollback:\n%s\nwant the suspended one back", block)
	}
	os.Remove(broken)
	f.clock.Advance(time.Hour)
	f.work()
	n.waitFor(t, domain, 200, "Welcome to the book shop")
	n.waitFor(t, sub, 200, "The blog")
	got = f.get(a.ID)
	if got.State != provisioning.StateActive || got.LastError != "" {
		t.Errorf("after the fix: %s, error %q; want active, no error", got.State, got.LastError)
	}

}

// nginxUsageAndTerminate: the usage report, termination, and the access
// log with host and bytes sent on every line.
func nginxUsageAndTerminate(t *testing.T, f *fixture, n *realNginx, srv provisioning.Server, a provisioning.Account) {
	ctx, domain, sub := f.ctx(), "xn--bcher-kva.example", "blog.xn--bcher-kva.example"
	logPath := filepath.Join(n.settings.LogDir, domain+".access.log")
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
	n.waitFor(t, domain, 404, "no such site")
	n.waitFor(t, sub, 404, "no such site")
	if _, err := os.Stat(filepath.Join(n.settings.WebRoot, "webby")); !os.IsNotExist(err) {
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
	n := startNginx(t)
	ctx := context.Background()
	check := func(s nginx.Settings) error {
		raw, _ := json.Marshal(s)
		d, err := nginx.New(raw, provisioning.Env{})
		if err != nil {
			t.Fatal(err)
		}
		return d.TestConnection(ctx)
	}
	if err := check(n.settings); err != nil {
		t.Fatalf("running nginx: %v", err)
	}
	if entries, _ := os.ReadDir(n.settings.WebRoot); len(entries) != 0 {
		t.Errorf("the check left files in the web root: %v", entries)
	}
	elsewhere := filepath.Join(t.TempDir(), "not", "there")
	bad := n.settings
	bad.WebRoot = elsewhere
	if err := check(bad); err == nil || !strings.Contains(err.Error(), "web_root "+elsewhere+": does not exist") {
		t.Errorf("missing web root: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(elsewhere)); !os.IsNotExist(err) {
		t.Errorf("the check created %s", filepath.Dir(elsewhere))
	}
	n.stop()
	if err := check(n.settings); err == nil || !strings.Contains(err.Error(), "nginx is not running") {
		t.Errorf("stopped nginx: %v", err)
	}
}
