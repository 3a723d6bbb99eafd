package dunning_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/dunning"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/mail"
	"faktura/panel/core/outbox"
	"faktura/panel/core/secret"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
	"faktura/themes"
)

const crashEnv = "FAKTURA_TEST_DUNNING_CRASH"

// seedCustomers gives n clients of the operator an account each and
// invoices them on 2026-12-01 (due 2026-12-15).
func seedCustomers(f *fixture, n int) {
	f.t.Helper()
	for i := range n {
		c := dbtest.Tenant(f.t, f.h, f.clock.Now(), tenancy.KindClient, operator, fmt.Sprintf("Customer %02d", i))
		f.profile(c, billing.ProfileInput{LegalName: fmt.Sprintf("Customer %02d", i), Country: "DE", Language: "de", Email: fmt.Sprintf("c%02d@kunde.test", i)})
		_, err := f.hosting.CreateAccount(f.ctx(), operator, provisioning.CreateAccountInput{TenantID: c.TenantID, PackageID: f.pkg.ID, Username: fmt.Sprintf("cust%02d", i)})
		f.must(err)
	}
	f.settle()
	sum, err := f.bill.InvoiceRun(context.Background(), f.at("2026-12-01"))
	f.must(err)
	f.settle()
	if got := f.count("invoices", "kind = ? AND number IS NOT NULL", billing.DocInvoice); sum.Failed > 0 || got != int64(n) {
		f.t.Fatalf("%d invoices for %d customers: %+v", got, n, sum)
	}
}

// process is a dunning service of its own on handle h, as another
// `faktura run` process has.
func process(t testing.TB, h *db.Handle, clock core.Clock, hook func(string)) *dunning.Service {
	t.Helper()
	bus := outbox.NewBus(h, clock)
	st := settings.NewStore(h, clock)
	a := audit.New(h, clock)
	hosting := provisioning.New(h, clock, bus, a, provisioning.Options{})
	bill := billing.New(h, clock, a, st, billing.Options{Log: quiet(), Bus: bus})
	box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	th, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	mb := mail.NewOutbox(h, clock, mail.NewSender(mail.Options{}), box, "panel.test")
	return dunning.New(h, clock, a, st, bill, bus, dunning.Options{Enforcer: hosting, Mail: mb, Tpl: th, BaseURL: "https://panel.test",
		AttachPDF: true, Log: quiet(), Batch: 3, Hook: hook})
}

// checkOnce: each customer got one mail per step done, each account one
// suspension job, and no step is recorded twice.
func checkOnce(t *testing.T, f *fixture, n int, wantMails map[string]int64, wantSuspends int64) {
	t.Helper()
	for prefix, want := range wantMails {
		if got := f.count("mail_deliveries", "kind = ?", prefix); got != want {
			t.Errorf("%d %s mails, want %d", got, prefix, want)
		}
	}
	if got := f.count("provisioning_jobs", "action = ?", provisioning.ActionSuspend); got != wantSuspends {
		t.Errorf("%d suspension jobs, want %d", got, wantSuspends)
	}
	if got := f.count("dunning_suspensions", "state = ?", dunning.HeldSuspended); got != wantSuspends {
		t.Errorf("%d suspensions recorded, want %d", got, wantSuspends)
	}
	f.checkInvariants()
}

// TestConcurrentRuns: two processes run the dunning step of the same day
// at once on MariaDB, on the day of the first reminder and on the day of
// suspension: each reminder is queued once, each account suspended once.
func TestConcurrentRuns(t *testing.T) {
	if len(dbtest.Backends(t)) < 2 {
		t.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	opts := dbtest.Options(t, dbtest.MariaDB)
	f := newFixture(t, dbtest.OpenWith(t, opts, sets))
	const n = 24
	seedCustomers(f, n)
	for _, day := range []string{"2026-12-16", "2026-12-30"} {
		d := f.at(day)
		_, err := f.bill.MarkOverdue(context.Background(), d)
		f.must(err)
		var wg sync.WaitGroup
		sums := make([]dunning.Summary, 2)
		errs := make([]error, 2)
		for p := range 2 {
			s := process(t, dbtest.OpenWith(t, opts, sets), f.clock, nil)
			wg.Go(func() { sums[p], errs[p] = s.Run(context.Background(), d) })
		}
		wg.Wait()
		var steps int64
		for p := range 2 {
			if errs[p] != nil || sums[p].Failed > 0 {
				t.Fatalf("%s process %d: %+v, %v", day, p, sums[p], errs[p])
			}
			steps += sums[p].Steps
			t.Logf("%s process %d: %d invoices, %d steps", day, p, sums[p].Invoices, sums[p].Steps)
		}
		want := int64(n * 2) // -7 superseded and +1 mailed
		if day == "2026-12-30" {
			want = n * 3 // +7 and +14 superseded, the suspension
		}
		if steps != want {
			t.Fatalf("%s: the processes did %d steps together, want %d", day, steps, want)
		}
		f.settle()
	}
	checkOnce(t, f, n, map[string]int64{"dunning_reminder": n, "dunning_suspend": n}, n)
}

// TestCrashMidRun kills a process running the dunning step in the middle
// (inside a chunk's transaction, or just after a commit), then runs the
// step again: every reminder is queued exactly once, every account
// suspended once, nothing skipped.
func TestCrashMidRun(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		crashChild(t)
		return
	}
	for _, b := range dbtest.Backends(t) {
		for _, stage := range []string{"chunk.written", "chunk.committed"} {
			t.Run(string(b)+"/"+stage, func(t *testing.T) {
				opts := dbtest.Options(t, b)
				f := newFixture(t, dbtest.OpenWith(t, opts, sets))
				const n = 15
				seedCustomers(f, n)
				d := f.at("2026-12-30") // +15: the first run since the due date
				_, err := f.bill.MarkOverdue(context.Background(), d)
				f.must(err)
				cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidRun$", "-test.v")
				cmd.Env = append(os.Environ(), crashEnv+"="+stage+"|"+string(opts.Driver)+"|"+opts.DSN)
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("the child was not killed: %v\n%s", err, out)
				}
				survived := f.count("dunning_steps", "step_key = ?", "suspend+15")
				if survived == 0 || survived >= n {
					t.Fatalf("%d suspensions survived the crash, want those of the chunks committed before it", survived)
				}
				if got := f.count("provisioning_jobs", "action = ?", provisioning.ActionSuspend); got != survived {
					t.Fatalf("%d suspension jobs for %d steps recorded", got, survived)
				}
				sum := f.day("2026-12-30")
				if sum.Suspended+survived != n {
					t.Fatalf("the re-run suspended %d after %d survived, want %d in all", sum.Suspended, survived, n)
				}
				f.day("2026-12-30")
				checkOnce(t, f, n, map[string]int64{"dunning_suspend": n, "dunning_reminder": 0}, n)
			})
		}
	}
}

// crashChild runs the dunning step on the parent's database and kills
// itself when the third chunk reaches the stage the parent named.
func crashChild(t *testing.T) {
	parts := strings.SplitN(os.Getenv(crashEnv), "|", 3)
	stage, driver, dsn := parts[0], parts[1], parts[2]
	h, err := db.Open(context.Background(), db.Options{Driver: db.Dialect(driver), DSN: dsn, MaxOpenConns: 4, MaxIdleConns: 4,
		ConnMaxLife: time.Hour, ConnTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clock := core.NewFrozenClock(time.Date(2026, 12, 30, 9, 0, 0, 0, time.UTC))
	chunks := 0
	s := process(t, h, clock, func(st string) {
		if st == stage {
			if chunks++; chunks == 3 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Minute)
			}
		}
	})
	s.Run(context.Background(), core.Date{Year: 2026, Month: 12, Day: 30})
	t.Fatal("the run finished without being killed")
}
