// Package nginxtest starts a real nginx for tests: under a temporary
// prefix, on a loopback port, with the settings the nginx driver needs.
// Where nginx is not installed the test skips (under CI it fails: the
// test command installs it).
package nginxtest

import (
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

	"faktura/provisioning/nginx"
)

// Nginx is an nginx master process under a temporary prefix, listening
// on a loopback port, for tests that need a real web server.
type Nginx struct {
	Addr     string
	Settings nginx.Settings
	Stop     func() // stops the master (also at cleanup)
}

func find(t testing.TB) string {
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

func Start(t testing.TB) *Nginx {
	bin := find(t)
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
	n := &Nginx{Addr: addr, Stop: stop, Settings: nginx.Settings{Binary: bin, Prefix: dir, Conf: confPath,
		SitesDir: filepath.Join(dir, "sites"), WebRoot: filepath.Join(dir, "www"), LogDir: filepath.Join(dir, "logs"), Listen: addr}}
	n.WaitFor(t, "unknown.example", 404, "no such site")
	return n
}

// Get fetches / with the Host header host.
func (n *Nginx) Get(host string) (int, string, error) {
	req, _ := http.NewRequest(http.MethodGet, "http://"+n.Addr+"/", nil)
	req.Host = host
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// WaitFor polls until host answers status with a body containing text
// (a reload takes effect when the new workers start).
func (n *Nginx) WaitFor(t testing.TB, host string, status int, text string) {
	t.Helper()
	var code int
	var body string
	var err error
	for range 100 {
		code, body, err = n.Get(host)
		if err == nil && code == status && strings.Contains(body, text) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s: %d %q (err %v), want %d with %q", host, code, body, err, status, text)
}
