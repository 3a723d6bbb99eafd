package provisioning_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"faktura/panel/core/db"
	"faktura/panel/core/outbox"
	"faktura/provisioning"
)

// TestLifecycleEvents walks an account through every transition on the
// noop driver: each writes exactly one outbox event, in order, and a
// subscriber applies each event once even when delivery repeats.
func TestLifecycleEvents(t *testing.T) {
	each(t, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, provisioning.Options{})
		ctx := f.ctx()
		r := f.openReseller(provisioning.ResellerInput{MaxClients: 5})
		a := f.account(f.client, provisioning.CreateAccountInput{TenantID: f.client.TenantID, PackageID: f.basic.ID, Username: "alice", Domain: "Alice-Shop.example"})
		want(t, "new account state", a.State, provisioning.StatePending)
		if n := f.count("outbox_events", "aggregate = ?", "account:"+itoa(a.ID)); n != 0 {
			t.Fatalf("events before the server acted = %d, want 0", n)
		}
		f.work()
		a = f.get(a.ID)
		want(t, "state after create", a.State, provisioning.StateActive)
		doms, _ := f.s.Domains(ctx, f.client, a.ID)
		if len(doms) != 1 || doms[0].Name != "alice-shop.example" || doms[0].State != provisioning.StateActive {
			t.Fatalf("domains = %+v, want alice-shop.example active", doms)
		}
		sub, err := f.s.AddSubdomain(ctx, f.reseller, doms[0].ID, "blog")
		if err != nil {
			t.Fatal(err)
		}
		f.work()
		steps := []func() error{
			func() error {
				_, err := f.s.SuspendAccount(ctx, f.reseller, a.ID, provisioning.ReasonNonpayment)
				return err
			},
			func() error { _, err := f.s.UnsuspendAccount(ctx, f.reseller, a.ID); return err },
			func() error { _, err := f.s.ChangePackage(ctx, f.reseller, a.ID, f.big.ID); return err },
			func() error { _, err := f.s.ChangePassword(ctx, f.client, a.ID, "correct horse battery"); return err },
			func() error { _, err := f.s.RemoveDomain(ctx, f.client, sub.ID); return err },
			func() error { _, err := f.s.AddDomain(ctx, f.client, a.ID, "zweite-domain.de"); return err },
			func() error { _, err := f.s.TerminateAccount(ctx, f.reseller, a.ID); return err },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			f.work()
		}
		got := f.events("account:" + itoa(a.ID))
		wantEvents := []string{"account_created", "domain_added", "subdomain_added", "account_suspended", "account_unsuspended",
			"account_package_changed", "subdomain_removed", "domain_added", "domain_removed", "domain_removed", "account_terminated"}
		if !slices.Equal(got, wantEvents) {
			t.Fatalf("events =\n  %v\nwant\n  %v", got, wantEvents)
		}
		want(t, "reseller events", strings.Join(f.events("reseller:"+itoa(r.TenantID)), ","), "reseller_created")
		a = f.get(a.ID)
		want(t, "final state", a.State, provisioning.StateTerminated)
		want(t, "final package", a.PackageID, f.big.ID)
		if n := f.count("domains", "account_id = ? AND name_key IS NOT NULL", a.ID); n != 0 {
			t.Errorf("%d domains still hold their names after termination", n)
		}
		if n := f.count("provisioning_jobs", "params LIKE ?", "%horse%"); n != 0 {
			t.Errorf("the password stayed in %d done jobs", n)
		}
		wantCalls := []string{"create alice ", "add_site alice alice-shop.example", "add_site alice blog.alice-shop.example", "suspend alice ",
			"unsuspend alice ", "change_package alice ", "change_password alice ", "remove_site alice blog.alice-shop.example",
			"add_site alice zweite-domain.de", "terminate alice "}
		if got := f.calls(); !slices.Equal(got, wantCalls) {
			t.Errorf("driver calls =\n  %q\nwant\n  %q", got, wantCalls)
		}
		// A new account may take the freed user name and domain.
		b := f.account(f.other, provisioning.CreateAccountInput{TenantID: f.other.TenantID, PackageID: f.basic.ID, Username: "alice", Domain: "alice-shop.example"})
		f.work()
		want(t, "reused name account", f.get(b.ID).State, provisioning.StateActive)

		assertAppliedOnce(t, f, h)
	})
}

// assertAppliedOnce delivers every event to a subscriber that counts its
// effects, then forces a second delivery of all of them: each event's
// effect stays at one.
func assertAppliedOnce(t *testing.T, f *fixture, h *db.Handle) {
	t.Helper()
	bus := outbox.NewBus(h, f.clock)
	var mu sync.Mutex
	effects := map[string]int{}
	count := func(ctx context.Context, m outbox.Meta) error {
		mu.Lock()
		defer mu.Unlock()
		effects[m.ID]++
		return nil
	}
	outbox.MustOn(bus, "test.accounts", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.AccountCreated) error { return count(ctx, m) })
	outbox.MustOn(bus, "test.suspended", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.AccountSuspended) error { return count(ctx, m) })
	outbox.MustOn(bus, "test.unsuspended", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.AccountUnsuspended) error {
		return count(ctx, m)
	})
	outbox.MustOn(bus, "test.terminated", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.AccountTerminated) error { return count(ctx, m) })
	outbox.MustOn(bus, "test.package", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.AccountPackageChanged) error {
		return count(ctx, m)
	})
	outbox.MustOn(bus, "test.domain_added", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.DomainAdded) error { return count(ctx, m) })
	outbox.MustOn(bus, "test.domain_removed", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.DomainRemoved) error { return count(ctx, m) })
	outbox.MustOn(bus, "test.sub_added", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.SubdomainAdded) error { return count(ctx, m) })
	outbox.MustOn(bus, "test.sub_removed", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.SubdomainRemoved) error { return count(ctx, m) })
	outbox.MustOn(bus, "test.reseller", 0, func(ctx context.Context, m outbox.Meta, _ provisioning.ResellerCreated) error { return count(ctx, m) })
	bus.Start()
	d := outbox.NewDispatcher(bus, "dispatcher", outbox.Options{}, quiet())
	drain := func() {
		for {
			n, err := d.RunOnce(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
		}
	}
	drain()
	total := f.count("outbox_events", "")
	if int64(len(effects)) != total {
		t.Fatalf("subscriber saw %d events, outbox holds %d", len(effects), total)
	}
	// Redeliver everything, as after a crash before the done marks.
	if err := h.W.Exec("UPDATE outbox_events SET status = 'pending', next_attempt_at = ?", f.clock.Now()).Error; err != nil {
		t.Fatal(err)
	}
	drain()
	for id, n := range effects {
		if n != 1 {
			t.Errorf("event %s applied %d times, want 1", id, n)
		}
	}
	t.Logf("%d events, each applied once across two deliveries", total)
}
