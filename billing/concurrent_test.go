package billing_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"faktura/billing"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
)

// seedMixed builds a panel where grouping, resellers, add-ons and lost
// events meet: 24 direct clients in five countries with one to three
// accounts each (some billed one invoice per customer by their profile,
// one by a customer-level setting overriding its profile), domains and
// subdomains (the first domain of an account is free), reseller R with
// four clients of its own (retail from R, wholesale from the operator,
// R billed per customer), and resources whose events were lost, so the
// runs' reconcile opens their contracts while other runs invoice.
func seedMixed(f *fixture) {
	f.t.Helper()
	countries := []string{"DE", "FR", "IT", "DK", "US"}
	for i := range 24 {
		grouping := ""
		if i%3 == 0 {
			grouping = billing.GroupCustomer
		}
		c := f.tenant(tenancy.KindClient, operator, fmt.Sprintf("Client %02d", i))
		f.profile(c, billing.ProfileInput{LegalName: fmt.Sprintf("Client %02d", i), Country: countries[i%5], InvoiceGrouping: grouping})
		if i == 4 {
			f.set(billing.Grouping.Name, settings.LevelCustomer, itoa(int(c.TenantID)), billing.GroupCustomer)
		}
		for a := range 1 + i%3 {
			user := fmt.Sprintf("c%02da%d", i, a)
			lost := (i+a)%7 == 3
			var ref provisioning.AccountRef
			if lost {
				ref = f.accountRow(c, operator, []string{"basic", "big"}[a%2], user)
			} else {
				ref = f.liveAccount(c, operator, []string{"basic", "big"}[a%2], user)
			}
			if a == 0 {
				d1 := f.liveDomain(ref, c.Path, user+".de", 0, false)
				f.liveDomain(ref, c.Path, user+".com", 0, i%4 == 1)
				f.liveDomain(ref, c.Path, "www."+user+".de", d1, false)
			}
		}
	}
	r := f.reseller
	f.profile(r, billing.ProfileInput{LegalName: "Reseller R SARL", Country: "FR", VATID: "FR40303265045", Timezone: "Europe/Paris",
		InvoicePrefix: "R-", InvoiceGrouping: billing.GroupCustomer})
	for i := range 4 {
		c := f.tenant(tenancy.KindClient, r, fmt.Sprintf("R client %d", i))
		f.profile(c, billing.ProfileInput{LegalName: fmt.Sprintf("R client %d", i), Country: "FR"})
		user := fmt.Sprintf("r%da", i)
		if i == 2 {
			f.accountRow(c, r, "basic", user)
		} else {
			f.liveAccount(c, r, "basic", user)
		}
	}
}

// documents is every document as a line of text without ids and numbers,
// sorted: what a run produced, to compare with another run.
func documents(t *testing.T, h *db.Handle) []string {
	t.Helper()
	var invs []billing.Invoice
	h.W.Order("id").Find(&invs)
	var out []string
	for _, inv := range invs {
		var lines []billing.Line
		h.W.Where("invoice_id = ?", inv.ID).Order("position").Find(&lines)
		var ls []string
		for _, l := range lines {
			ls = append(ls, fmt.Sprintf("%s|%s|%s|%d|%s|%s|%s%s", l.Section, l.Kind, l.Description, l.NetMinor, l.PeriodStart, l.PeriodEnd, l.TaxCategory, l.TaxRate))
		}
		var seller, buyer billing.Party
		json.Unmarshal([]byte(inv.Seller), &seller)
		json.Unmarshal([]byte(inv.Buyer), &buyer)
		num := ""
		if inv.Number != nil {
			num = (*inv.Number)[:strings.LastIndexByte(*inv.Number, '-')]
		}
		out = append(out, fmt.Sprintf("%s->%s %s %s %s sub=%q %s..%s due %s net %d tax %d total %d %s [%s]", seller.Name, buyer.Name, inv.Kind, inv.Status,
			num, inv.Subproject, inv.PeriodStart, inv.PeriodEnd, inv.DueDate, inv.NetMinor, inv.TaxMinor, inv.TotalMinor, inv.Flags, strings.Join(ls, "; ")))
	}
	slices.Sort(out)
	return out
}

// dailyRun is one process's daily run: reconcile, then the invoice step.
func dailyRun(ctx context.Context, h *db.Handle, f *fixture, workers int) (billing.RunSummary, error) {
	s := billing.New(h, f.clock, audit.New(h, f.clock), settings.NewStore(h, f.clock), billing.Options{RunChunk: 5, RunWorkers: workers, Log: quiet()})
	inv := provisioning.New(h, f.clock, nil, audit.New(h, f.clock), provisioning.Options{})
	if _, _, err := s.ReconcileDay(ctx, inv, mustDayTB(f.t, "2026-11-02")); err != nil {
		return billing.RunSummary{}, fmt.Errorf("reconcile: %w", err)
	}
	return s.InvoiceRun(ctx, mustDayTB(f.t, "2026-11-02"))
}

// TestConcurrentRuns runs the daily run (reconcile, then invoicing) in 2
// and in 4 processes at once on one MariaDB (each with its own connection
// pool and three workers), on a panel with lost events, add-ons, a
// reseller and customers billed per customer: the documents equal those
// of one clean run on the same panel, line for line; every customer
// billed per customer gets one invoice; every (subject, period) is billed
// once; every series is gapless.
func TestConcurrentRuns(t *testing.T) {
	if len(dbtest.Backends(t)) < 2 {
		t.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	cleanFix := newFixture(t, dbtest.Open(t, dbtest.MariaDB, sets), nov2)
	seedMixed(cleanFix)
	if _, err := dailyRun(context.Background(), cleanFix.h, cleanFix, 1); err != nil {
		t.Fatal(err)
	}
	cleanFix.checkInvariants()
	want := documents(t, cleanFix.h)
	for _, procs := range []int{2, 4} {
		t.Run(fmt.Sprintf("%d processes", procs), func(t *testing.T) {
			opts := dbtest.Options(t, dbtest.MariaDB)
			f := newFixture(t, dbtest.OpenWith(t, opts, sets), nov2)
			seedMixed(f)
			var wg sync.WaitGroup
			sums := make([]billing.RunSummary, procs)
			errs := make([]error, procs)
			for p := range procs {
				h := dbtest.OpenWith(t, opts, sets)
				wg.Go(func() { sums[p], errs[p] = dailyRun(context.Background(), h, f, 3) })
			}
			wg.Wait()
			invoices := 0
			for p := range procs {
				if errs[p] != nil || sums[p].Failed > 0 || sums[p].Pending > 0 {
					t.Fatalf("process %d: %+v, %v", p, sums[p], errs[p])
				}
				invoices += sums[p].Invoices
				t.Logf("process %d: %d invoices, %d skipped, %d retried transactions", p, sums[p].Invoices, sums[p].Skipped, sums[p].Retries)
			}
			f.checkInvariants()
			f.billedOnce()
			got := documents(t, f.h)
			if invoices != len(want) || !slices.Equal(got, want) {
				t.Fatalf("%d processes made %d documents (%d reported); one clean run made %d.\n%s", procs, len(got), invoices, len(want), diff(got, want))
			}
			var perCustomer []struct {
				CustomerID int64
				N          int
			}
			f.h.W.Raw(`SELECT i.customer_id, COUNT(*) AS n FROM invoices i JOIN billing_profiles p ON p.tenant_id = i.customer_id
WHERE i.kind = 'invoice' AND p.invoice_grouping = 'customer' GROUP BY i.customer_id, i.seller_id`).Scan(&perCustomer)
			for _, c := range perCustomer {
				if c.N != 1 {
					t.Fatalf("customer %d, billed per customer, got %d invoices", c.CustomerID, c.N)
				}
			}
			if len(perCustomer) < 9 {
				t.Fatalf("only %d customers billed per customer were invoiced", len(perCustomer))
			}
		})
	}
}

// diff lists what one sorted list has that the other lacks.
func diff(got, want []string) string {
	var b strings.Builder
	for _, g := range got {
		if !slices.Contains(want, g) {
			fmt.Fprintf(&b, "+ %s\n", g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			fmt.Fprintf(&b, "- %s\n", w)
		}
	}
	return b.String()
}

func mustDayTB(t testing.TB, s string) billing.Date {
	d, err := billing.ParseDay("day", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestUnplannedContractJoinsItsUnit: a contract opened after the run
// planned (by another process, or an event) but before its unit's chunk
// is written goes on the same invoice when its customer is billed per
// customer, instead of a second invoice the same day.
func TestUnplannedContractJoinsItsUnit(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		c := f.tenant(tenancy.KindClient, operator, "Kunde")
		f.profile(c, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE", InvoiceGrouping: billing.GroupCustomer})
		f.liveAccount(c, operator, "basic", "erst")
		f.s.SetHook(func(stage string) error {
			if stage == "run.planned" {
				f.liveAccount(c, operator, "big", "zweit")
			}
			return nil
		})
		sum := f.run("2026-11-02")
		f.s.SetHook(nil)
		if sum.Invoices != 1 || sum.Contracts != 2 {
			t.Fatalf("run = %+v; want one invoice for both accounts", sum)
		}
		invs := f.invoices(c, billing.InvoiceFilter{})
		if len(invs) != 1 || len(invs[0].Lines) != 3 {
			t.Fatalf("%d invoices; want one with both accounts and the setup fee", len(invs))
		}
		if again := f.run("2026-11-02"); again.Invoices != 0 {
			t.Fatalf("a second run made %d invoices", again.Invoices)
		}
	})
}

// EnvGalera names a comma-separated list of DSNs, one per node of a
// Galera cluster (a user that may create databases, no database name);
// ./test.sh --galera starts a three-node cluster on loopback and sets it.
const EnvGalera = "FAKTURA_TEST_GALERA_DSNS"

// TestConcurrentRunsGalera is TestConcurrentRuns on a Galera cluster:
// one process per node, then two per node, each running the daily run
// with three workers against its own node. Galera's row locks are local
// to a node, so processes on two nodes that touch one row both proceed
// and one fails at commit (certification conflict): the claims keep them
// apart, and the conflicts that remain are retried. The documents equal
// one clean run's.
func TestConcurrentRunsGalera(t *testing.T) {
	dsns := strings.Split(os.Getenv(EnvGalera), ",")
	if dsns[0] == "" {
		t.Skip("needs a Galera cluster (" + EnvGalera + "; ./test.sh --galera starts one)")
	}
	open := func(t *testing.T, dsn, name string) *db.Handle {
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.DBName = name
		cfg.Params = map[string]string{"wsrep_sync_wait": "1"} // causal reads: a node sees what another committed
		return dbtest.OpenWith(t, db.Options{Driver: db.MySQL, DSN: cfg.FormatDSN(), MaxOpenConns: 8, MaxIdleConns: 8, ConnMaxLife: time.Hour,
			ConnTimeout: 10 * time.Second}, sets)
	}
	fresh := func(t *testing.T) string {
		name := fmt.Sprintf("ft_galera_%d", time.Now().UnixNano())
		admin, err := sql.Open("mysql", dsns[0])
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { admin, _ := sql.Open("mysql", dsns[0]); admin.Exec("DROP DATABASE " + name); admin.Close() })
		return name
	}
	clean := newFixture(t, open(t, dsns[0], fresh(t)), nov2)
	seedMixed(clean)
	if _, err := dailyRun(context.Background(), clean.h, clean, 1); err != nil {
		t.Fatal(err)
	}
	want := documents(t, clean.h)
	for _, perNode := range []int{1, 2} {
		procs := perNode * len(dsns)
		t.Run(fmt.Sprintf("%d processes on %d nodes", procs, len(dsns)), func(t *testing.T) {
			name := fresh(t)
			f := newFixture(t, open(t, dsns[0], name), nov2)
			seedMixed(f)
			var wg sync.WaitGroup
			sums := make([]billing.RunSummary, procs)
			errs := make([]error, procs)
			for p := range procs {
				h := open(t, dsns[p%len(dsns)], name)
				wg.Go(func() { sums[p], errs[p] = dailyRun(context.Background(), h, f, 3) })
			}
			wg.Wait()
			var retries int64
			for p := range procs {
				if errs[p] != nil || sums[p].Failed > 0 || sums[p].Pending > 0 {
					t.Fatalf("process %d: %+v, %v", p, sums[p], errs[p])
				}
				retries += sums[p].Retries
				t.Logf("process %d (node %d): %d invoices, %d skipped, %d retried transactions", p, p%len(dsns)+1, sums[p].Invoices, sums[p].Skipped, sums[p].Retries)
			}
			f.checkInvariants()
			f.billedOnce()
			if got := documents(t, f.h); !slices.Equal(got, want) {
				t.Fatalf("%d processes on Galera made %d documents; one clean run made %d.\n%s", procs, len(got), len(want), diff(got, want))
			}
			t.Logf("%d documents, as one clean run; %d transactions retried after certification conflicts", len(want), retries)
		})
	}
}

// TestClaimFailureEndsTheRun: when the run cannot write its claims, it
// counts the units as failed and returns (the next run retries them),
// rather than waiting for buckets it can never take.
func TestClaimFailureEndsTheRun(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		seedMany(f, 3)
		f.s.SetHook(func(stage string) error {
			if stage == "run.planned" {
				return f.h.W.Exec("DROP TABLE billing_run_claims").Error
			}
			return nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		sum, err := f.s.InvoiceRun(ctx, mustDay(t, "2026-11-02"))
		if err != nil || sum.Failed != 3 || sum.Invoices != 0 || len(sum.Errors) == 0 {
			t.Fatalf("run without its claims table = %+v, %v; want the 3 units failed and named", sum, err)
		}
	})
}
