package usage_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/usage"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
)

// TestUsageOnInvoice: account 1 (package quota 100 GB of traffic) uses
// 130.5 GB in its November period; once the period is closed (grace
// window passed), rating adds one overage line, 30.5 GB × 0.015 EUR, to
// the next invoice, with its quantity, unit price and period. Rating
// again, or twice at once, adds nothing.
func TestUsageOnInvoice(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		w := newWorld(t, h)
		clock := core.NewFrozenClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
		st := settings.NewStore(h, clock)
		bill := billing.New(h, clock, audit.New(h, clock), st, billing.Options{})
		us := usage.New(h, clock, audit.New(h, clock), st)
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		_, err := bill.SaveProfile(ctx, operator, 1, billing.ProfileInput{LegalName: "Operator GmbH", Country: "DE", VATID: "DE136695976", Timezone: "UTC"})
		must(err)
		_, err = bill.SaveProfile(ctx, operator, w.client.TenantID, billing.ProfileInput{LegalName: "Client C", Country: "DE"})
		must(err)
		amount := int64(1000)
		prod, err := bill.CreateProduct(ctx, operator, billing.ProductInput{Code: "basic", Name: "Basic hosting", Kind: billing.KindHosting, MatchCode: "basic",
			Prices: []billing.PriceInput{{Currency: "EUR", Cycle: billing.CycleMonthly, AmountMinor: &amount}}})
		must(err)
		must(h.W.Exec("UPDATE accounts SET traffic_mb = 100000 WHERE id = 1").Error) // 100 GB
		now := clock.Now()
		must(h.W.Create(&billing.Contract{SellerID: 1, CustomerID: w.client.TenantID, CustomerPath: w.client.Path, Subproject: "account:1", SubprojectName: "user1",
			SubjectKind: billing.SubjectAccount, SubjectID: 1, SubjectName: "user1", ProductID: prod.ID, Currency: "EUR", Cycle: billing.CycleMonthly,
			UnitMinor: 1000, AnchorDay: 2, StartDate: "2026-11-02", NextDue: "2026-11-02", Status: billing.ContractActive, SourceEvent: "test",
			CreatedAt: now, UpdatedAt: now}).Error)
		_, err = us.SetPrices(ctx, operator, prod.ID, []usage.Price{{Meter: usage.MeterTraffic, Currency: "EUR", Model: usage.ModelPerUnit, Per: gb, UnitName: "GB", UnitPrice: "0.015"}})
		must(err)
		if _, err := bill.InvoiceRun(ctx, mustDay(t, "2026-11-02")); err != nil {
			t.Fatal(err)
		}
		// Traffic through November, sent a day after each sample; one
		// sample after the period (December 2) belongs to the next.
		for i, ev := range []struct {
			at  string
			qty string
		}{{"2026-11-05T10:00:00Z", "60000000000"}, {"2026-11-20T10:00:00Z", "70000000000"}, {"2026-12-01T23:59:59Z", "500000000"}, {"2026-12-02T00:00:00Z", "999000000000"}} {
			at, _ := time.Parse(time.RFC3339, ev.at)
			clock.Set(at.Add(time.Hour))
			_, err := us.Ingest(ctx, operator, "apikey:1", usage.Batch{Source: "edge", Events: []usage.EventInput{{ID: "t" + itoa(i), Meter: usage.MeterTraffic,
				SubjectKind: usage.SubjectAccount, SubjectID: 1, Quantity: ev.qty, Timestamp: at}}})
			must(err)
		}
		// Inside the grace window the period is not rated yet.
		if n, err := us.RatePeriods(ctx, mustDay(t, "2026-12-04")); err != nil || n != 0 {
			t.Fatalf("rated within the grace window: %d %v", n, err)
		}
		var wg sync.WaitGroup
		counts := make([]int, 3)
		for i := range counts {
			wg.Go(func() {
				n, err := us.RatePeriods(ctx, mustDay(t, "2026-12-05"))
				if err != nil && !strings.Contains(err.Error(), "locked") {
					t.Error(err)
				}
				counts[i] = n
			})
		}
		wg.Wait()
		if n, err := us.RatePeriods(ctx, mustDay(t, "2026-12-05")); err != nil || n != 0 || counts[0]+counts[1]+counts[2] != 1 {
			t.Fatalf("rated %v then %d, %v; want once", counts, n, err)
		}
		clock.Set(time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC))
		if _, err := bill.InvoiceRun(ctx, mustDay(t, "2026-12-05")); err != nil {
			t.Fatal(err)
		}
		invs, err := bill.Invoices(ctx, operator, billing.InvoiceFilter{CustomerID: w.client.TenantID}, core.Page{Limit: 10})
		must(err)
		if len(invs) != 2 {
			t.Fatalf("%d invoices, want 2", len(invs))
		}
		inv, err := bill.Invoice(ctx, operator, invs[0].ID)
		must(err)
		var usageLine *billing.Line
		for i, l := range inv.Lines {
			if l.Kind == billing.LineUsage {
				usageLine = &inv.Lines[i]
			}
		}
		if usageLine == nil {
			t.Fatalf("no usage line on %+v", inv.Lines)
		}
		if usageLine.Quantity != "30.5" || usageLine.Unit != "GB" || usageLine.UnitPrice != "0.015" || usageLine.NetMinor != 46 || usageLine.PeriodStart != "2026-11-02" ||
			usageLine.PeriodEnd != "2026-12-02" || !strings.Contains(usageLine.Description, "Traffic over 100 GB") {
			t.Fatalf("usage line %+v", *usageLine)
		}
		if inv.NetMinor != 1000+46 {
			t.Fatalf("net %d, want 10.46", inv.NetMinor)
		}
	})
}

// TestTimeWeighted: disk sampled at 10 GB for the first third of a
// 30-day period and 40 GB after: 30 GB on average; nothing before the
// first sample counts.
func TestTimeWeighted(t *testing.T) {
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 30)
	evs := []usage.Event{{Quantity: 10 * gb, OccurredAt: from}, {Quantity: 40 * gb, OccurredAt: from.AddDate(0, 0, 10)}}
	if got := usage.TimeWeighted(evs, from, to); got != 30*gb {
		t.Fatalf("average %d, want 30 GB", got)
	}
	late := []usage.Event{{Quantity: 30 * gb, OccurredAt: from.AddDate(0, 0, 15)}}
	if got := usage.TimeWeighted(late, from, to); got != 15*gb {
		t.Fatalf("average %d, want 15 GB (nothing for the first half)", got)
	}
	if usage.TimeWeighted(nil, from, to) != 0 {
		t.Fatal("no samples average something")
	}
}
