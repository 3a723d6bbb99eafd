package usage_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/usage"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
	"faktura/provisioning"
	"faktura/provisioning/nginx"
	"faktura/provisioning/nginx/nginxtest"

	"github.com/shopspring/decimal"
)

// servers serves the test's servers and their drivers, as provisioning
// does.
type servers struct {
	list    []provisioning.Server
	drivers map[int64]provisioning.Driver
}

func (s servers) Servers(context.Context) ([]provisioning.Server, error) { return s.list, nil }
func (s servers) Driver(srv provisioning.Server) (provisioning.Driver, error) {
	d, ok := s.drivers[srv.ID]
	if !ok {
		return nil, errors.New("no driver")
	}
	return d, nil
}

// failing is a server whose driver cannot be reached.
type failing struct{ provisioning.Driver }

func (failing) CollectUsage(context.Context, []byte) (provisioning.UsageReading, error) {
	return provisioning.UsageReading{}, errors.New("dial tcp 10.0.0.9:22: connection refused")
}

// loggedBytes sums the bytes-sent field of every line of a site's logs
// (the current file and its rotated one): what nginx says it sent.
func loggedBytes(t *testing.T, n *nginxtest.Nginx, site string) int64 {
	var total int64
	for _, p := range []string{filepath.Join(n.Settings.LogDir, site+".access.log"), filepath.Join(n.Settings.LogDir, site+".access.log.1")} {
		b, err := nginx.LogBytes(p)
		if err != nil {
			t.Fatal(err)
		}
		total += b
	}
	return total
}

// TestNginxCollection: a real nginx serves known requests to two
// accounts' sites; the collection reads their logs; the log is rotated
// (renamed, nginx -s reopen) and more is served; the next collection reads
// the rest of the old file and the new one. Traffic equals the bytes nginx
// logged, nothing counted twice; collecting again adds nothing. A second
// server whose driver fails is shown as failed, and the first is still
// collected.
func TestNginxCollection(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		n := nginxtest.Start(t) // its own logs for each database's run
		w := newWorld(t, h)
		ctx := context.Background()
		raw, _ := json.Marshal(n.Settings)
		drv, err := nginx.New(raw, provisioning.Env{SuspensionPage: []byte("suspended")})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []struct{ user, site string }{{"user1", "alpha.example"}, {"user2", "beta.example"}} {
			if err := drv.CreateAccount(ctx, provisioning.AccountSpec{ID: 1, Username: a.user, Sites: []provisioning.SiteSpec{{Name: a.site}}}); err != nil {
				t.Fatal(err)
			}
			home := filepath.Join(n.Settings.WebRoot, a.user, "public_html")
			os.WriteFile(filepath.Join(home, "index.html"), []byte(strings.Repeat(a.user, 1000)), 0o644)
			n.WaitFor(t, a.site, 200, a.user)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(h.W.Table("servers").Create(map[string]any{"id": 2, "name": "web2", "driver": "nginx", "settings": "{}", "created_at": now, "updated_at": now}).Error)
		srvs := servers{list: []provisioning.Server{{ID: 1, Name: "web1", Driver: "nginx", Enabled: true}, {ID: 2, Name: "web2", Driver: "nginx", Enabled: true}},
			drivers: map[int64]provisioning.Driver{1: drv, 2: failing{drv}}}
		get := func(host string, times int) {
			for range times {
				if code, _, err := n.Get(host); err != nil || code != 200 {
					t.Fatalf("GET %s: %d %v", host, code, err)
				}
			}
		}
		traffic := func(account int64) int64 {
			var sum int64
			h.W.Raw(`SELECT COALESCE(SUM(e.quantity), 0) FROM usage_events e JOIN usage_meters m ON m.id = e.meter_id WHERE m.code = 'traffic' AND e.subject_id = ?`, account).Scan(&sum)
			return sum
		}
		waitLogged := func(site string, lines int) {
			p := filepath.Join(n.Settings.LogDir, site+".access.log")
			for range 100 {
				b, _ := os.ReadFile(p)
				if strings.Count(string(b), "\n") >= lines {
					return
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Fatalf("%s has fewer than %d lines", p, lines)
		}
		get("alpha.example", 5)
		get("beta.example", 3)
		waitLogged("alpha.example", 6) // WaitFor's request too
		waitLogged("beta.example", 4)
		ok, failed, _, err := w.s.CollectAll(ctx, srvs, 5*time.Second)
		if err != nil || ok != 1 || failed != 1 {
			t.Fatalf("first collection: %d ok, %d failed, %v", ok, failed, err)
		}
		if got, want := traffic(1), loggedBytes(t, n, "alpha.example"); got != want || got == 0 {
			t.Fatalf("alpha: %d bytes collected, nginx logged %d", got, want)
		}
		// Rotation: rename, reopen, serve more.
		for _, s := range []string{"alpha.example", "beta.example"} {
			p := filepath.Join(n.Settings.LogDir, s+".access.log")
			must(os.Rename(p, p+".1"))
		}
		get("alpha.example", 2) // still into the renamed file until nginx reopens
		out, err := exec.Command(n.Settings.Binary, "-p", n.Settings.Prefix, "-c", n.Settings.Conf, "-s", "reopen").CombinedOutput()
		if err != nil {
			t.Fatalf("nginx -s reopen: %v %s", err, out)
		}
		for range 100 {
			if _, err := os.Stat(filepath.Join(n.Settings.LogDir, "alpha.example.access.log")); err == nil {
				break
			}
			get("alpha.example", 1)
			time.Sleep(20 * time.Millisecond)
		}
		get("alpha.example", 4)
		get("beta.example", 7)
		waitLogged("beta.example", 7)
		time.Sleep(100 * time.Millisecond)
		ok, _, _, err = w.s.CollectAll(ctx, srvs, 5*time.Second)
		if err != nil || ok != 1 {
			t.Fatalf("second collection: %d ok, %v", ok, err)
		}
		for acct, site := range map[int64]string{1: "alpha.example", 2: "beta.example"} {
			if got, want := traffic(acct), loggedBytes(t, n, site); got != want {
				t.Fatalf("%s after rotation: %d bytes collected, nginx logged %d", site, got, want)
			}
		}
		before := traffic(1) + traffic(2)
		if _, _, _, err := w.s.CollectAll(ctx, srvs, 5*time.Second); err != nil || traffic(1)+traffic(2) != before {
			t.Fatalf("collecting again changed the traffic: %d -> %d (%v)", before, traffic(1)+traffic(2), err)
		}
		// Disk was sampled for both accounts.
		var disk int64
		h.W.Raw(`SELECT COUNT(*) FROM usage_events e JOIN usage_meters m ON m.id = e.meter_id WHERE m.code = 'disk'`).Scan(&disk)
		if disk < 2 {
			t.Fatalf("%d disk samples", disk)
		}
		st, err := w.s.CollectionOf(ctx, 2)
		if err != nil || st == nil || !strings.Contains(st.LastError, "connection refused") || st.FailedAt == nil {
			t.Fatalf("failing server's state %+v %v", st, err)
		}
		if st, _ := w.s.CollectionOf(ctx, 1); st == nil || st.LastOKAt == nil || st.LastError != "" {
			t.Fatalf("working server's state %+v", st)
		}
		t.Logf("alpha %d bytes, beta %d bytes", traffic(1), traffic(2))

		// Alpha's contract includes 20,000 bytes and charges 0.01 EUR per
		// 1,000 bytes above; its period (today's, in the logs' clock)
		// closes and is rated once into a charge for the next invoice.
		today := time.Now().UTC().Truncate(24 * time.Hour)
		must(h.W.Exec(`INSERT INTO products (id, seller_id, code, name, kind, match_code, created_at, updated_at) VALUES (1, 1, 'web', 'Web', 'hosting', 'web', ?, ?)`, now, now).Error)
		must(h.W.Exec(`INSERT INTO contracts (id, seller_id, customer_id, customer_path, subproject, subproject_name, subject_kind, subject_id, subject_name, product_id, currency, cycle,
			unit_minor, anchor_day, start_date, next_due, status, source_event, created_at, updated_at)
			VALUES (1, 1, ?, ?, 'account:1', 'user1', 'account', 1, 'user1', 1, 'EUR', 'monthly', 1000, ?, ?, ?, 'active', 'test', ?, ?)`,
			w.client.TenantID, w.client.Path, today.AddDate(0, 0, 1).Day(), today.Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly), now, now).Error)
		must(h.W.Exec(`INSERT INTO billed_periods (subject_key, period_start, period_end, contract_id, created_at) VALUES ('1:account:1', ?, ?, 1, ?)`,
			today.Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly), now).Error)
		if _, err := w.s.SetPrices(ctx, operator, 1, []usage.Price{{Meter: usage.MeterTraffic, Currency: "EUR", Model: usage.ModelPerUnit, Included: 20_000, Per: 1000, UnitName: "kB", UnitPrice: "0.01"}}); err != nil {
			t.Fatal(err)
		}
		day, _ := billing.ParseDay("day", today.AddDate(0, 0, 4).Format(time.DateOnly))
		if n, err := w.s.RatePeriods(ctx, day); err != nil || n != 1 {
			t.Fatalf("rated %d, %v", n, err)
		}
		if n, _ := w.s.RatePeriods(ctx, day); n != 0 {
			t.Fatalf("rated again: %d", n)
		}
		var ch billing.Charge
		must(h.W.Where("contract_id = 1 AND kind = ?", billing.ChargeUsage).Take(&ch).Error)
		over := decimal.NewFromInt(traffic(1) - 20_000).Div(decimal.NewFromInt(1000))
		want := over.Mul(decimal.RequireFromString("0.01")).Mul(decimal.NewFromInt(100)).Round(0).IntPart()
		if ch.Quantity != over.String() || ch.AmountMinor != want || ch.UnitPrice != "0.01" {
			t.Fatalf("charge %+v; want %s kB, %d cents", ch, over, want)
		}

		// The contract's next period is invoiced with the overage line.
		clock := core.NewFrozenClock(today.AddDate(0, 0, 4).Add(9 * time.Hour))
		bill := billing.New(h, clock, audit.New(h, clock), settings.NewStore(h, clock), billing.Options{})
		_, err = bill.SaveProfile(ctx, operator, 1, billing.ProfileInput{LegalName: "Operator GmbH", Country: "DE", VATID: "DE136695976", Timezone: "UTC"})
		must(err)
		_, err = bill.SaveProfile(ctx, operator, w.client.TenantID, billing.ProfileInput{LegalName: "Client C", Country: "DE"})
		must(err)
		if sum, err := bill.InvoiceRun(ctx, day); err != nil || sum.Invoices != 1 {
			t.Fatalf("invoice run: %+v %v", sum, err)
		}
		var line billing.Line
		must(h.W.Where("kind = ?", billing.LineUsage).Take(&line).Error)
		if line.Quantity != over.String() || line.Unit != "kB" || line.UnitPrice != "0.01" || line.NetMinor != want || line.PeriodStart != today.Format(time.DateOnly) ||
			!strings.Contains(line.Description, "Traffic over 20 kB") {
			t.Fatalf("usage line %+v; want %s kB × 0.01 = %d cents", line, over, want)
		}
	})
}
