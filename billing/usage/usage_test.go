package usage_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
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
	"faktura/panel/core/mail"
	"faktura/panel/core/schema"
	"faktura/panel/core/secret"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
	"faktura/themes"
)

var sets = []db.MigrationSet{schema.Set, provisioning.Migrations, billing.Migrations}

var operator = tenancy.Scope{TenantID: 1, Kind: tenancy.KindOperator, Path: "/1/"}

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// world: the operator sells account 1 to client C; reseller R sells
// account 2 to its client RC.
type world struct {
	h        *db.Handle
	s        *usage.Service
	reseller tenancy.Scope
	client   tenancy.Scope
	rclient  tenancy.Scope
}

func newWorld(t *testing.T, h *db.Handle) *world {
	t.Helper()
	clock := core.NewFrozenClock(now)
	w := &world{h: h, s: usage.New(h, clock, audit.New(h, clock), settings.NewStore(h, clock))}
	w.reseller = dbtest.Tenant(t, h, now, tenancy.KindReseller, operator, "Reseller R")
	w.client = dbtest.Tenant(t, h, now, tenancy.KindClient, operator, "Client C")
	w.rclient = dbtest.Tenant(t, h, now, tenancy.KindClient, w.reseller, "Client RC")
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(h.W.Table("servers").Create(map[string]any{"id": 1, "name": "web1", "driver": "noop", "settings": "{}", "created_at": now, "updated_at": now}).Error)
	must(h.W.Table("packages").Create(map[string]any{"id": 1, "tenant_id": 1, "code": "basic", "name": "Basic", "disk_mb": 0, "traffic_mb": 0,
		"max_domains": 0, "max_subdomains": 0, "created_at": now, "updated_at": now}).Error)
	for i, c := range []struct {
		owner  tenancy.Scope
		seller int64
	}{{w.client, operator.TenantID}, {w.rclient, w.reseller.TenantID}} {
		user := "user" + strconv.Itoa(i+1)
		must(h.W.Table("accounts").Create(map[string]any{"id": i + 1, "tenant_id": c.owner.TenantID, "tenant_path": c.owner.Path, "seller_id": c.seller,
			"package_id": 1, "server_id": 1, "username": user, "username_key": user, "disk_mb": 0, "traffic_mb": 0, "state": "active", "target": "active",
			"created_at": now, "updated_at": now}).Error)
	}
	return w
}

func event(id, meter string, subject int64, qty string, at time.Time) usage.EventInput {
	return usage.EventInput{ID: id, Meter: meter, SubjectKind: usage.SubjectAccount, SubjectID: subject, Quantity: qty, Timestamp: at}
}

func (w *world) count(t *testing.T) int64 {
	var n int64
	if err := w.h.W.Model(&usage.Event{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIngestReplay: 10,000 events in ten batches are stored once; the
// same batches again add zero rows and are reported as duplicates.
func TestIngestReplay(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		w := newWorld(t, h)
		ctx := context.Background()
		batches := make([]usage.Batch, 10)
		for b := range batches {
			batches[b].Source = "mail1"
			for i := range usage.MaxBatch {
				n := b*usage.MaxBatch + i
				batches[b].Events = append(batches[b].Events, event(fmt.Sprintf("m-%05d", n), usage.MeterTraffic, 1, strconv.Itoa(1000+n), now.Add(-time.Duration(n)*time.Second)))
			}
		}
		for pass, want := range []usage.IngestResult{{Accepted: usage.MaxBatch}, {Duplicates: usage.MaxBatch}} {
			for _, b := range batches {
				got, err := w.s.Ingest(ctx, operator, "apikey:1", b)
				if err != nil || got != want {
					t.Fatalf("pass %d: %+v, %v; want %+v", pass, got, err, want)
				}
			}
			if n := w.count(t); n != 10_000 {
				t.Fatalf("pass %d: %d rows, want 10000", pass, n)
			}
		}
		var sum int64
		h.W.Model(&usage.Event{}).Select("SUM(quantity)").Scan(&sum)
		if want := int64(10_000*1000 + 9_999*10_000/2); sum != want {
			t.Fatalf("sum %d, want %d", sum, want)
		}
		// Another source may use the same ids: they are its own events.
		got, err := w.s.Ingest(ctx, operator, "apikey:1", usage.Batch{Source: "backup1", Events: batches[0].Events[:3]})
		if err != nil || got.Accepted != 3 {
			t.Fatalf("another source: %+v %v", got, err)
		}
	})
}

// TestIngestConcurrent: two ingests of the same 2,000 events at once on
// MariaDB store each event once.
func TestIngestConcurrent(t *testing.T) {
	if len(dbtest.Backends(t)) < 2 {
		t.Skip("needs MariaDB (" + dbtest.EnvDSN + ")")
	}
	w := newWorld(t, dbtest.Open(t, dbtest.MariaDB, sets))
	var bs []usage.Batch
	for b := range 2 {
		var evs []usage.EventInput
		for i := range usage.MaxBatch {
			evs = append(evs, event(fmt.Sprintf("c-%d-%d", b, i), usage.MeterTraffic, 1, "5", now.Add(-time.Minute)))
		}
		bs = append(bs, usage.Batch{Source: "edge", Events: evs})
	}
	var wg sync.WaitGroup
	res := make([]usage.IngestResult, 4)
	errs := make([]error, 4)
	for p := range 4 {
		wg.Go(func() { res[p], errs[p] = w.s.Ingest(context.Background(), operator, "apikey:1", bs[p%2]) })
	}
	wg.Wait()
	accepted := 0
	for p := range 4 {
		if errs[p] != nil {
			t.Fatalf("ingest %d: %v", p, errs[p])
		}
		accepted += res[p].Accepted
	}
	if n := w.count(t); n != 2000 || accepted != 2000 {
		t.Fatalf("%d rows, %d accepted; want each of 2,000 events once", n, accepted)
	}
}

// TestIngestBadInput: every bad event is a field error by index, a
// subject of another seller is not found, and nothing is stored.
func TestIngestBadInput(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		w := newWorld(t, h)
		ctx := context.Background()
		good := event("ok-1", usage.MeterTraffic, 1, "100", now.Add(-time.Hour))
		big := make([]usage.EventInput, usage.MaxBatch+1)
		for i := range big {
			big[i] = event("b-"+strconv.Itoa(i), usage.MeterTraffic, 1, "1", now)
		}
		cases := []struct {
			name  string
			batch []usage.EventInput
			field string
		}{
			{"unknown meter", []usage.EventInput{good, event("e2", "bandwidth", 1, "1", now)}, "events.1.meter"},
			{"negative quantity", []usage.EventInput{event("e1", usage.MeterTraffic, 1, "-5", now)}, "events.0.quantity"},
			{"fractional quantity", []usage.EventInput{event("e1", usage.MeterTraffic, 1, "1.5", now)}, "events.0.quantity"},
			{"not a number", []usage.EventInput{event("e1", usage.MeterTraffic, 1, "lots", now)}, "events.0.quantity"},
			{"outside the grace window", []usage.EventInput{good, event("e2", usage.MeterTraffic, 1, "1", now.AddDate(0, 0, -4))}, "events.1.timestamp"},
			{"in the future", []usage.EventInput{event("e1", usage.MeterTraffic, 1, "1", now.Add(time.Hour))}, "events.0.timestamp"},
			{"no timestamp", []usage.EventInput{event("e1", usage.MeterTraffic, 1, "1", time.Time{})}, "events.0.timestamp"},
			{"no id", []usage.EventInput{event("", usage.MeterTraffic, 1, "1", now)}, "events.0.id"},
			{"an id twice", []usage.EventInput{good, good}, "events.1.id"},
			{"bad subject kind", []usage.EventInput{{ID: "e1", Meter: usage.MeterTraffic, SubjectKind: "server", SubjectID: 1, Quantity: "1", Timestamp: now}}, "events.0.subject_kind"},
			{"over 1,000 events", big, "events"},
			{"no events", nil, "events"},
		}
		for _, c := range cases {
			_, err := w.s.Ingest(ctx, operator, "apikey:1", usage.Batch{Events: c.batch})
			var v *core.ValidationError
			if !errors.As(err, &v) || v.Fields[c.field] == "" {
				t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
				continue
			}
			t.Logf("%s: %s: %s", c.name, c.field, v.Fields[c.field])
		}
		// Account 2 is sold by the reseller: not the operator's to meter,
		// and the reseller's client is none of the operator's business here.
		if _, err := w.s.Ingest(ctx, operator, "apikey:1", usage.Batch{Events: []usage.EventInput{good, event("e2", usage.MeterTraffic, 2, "1", now)}}); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("another seller's account: %v, want not found", err)
		}
		if _, err := w.s.Ingest(ctx, w.reseller, "apikey:2", usage.Batch{Events: []usage.EventInput{event("e1", usage.MeterTraffic, 1, "1", now)}}); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("a reseller metering the operator's account: %v, want not found", err)
		}
		if n := w.count(t); n != 0 {
			t.Fatalf("bad batches stored %d events", n)
		}
		// The reseller meters its own account.
		if r, err := w.s.Ingest(ctx, w.reseller, "apikey:2", usage.Batch{Events: []usage.EventInput{event("e1", usage.MeterTraffic, 2, "7", now)}}); err != nil || r.Accepted != 1 {
			t.Fatalf("the reseller's own account: %+v %v", r, err)
		}
	})
}

// TestMeters: built-in meters for every seller, a seller's own meter,
// and bad meter input.
func TestMeters(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		w := newWorld(t, h)
		ctx := context.Background()
		ms, err := w.s.Meters(ctx, w.reseller)
		if err != nil || len(ms) != len(usage.BuiltIn) {
			t.Fatalf("built-in meters %+v %v", ms, err)
		}
		m, err := w.s.CreateMeter(ctx, w.reseller, usage.MeterInput{Code: "mail.sent", Name: "Mails sent", Unit: usage.UnitMessages, Aggregation: usage.AggSum})
		if err != nil || m.SellerID != w.reseller.TenantID {
			t.Fatalf("own meter %+v %v", m, err)
		}
		for _, c := range []struct {
			in    usage.MeterInput
			field string
		}{
			{usage.MeterInput{Code: "mail.sent", Name: "Again", Unit: usage.UnitMessages, Aggregation: usage.AggSum}, "code"},
			{usage.MeterInput{Code: "traffic", Name: "Mine", Unit: usage.UnitBytes, Aggregation: usage.AggSum}, "code"},
			{usage.MeterInput{Code: "Bad Code", Name: "x", Unit: usage.UnitBytes, Aggregation: usage.AggSum}, "code"},
			{usage.MeterInput{Code: "ok", Name: "x", Unit: "furlongs", Aggregation: usage.AggSum}, "unit"},
			{usage.MeterInput{Code: "ok", Name: "x", Unit: usage.UnitBytes, Aggregation: "median"}, "aggregation"},
			{usage.MeterInput{Code: "ok", Name: "", Unit: usage.UnitBytes, Aggregation: usage.AggSum}, "name"},
		} {
			_, err := w.s.CreateMeter(ctx, w.reseller, c.in)
			var v *core.ValidationError
			if !errors.As(err, &v) || v.Fields[c.field] == "" {
				t.Errorf("%+v: %v, want a field error on %s", c.in, err, c.field)
			}
		}
		// The operator does not see the reseller's meter.
		ops, _ := w.s.Meters(ctx, operator)
		for _, m := range ops {
			if m.Code == "mail.sent" {
				t.Fatal("the operator sees the reseller's meter")
			}
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustDay(t *testing.T, s string) billing.Date {
	t.Helper()
	d, err := billing.ParseDay("day", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestSampleCounts: the daily counts of an account's domains and
// subdomains (removed ones not counted) and of a reseller's accounts,
// once a day however often sampled.
func TestSampleCounts(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		w := newWorld(t, h)
		ctx := context.Background()
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		for i, d := range []struct {
			parent any
			target string
		}{{nil, "active"}, {nil, "active"}, {int64(1), "active"}, {nil, "removed"}} {
			must(h.W.Table("domains").Create(map[string]any{"id": i + 1, "account_id": 1, "parent_id": d.parent, "tenant_id": w.client.TenantID, "tenant_path": w.client.Path,
				"name": "d" + itoa(i) + ".example", "display_name": "d" + itoa(i) + ".example", "state": d.target, "target": d.target, "created_at": now, "updated_at": now}).Error)
		}
		must(h.W.Table("reseller_accounts").Create(map[string]any{"id": 1, "tenant_id": w.reseller.TenantID, "tenant_path": w.reseller.Path, "package": "r",
			"max_clients": 0, "disk_mb": 0, "traffic_mb": 0, "state": "active", "created_at": now, "updated_at": now}).Error)
		must(h.W.Exec(`INSERT INTO products (id, seller_id, code, name, kind, match_code, created_at, updated_at) VALUES (1, 1, 'r', 'R', 'reseller', 'r', ?, ?)`, now, now).Error)
		must(h.W.Exec(`INSERT INTO contracts (id, seller_id, customer_id, customer_path, subproject, subproject_name, subject_kind, subject_id, subject_name, product_id, currency, cycle,
			unit_minor, anchor_day, start_date, next_due, status, source_event, created_at, updated_at)
			VALUES (7, 1, ?, ?, 'reseller:1', 'R', 'reseller', 1, 'R', 1, 'EUR', 'monthly', 1000, 1, '2026-11-01', '2026-12-01', 'active', 'test', ?, ?)`,
			w.reseller.TenantID, w.reseller.Path, now, now).Error)
		day := mustDay(t, "2026-11-20")
		for range 2 {
			if _, err := w.s.SampleCounts(ctx, day); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string]int64{}
		var rows []struct {
			Code        string
			SubjectKind string
			SubjectID   int64
			Quantity    int64
		}
		h.W.Raw(`SELECT m.code, e.subject_kind, e.subject_id, e.quantity FROM usage_events e JOIN usage_meters m ON m.id = e.meter_id`).Scan(&rows)
		for _, r := range rows {
			got[fmt.Sprintf("%s/%s/%d", r.Code, r.SubjectKind, r.SubjectID)] = r.Quantity
		}
		want := map[string]int64{"domains/account/1": 2, "subdomains/account/1": 1, "domains/account/2": 0, "subdomains/account/2": 0, "accounts/contract/7": 1}
		if len(got) != len(want) {
			t.Fatalf("samples %v, want %v", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("samples %v, want %v", got, want)
			}
		}
	})
}

// TestQuotaWarnings: the account's owner gets one mail at 80 % of its
// traffic quota and one at 100 %, each once, in the owner's language.
func TestQuotaWarnings(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		w := newWorld(t, h)
		ctx := context.Background()
		box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
		if err != nil {
			t.Fatal(err)
		}
		theme, err := themes.Load("")
		if err != nil {
			t.Fatal(err)
		}
		clock := core.NewFrozenClock(now)
		w.s.UseMail(mail.NewOutbox(h, clock, mail.NewSender(mail.Options{}), box, "panel.test"), theme, "http://panel.test")
		if err := h.W.Exec("UPDATE accounts SET traffic_mb = 1000 WHERE id = 1").Error; err != nil {
			t.Fatal(err)
		}
		h.W.Exec("UPDATE tenants SET language = 'de' WHERE id = ?", w.client.TenantID)
		send := func(id, qty string) {
			if _, err := w.s.Ingest(ctx, operator, "k", usage.Batch{Events: []usage.EventInput{event(id, usage.MeterTraffic, 1, qty, now.Add(-time.Hour))}}); err != nil {
				t.Fatal(err)
			}
		}
		mails := func() []string {
			var subjects []string
			h.W.Table("mail_deliveries").Where("kind = 'usage_warning'").Order("id").Pluck("subject", &subjects)
			return subjects
		}
		send("a", "700000000")
		if n, err := w.s.Warn(ctx); err != nil || n != 0 {
			t.Fatalf("70 %%: %d %v", n, err)
		}
		send("b", "150000000")
		for range 2 {
			if _, err := w.s.Warn(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if got := mails(); len(got) != 1 || got[0] != "user1: 80 % des Traffics dieses Monats verbraucht" {
			t.Fatalf("at 85 %%: %q", got)
		}
		send("c", "200000000")
		if _, err := w.s.Warn(ctx); err != nil {
			t.Fatal(err)
		}
		if got := mails(); len(got) != 2 || !strings.HasPrefix(got[1], "user1: 100 %") {
			t.Fatalf("at 105 %%: %q", got)
		}
	})
}

// TestAccountReport: the month's traffic against the quota, the disk's
// last sample, the projection at the month's pace (none in its first
// three days), and another tenant's account not found.
func TestAccountReport(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		w := newWorld(t, h)
		ctx := context.Background()
		h.W.Exec("UPDATE accounts SET traffic_mb = 10000, disk_mb = 1000 WHERE id = 1")
		evs := []usage.EventInput{event("t1", usage.MeterTraffic, 1, "3000000000", now.Add(-48*time.Hour)), event("t2", usage.MeterTraffic, 1, "1000000000", now.Add(-time.Hour)),
			event("d1", usage.MeterDisk, 1, "400000000", now.Add(-48*time.Hour)), event("d2", usage.MeterDisk, 1, "500000000", now.Add(-time.Hour))}
		if _, err := w.s.Ingest(ctx, operator, "k", usage.Batch{Events: evs}); err != nil {
			t.Fatal(err)
		}
		r, err := w.s.Account(ctx, w.client, 1)
		if err != nil {
			t.Fatal(err)
		}
		// Nov 20 12:00: 19.5 days of 30 gone, 4 GB used: 6.15 GB at this pace.
		if r.TrafficBytes != 4_000_000_000 || r.TrafficPercent() != 40 || r.DiskBytes != 500_000_000 || r.DiskPercent() != 50 ||
			r.ProjectedBytes != 6_153_846_153 || r.ProjectedOver != 0 || r.Last != "2026-11-30" || len(r.Days) != 30 || r.Days[17].Traffic != 3_000_000_000 {
			t.Fatalf("report %+v", r)
		}
		early := usage.New(h, core.NewFrozenClock(time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)), audit.New(h, core.NewFrozenClock(now)), settings.NewStore(h, core.NewFrozenClock(now)))
		if r, _ := early.Account(ctx, w.client, 1); r.ProjectedBytes != 0 {
			t.Fatalf("a projection on the month's second day: %d", r.ProjectedBytes)
		}
		if _, err := w.s.Account(ctx, w.rclient, 1); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("another tenant's account: %v", err)
		}
	})
}

// TestSetPricesBadInput: a usage price naming an unknown meter, the same
// meter and currency twice, or a bad model is a field error by index and
// replaces nothing; another seller's product is not found.
func TestSetPricesBadInput(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		w := newWorld(t, h)
		ctx := context.Background()
		for _, q := range []string{
			`INSERT INTO products (id, seller_id, code, name, kind, match_code, created_at, updated_at) VALUES (1, 1, 'web', 'Web', 'hosting', 'web', ?, ?)`,
			`INSERT INTO products (id, seller_id, code, name, kind, match_code, created_at, updated_at) VALUES (2, ?, 'r', 'R', 'hosting', 'r', ?, ?)`,
		} {
			args := []any{now, now}
			if strings.Contains(q, "(2,") {
				args = []any{w.reseller.TenantID, now, now}
			}
			if err := h.W.Exec(q, args...).Error; err != nil {
				t.Fatal(err)
			}
		}
		good := usage.Price{Meter: usage.MeterTraffic, Currency: "EUR", Model: usage.ModelPerUnit, Per: gb, UnitName: "GB", UnitPrice: "0.01"}
		if _, err := w.s.SetPrices(ctx, operator, 1, []usage.Price{good}); err != nil {
			t.Fatal(err)
		}
		bad := good
		bad.Meter = "bandwidth"
		badModel := good
		badModel.Model = "auction"
		for _, c := range []struct {
			name   string
			prices []usage.Price
			field  string
		}{
			{"unknown meter", []usage.Price{good, bad}, "prices.1.meter"},
			{"the same meter and currency twice", []usage.Price{good, good}, "prices.1.meter"},
			{"unknown model", []usage.Price{badModel}, "prices.0.model"},
		} {
			_, err := w.s.SetPrices(ctx, operator, 1, c.prices)
			var v *core.ValidationError
			if !errors.As(err, &v) || v.Fields[c.field] == "" {
				t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
			}
		}
		if ps, err := w.s.Prices(ctx, operator, 1); err != nil || len(ps) != 1 || ps[0].UnitPrice != "0.01" {
			t.Fatalf("prices after refused changes: %+v %v", ps, err)
		}
		if _, err := w.s.SetPrices(ctx, operator, 2, []usage.Price{good}); !errors.Is(err, core.ErrNotFound) {
			t.Fatalf("the reseller's product: %v", err)
		}
	})
}
