package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "faktura-cli")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "faktura")
	out, err := exec.Command("go", "build", "-o", binary, "../..").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build faktura: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// faktura runs the binary in dir with only the given FAKTURA_ variables.
func faktura(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func listing(t *testing.T, dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestBadConfigExitsAndCreatesNothing(t *testing.T) {
	cases := []struct {
		name string
		file string
		env  []string
		code int
		want []string
	}{
		{"unknown key", "server:\n  listn: 127.0.0.1:1\n", nil, ExitUsage, []string{"configuration (config.yaml)", "server.listn: unknown key (line 2)"}},
		{"wrong type", "database:\n  max_open_conns: lots\n", nil, ExitUsage, []string{"database.max_open_conns", `want a whole number, got "lots"`}},
		{"mysql without dsn", "database:\n  driver: mysql\n  dsn: \"\"\n", nil, ExitUsage, []string{"database.dsn: is required when database.driver is mysql"}},
		{"unknown env", "", []string{"FAKTURA_SERVER_LISTN=x"}, ExitUsage, []string{"FAKTURA_SERVER_LISTN: unknown environment variable"}},
		{"unreachable database", "database:\n  driver: mysql\n  connect_timeout: 3s\n",
			[]string{"FAKTURA_DATABASE_DSN=faktura:hunter2@tcp(127.0.0.1:1)/faktura"}, ExitFailure, []string{"127.0.0.1:1", "connection refused"}},
	}
	for _, tc := range cases {
		for _, verb := range [][]string{{"serve"}, {"migrate"}, {"run", "--at", "2026-11-22"}} {
			t.Run(tc.name+"/"+verb[0], func(t *testing.T) {
				dir := t.TempDir()
				os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(tc.file), 0o600)
				r := faktura(t, dir, tc.env, verb...)
				if r.code != tc.code {
					t.Errorf("exit code %d, want %d; stderr: %s", r.code, tc.code, r.stderr)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("stderr lacks %q: %s", w, r.stderr)
					}
				}
				if strings.Contains(r.stderr+r.stdout, "hunter2") {
					t.Errorf("output shows the database password")
				}
				if got := listing(t, dir); len(got) != 1 {
					t.Errorf("directory holds %v after a bad config, want only config.yaml", got)
				}
			})
		}
	}
}

func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"run", "--at", "22.11.2026"}, {"run", "--at", "2026-02-30"}, {"run", "--bogus"}, {"events", "retry"}} {
		r := faktura(t, dir, nil, args...)
		if r.code == 0 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want a failure with a message", args, r.code, r.stderr)
		}
	}
	if r := faktura(t, dir, nil, "run", "--at", "22.11.2026"); r.code != ExitUsage || !strings.Contains(r.stderr, "--at: want a date as YYYY-MM-DD") {
		t.Errorf("bad --at: %d %s", r.code, r.stderr)
	}
	future := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
	if r := faktura(t, dir, nil, "run", "--at", future); r.code != ExitUsage || !strings.Contains(r.stderr, "--at: "+future+" is after today") ||
		!strings.Contains(r.stderr, "--allow-future") {
		t.Errorf("run --at a future date: %d %s", r.code, r.stderr)
	}
	if got := listing(t, dir); len(got) != 0 {
		t.Errorf("bad flags created %v", got)
	}
}

// backendEnv returns FAKTURA_ variables selecting a fresh database.
func backendEnv(t *testing.T, b dbtest.Backend) []string {
	o := dbtest.Options(t, b)
	return []string{"FAKTURA_DATABASE_DRIVER=" + string(o.Driver), "FAKTURA_DATABASE_DSN=" + o.DSN}
}

func TestRunMigrateEvents(t *testing.T) {
	for _, b := range dbtest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			dir := t.TempDir()
			env := backendEnv(t, b)
			r := faktura(t, dir, env, "migrate")
			if r.code != 0 || !strings.Contains(r.stdout, "applied core/00001_outbox.sql") {
				t.Fatalf("migrate: %d %s %s", r.code, r.stdout, r.stderr)
			}
			if r = faktura(t, dir, env, "migrate"); r.code != 0 || !strings.Contains(r.stdout, "is up to date") {
				t.Errorf("second migrate: %d %s", r.code, r.stdout)
			}
			if r = faktura(t, dir, env, "run", "--at", "2026-11-22"); r.code != 0 || !strings.HasPrefix(r.stdout, "daily run as of 2026-11-22: ok\n  usage.collect ") ||
				!strings.Contains(r.stdout, "provisioning.jobs    ok") || !strings.Contains(r.stdout, "provisioning.health  ok") {
				t.Errorf("run: %d %q %s", r.code, r.stdout, r.stderr)
			}
			r = faktura(t, dir, env, "run", "--at", "2026-11-22", "--json")
			var sum struct {
				Date   string
				Status string
				Steps  []any
			}
			if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Date != "2026-11-22" || sum.Status != "ok" || len(sum.Steps) != 13 || !strings.Contains(r.stdout, `"usage.collect"`) || !strings.Contains(r.stdout, `"billing.journal"`) || !strings.Contains(r.stdout, `"usage.rate"`) || !strings.Contains(r.stdout, `"payment.autocharge"`) || !strings.Contains(r.stdout, `"billing.dunning"`) || !strings.Contains(r.stdout, `"documents.render"`) {
				t.Errorf("run --json: %v %+v %q", err, sum, r.stdout)
			}
			future := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
			if r = faktura(t, dir, env, "run", "--at", future, "--dry-run"); r.code != 0 || !strings.HasPrefix(r.stdout, "dry run as of "+future+": ok (rolled back") ||
				!strings.Contains(r.stdout, "provisioning.jobs    skipped") || !strings.Contains(r.stdout, "billing.invoice      ok") ||
				!strings.Contains(r.stdout, "would create no documents") {
				t.Errorf("run --dry-run: %d %q %s", r.code, r.stdout, r.stderr)
			}
			if r = faktura(t, dir, env, "run", "--at", future, "--allow-future"); r.code != 0 || !strings.HasPrefix(r.stdout, "daily run as of "+future+": ok") {
				t.Errorf("run --allow-future: %d %q %s", r.code, r.stdout, r.stderr)
			}
			if r = faktura(t, dir, env, "events", "failed"); r.code != 0 || r.stdout != "no failed events\n" {
				t.Errorf("events failed: %d %q", r.code, r.stdout)
			}
			// Park an event behind the CLI's back, list it, retry it.
			o := db.Options{Driver: db.Dialect(strings.TrimPrefix(env[0], "FAKTURA_DATABASE_DRIVER=")), DSN: strings.TrimPrefix(env[1], "FAKTURA_DATABASE_DSN="), MaxOpenConns: 2, ConnTimeout: 5 * time.Second}
			h, err := db.Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			defer h.Close()
			now := time.Now().UTC()
			err = h.W.Exec(`INSERT INTO outbox_events (event_id, name, aggregate, payload, actor, occurred_at, status, attempts, next_attempt_at, last_error, created_at)
				VALUES ('0190b7a4-0000-7000-8000-000000000001', 'provisioning.account_created', 'account:1', '{}', 'system', ?, 'parked', 10, ?, 'billing.open_contract: plan 9 not found', ?)`, now, now, now).Error
			if err != nil {
				t.Fatal(err)
			}
			r = faktura(t, dir, env, "events", "failed")
			for _, w := range []string{"0190b7a4-0000-7000-8000-000000000001", "provisioning.account_created", "account:1", "10", "plan 9 not found"} {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("events failed lacks %q: %s", w, r.stdout)
				}
			}
			if r = faktura(t, dir, env, "events", "retry", "0190b7a4-0000-7000-8000-000000000001"); r.code != 0 || !strings.Contains(r.stdout, "queued for delivery") {
				t.Errorf("events retry: %d %s %s", r.code, r.stdout, r.stderr)
			}
			if r = faktura(t, dir, env, "events", "retry", "0190b7a4-0000-7000-8000-000000000001"); r.code == 0 || !strings.Contains(r.stderr, "only parked events can be retried") {
				t.Errorf("retry of a pending event: %d %s", r.code, r.stderr)
			}
			if r = faktura(t, dir, env, "events", "retry", "nope"); r.code == 0 || !strings.Contains(r.stderr, "event nope not found") {
				t.Errorf("retry of an unknown event: %d %s", r.code, r.stderr)
			}
		})
	}
}

func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServe starts faktura serve with no config file, the way a fresh clone
// runs it, and checks health, the SQLite file under ./data, and a clean exit
// on SIGTERM.
func TestServe(t *testing.T) {
	for _, b := range dbtest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			dir := t.TempDir()
			addr, maddr := freePort(t), freePort(t)
			env := []string{"FAKTURA_SERVER_LISTEN=" + addr, "FAKTURA_SERVER_METRICS_LISTEN=" + maddr}
			if b != dbtest.SQLite {
				env = append(env, backendEnv(t, b)...)
			}
			cmd := exec.Command(binary, "serve")
			cmd.Dir = dir
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
			var logs bytes.Buffer
			cmd.Stderr = &logs
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			var status int
			for time.Since(start) < 15*time.Second {
				resp, err := http.Get("http://" + addr + "/healthz")
				if err == nil {
					status = resp.StatusCode
					resp.Body.Close()
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if status != 200 {
				t.Fatalf("/healthz = %d after %v; logs:\n%s", status, time.Since(start), logs.String())
			}
			t.Logf("%s: /healthz answered 200 after %v", b, time.Since(start).Round(time.Millisecond))
			// Ready follows healthy: the workers start after the listener
			// answers.
			var ready *http.Response
			var err error
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if ready, err = http.Get("http://" + addr + "/readyz"); err == nil {
					ready.Body.Close()
					if ready.StatusCode == 200 {
						break
					}
				}
			}
			if err != nil || ready.StatusCode != 200 {
				t.Errorf("/readyz = %v, %v", ready, err)
			}
			// Metrics: on their own address, refused on the panel's.
			if resp, err := http.Get("http://" + maddr + "/metrics"); err != nil || resp.StatusCode != 200 {
				t.Errorf("/metrics on server.metrics_listen = %v, %v", resp, err)
			}
			if resp, err := http.Get("http://" + addr + "/metrics"); err != nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("/metrics on the panel's address = %v, %v; want 403", resp, err)
			}
			if b == dbtest.SQLite {
				if _, err := os.Stat(filepath.Join(dir, "data", "faktura.db")); err != nil {
					t.Errorf("no SQLite file under ./data: %v", err)
				}
			}
			cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("serve exited with %v after SIGTERM; logs:\n%s", err, logs.String())
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("serve did not stop within 20s of SIGTERM")
			}
			if !strings.Contains(logs.String(), "stopped") {
				t.Errorf("no orderly shutdown in the logs:\n%s", logs.String())
			}
		})
	}
}
