package billing_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
)

const crashEnv = "FAKTURA_TEST_BILLING_CRASH"

// seedMany gives n clients an account each.
func seedMany(f *fixture, n int) {
	for i := range n {
		c := f.client(fmt.Sprintf("Client %03d", i), []string{"DE", "FR", "IT", "DK", "US"}[i%5])
		f.account(c, operator, []string{"basic", "big"}[i%2], fmt.Sprintf("user%03d", i))
	}
}

// invoiceRows is what the documents say, without ids and numbers.
func invoiceRows(t *testing.T, h *db.Handle) []string {
	var rows []struct {
		CustomerID, NetMinor, TaxMinor, TotalMinor int64
		PeriodStart, Status                        string
	}
	h.W.Table("invoices").Order("customer_id, period_start").Find(&rows)
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%+v", r))
	}
	sort.Strings(out)
	return out
}

// TestCrashMidRun kills a process running the invoice step halfway, then
// runs the step again: at once (the dead process's claim is taken over
// because its process is gone), and the result equals a clean run's,
// with every series gapless. The process dies either in the transaction
// that writes a chunk's documents (before its commit) or between that
// commit and the numbering transaction (leaving documents issuing, which
// the re-run numbers).
func TestCrashMidRun(t *testing.T) {
	if os.Getenv(crashEnv) != "" {
		crashChild(t)
		return
	}
	for _, b := range dbtest.Backends(t) {
		for _, stage := range []string{"chunk.inserted", "chunk.committed"} {
			t.Run(string(b)+"/"+stage, func(t *testing.T) {
				opts := dbtest.Options(t, b)
				h := dbtest.OpenWith(t, opts, sets)
				f := newFixture(t, h, nov2)
				seedMany(f, 40) // 40 units in chunks of up to 7

				cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMidRun$", "-test.v")
				cmd.Env = append(os.Environ(), crashEnv+"="+stage+"|"+string(opts.Driver)+"|"+opts.DSN)
				out, err := cmd.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("the child was not killed: %v\n%s", err, out)
				}
				var committed, issuing int64
				h.W.Table("invoices").Count(&committed)
				h.W.Table("invoices").Where("status = ?", billing.InvoiceStatusIssuing).Count(&issuing)
				if committed == 0 || committed >= 40 {
					t.Fatalf("%d invoices survived the crash, want those of the chunks committed before it", committed)
				}
				if stage == "chunk.committed" && issuing == 0 {
					t.Fatalf("no invoice was left issuing by a crash between the two transactions")
				}
				f.checkGapless()
				sum := f.run("2026-11-02")
				if int64(sum.Invoices)+committed != 40 || sum.Finalized != 40-int(committed)+int(issuing) {
					t.Fatalf("the re-run made %d invoices and finalized %d after %d survived (%d issuing); want 40 in all, all finalized",
						sum.Invoices, sum.Finalized, committed, issuing)
				}

				clean := newFixture(t, dbtest.Open(t, b, sets), nov2)
				seedMany(clean, 40)
				clean.run("2026-11-02")
				got, want := invoiceRows(t, h), invoiceRows(t, clean.h)
				if len(got) != 40 || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("after crash and re-run:\n%v\nclean run:\n%v", got, want)
				}
			})
		}
	}
}

// crashChild runs the invoice step on the parent's database and kills
// itself when the third chunk reaches the stage the parent named.
func crashChild(t *testing.T) {
	parts := strings.SplitN(os.Getenv(crashEnv), "|", 3)
	stage, driver, dsn := parts[0], parts[1], parts[2]
	h, err := db.Open(context.Background(), db.Options{Driver: db.Dialect(driver), DSN: dsn, MaxOpenConns: 4, MaxIdleConns: 4,
		ConnMaxLife: time.Hour, ConnTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	clock := core.NewFrozenClock(nov2)
	// Between the two transactions needs documents numbered separately.
	s := billing.New(h, clock, audit.New(h, clock), settings.NewStore(h, clock), billing.Options{RunChunk: 7, RunWorkers: 1, Log: quiet(),
		IssueSeparately: stage == "chunk.committed"})
	chunks := 0
	s.SetHook(func(st string) error {
		if st == stage {
			if chunks++; chunks == 3 {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Minute)
			}
		}
		return nil
	})
	s.InvoiceRun(context.Background(), mustDay(t, "2026-11-02"))
	t.Fatal("the run finished without being killed")
}
