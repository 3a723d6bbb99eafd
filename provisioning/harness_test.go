package provisioning_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/outbox"
	"faktura/panel/core/schema"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
	_ "faktura/provisioning/nginx"
	"faktura/provisioning/noop"
)

var sets = []db.MigrationSet{schema.Set, provisioning.Migrations}

var (
	operator = tenancy.Scope{TenantID: 1, Kind: tenancy.KindOperator, Path: "/1/"}
	epoch    = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
)

// fixture is a provisioning service on a fresh database with a frozen
// clock, a reseller with a client, another client of the operator, and
// packages.
type fixture struct {
	t        *testing.T
	h        *db.Handle
	clock    *core.FrozenClock
	bus      *outbox.Bus
	s        *provisioning.Service
	w        *provisioning.Worker
	reseller tenancy.Scope // reseller R
	client   tenancy.Scope // R's client
	other    tenancy.Scope // the operator's client
	basic    provisioning.Package
	big      provisioning.Package
	label    string // the noop server's call log
	server   provisioning.Server
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t *testing.T, h *db.Handle, opt provisioning.Options) *fixture {
	t.Helper()
	f := &fixture{t: t, h: h, clock: core.NewFrozenClock(epoch)}
	f.bus = outbox.NewBus(h, f.clock)
	opt.BackoffBase = max(opt.BackoffBase, time.Minute)
	f.s = provisioning.New(h, f.clock, f.bus, audit.New(h, f.clock), opt)
	f.w = f.s.NewWorker("node-a", quiet())
	f.reseller = f.tenant(tenancy.KindReseller, operator, "Reseller R")
	f.client = f.tenant(tenancy.KindClient, f.reseller, "Client of R")
	f.other = f.tenant(tenancy.KindClient, operator, "Direct client")
	f.basic = f.pkg(operator, provisioning.PackageInput{Code: "basic", Name: "Basic", DiskMB: 1000, TrafficMB: 10000, MaxDomains: 2, MaxSubdomains: 2})
	f.big = f.pkg(operator, provisioning.PackageInput{Code: "big", Name: "Big", DiskMB: 5000, TrafficMB: 50000, ClientSubdomains: true})
	f.label = fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	f.server = f.noopServer("noop-1", f.label)
	return f
}

func (f *fixture) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{UserID: 7, Label: "admin@op.test"})
}

// tenant inserts a tenant below parent.
func (f *fixture) tenant(kind tenancy.Kind, parent tenancy.Scope, name string) tenancy.Scope {
	f.t.Helper()
	return dbtest.Tenant(f.t, f.h, f.clock.Now(), kind, parent, name)
}

func (f *fixture) pkg(owner tenancy.Scope, in provisioning.PackageInput) provisioning.Package {
	f.t.Helper()
	p, err := f.s.CreatePackage(f.ctx(), owner, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) noopServer(name, label string) provisioning.Server {
	f.t.Helper()
	raw, _ := json.Marshal(noop.Settings{Label: label})
	srv, err := f.s.CreateServer(f.ctx(), provisioning.ServerInput{Name: name, Driver: "noop", Settings: raw})
	if err != nil {
		f.t.Fatal(err)
	}
	return srv
}

// openReseller gives reseller R its reseller account.
func (f *fixture) openReseller(in provisioning.ResellerInput) provisioning.ResellerAccount {
	f.t.Helper()
	in.TenantID = f.reseller.TenantID
	if in.Package == "" {
		in.Package = "reseller-s"
	}
	r, err := f.s.CreateReseller(f.ctx(), operator, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func (f *fixture) account(scope tenancy.Scope, in provisioning.CreateAccountInput) provisioning.Account {
	f.t.Helper()
	a, err := f.s.CreateAccount(f.ctx(), scope, in)
	if err != nil {
		f.t.Fatalf("create account %s: %v", in.Username, err)
	}
	return a
}

// work runs the worker until nothing is due.
func (f *fixture) work() {
	f.t.Helper()
	for range 100 {
		n, err := f.w.RunOnce(context.Background())
		if err != nil {
			f.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	f.t.Fatal("worker never ran dry")
}

func (f *fixture) get(id int64) provisioning.Account {
	f.t.Helper()
	a, err := f.s.GetAccount(context.Background(), operator, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *fixture) domain(id int64) provisioning.Domain {
	f.t.Helper()
	d, err := f.s.GetDomain(context.Background(), operator, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// events lists the outbox's event names in order, optionally only those of
// one aggregate.
func (f *fixture) events(aggregate string) []string {
	var names []string
	q := f.h.R.Table("outbox_events").Order("id")
	if aggregate != "" {
		q = q.Where("aggregate = ?", aggregate)
	}
	if err := q.Pluck("name", &names).Error; err != nil {
		f.t.Fatal(err)
	}
	for i, n := range names {
		names[i] = strings.TrimPrefix(n, "provisioning.")
	}
	return names
}

func (f *fixture) count(table string, where string, args ...any) int64 {
	var n int64
	q := f.h.R.Table(table)
	if where != "" {
		q = q.Where(where, args...)
	}
	if err := q.Count(&n).Error; err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) calls() []string {
	var out []string
	for _, c := range noop.Calls(f.label) {
		out = append(out, c.Action+" "+c.Username+" "+c.Site)
	}
	return out
}

func want[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func each(t *testing.T, fn func(t *testing.T, h *db.Handle)) { dbtest.Each(t, sets, fn) }
