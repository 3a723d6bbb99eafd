package billing_test

import (
	"context"
	"sync"
	"testing"

	"faktura/billing"
	"faktura/panel/core/audit"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
)

// TestTwoRunsAtOnce runs the invoice step twice at the same moment on
// MariaDB (as two panel nodes would, each with its own service and
// workers): every (contract, period) is invoiced exactly once and the
// series stays gapless.
func TestTwoRunsAtOnce(t *testing.T) {
	backends := dbtest.Backends(t)
	if len(backends) < 2 {
		t.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	h := dbtest.Open(t, dbtest.MariaDB, sets)
	f := newFixture(t, h, nov2)
	seedMany(f, 60)
	var wg sync.WaitGroup
	sums := make([]billing.RunSummary, 2)
	errs := make([]error, 2)
	for i := range 2 {
		s := billing.New(h, f.clock, audit.New(h, f.clock), settings.NewStore(h, f.clock), billing.Options{RunChunk: 5, RunWorkers: 3, Log: quiet()})
		wg.Add(1)
		go func() {
			defer wg.Done()
			sums[i], errs[i] = s.InvoiceRun(context.Background(), mustDay(t, "2026-11-02"))
		}()
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || sums[i].Failed > 0 {
			t.Fatalf("run %d: %+v, %v", i, sums[i], errs[i])
		}
	}
	if sums[0].Invoices+sums[1].Invoices != 60 || sums[0].Skipped+sums[1].Skipped != 60 {
		t.Fatalf("runs made %d + %d invoices and skipped %d + %d contracts; want 60 in all, each contract skipped by the other",
			sums[0].Invoices, sums[1].Invoices, sums[0].Skipped, sums[1].Skipped)
	}
	var lines, keys int64
	h.W.Table("invoice_lines").Where("kind = ?", billing.LineRecurring).Count(&lines)
	h.W.Table("invoice_lines").Distinct("contract_id", "period_start").Where("kind = ?", billing.LineRecurring).Count(&keys)
	if lines != 60 || keys != 60 {
		t.Fatalf("%d recurring lines for %d (contract, period) keys, want 60 and 60", lines, keys)
	}
	t.Logf("run A made %d invoices, run B %d", sums[0].Invoices, sums[1].Invoices)
	f.checkInvariants()
}
