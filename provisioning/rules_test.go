package provisioning_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/provisioning"
	"faktura/provisioning/noop"
)

// TestResellerSuspension: suspending a reseller suspends its clients'
// active accounts with reason reseller_suspended; unsuspending it restores
// exactly those, never an account suspended for another reason.
func TestResellerSuspension(t *testing.T) {
	each(t, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, provisioning.Options{})
		ctx := f.ctx()
		r := f.openReseller(provisioning.ResellerInput{})
		mk := func(user string) provisioning.Account {
			return f.account(f.client, provisioning.CreateAccountInput{TenantID: f.client.TenantID, PackageID: f.basic.ID, Username: user})
		}
		plain, unpaid, abuse, direct := mk("plain"), mk("unpaid"), mk("abuse"), f.account(f.other, provisioning.CreateAccountInput{TenantID: f.other.TenantID, PackageID: f.basic.ID, Username: "direct"})
		f.work()
		if _, err := f.s.SuspendAccount(ctx, f.reseller, unpaid.ID, provisioning.ReasonNonpayment); err != nil {
			t.Fatal(err)
		}
		f.work()
		if _, err := f.s.SuspendReseller(ctx, operator, r.ID, provisioning.ReasonNonpayment); err != nil {
			t.Fatal(err)
		}
		f.work()
		for _, c := range []struct {
			a      provisioning.Account
			state  provisioning.State
			reason provisioning.Reason
		}{{plain, provisioning.StateSuspended, provisioning.ReasonResellerSuspended}, {unpaid, provisioning.StateSuspended, provisioning.ReasonNonpayment},
			{abuse, provisioning.StateSuspended, provisioning.ReasonResellerSuspended}, {direct, provisioning.StateActive, ""}} {
			got := f.get(c.a.ID)
			if got.State != c.state || got.SuspendReason != c.reason {
				t.Errorf("%s after reseller suspension = %s/%s, want %s/%s", got.Username, got.State, got.SuspendReason, c.state, c.reason)
			}
		}
		// The account cannot come back on its own while its reseller is out.
		if _, err := f.s.UnsuspendAccount(ctx, f.reseller, plain.ID); !errors.Is(err, core.ErrPrecondition) {
			t.Errorf("unsuspend an account suspended with its reseller: err = %v, want precondition", err)
		}
		// Abuse found meanwhile: the account takes the stronger reason.
		if _, err := f.s.SuspendAccount(ctx, operator, abuse.ID, provisioning.ReasonAbuse); err != nil {
			t.Fatal(err)
		}
		// No new clients while the reseller is suspended.
		if err := h.WithTx(ctx, func(ctx context.Context) error { return f.s.CheckNewClient(ctx, f.reseller.TenantID) }); err == nil {
			t.Error("a suspended reseller may still add clients")
		}
		if _, err := f.s.UnsuspendReseller(ctx, operator, r.ID); err != nil {
			t.Fatal(err)
		}
		f.work()
		for _, c := range []struct {
			a     provisioning.Account
			state provisioning.State
		}{{plain, provisioning.StateActive}, {unpaid, provisioning.StateSuspended}, {abuse, provisioning.StateSuspended}, {direct, provisioning.StateActive}} {
			if got := f.get(c.a.ID); got.State != c.state {
				t.Errorf("%s after reseller unsuspension = %s (%s), want %s", got.Username, got.State, got.SuspendReason, c.state)
			}
		}
		want(t, "reseller events", strings.Join(f.events("reseller:"+itoa(r.TenantID)), ","), "reseller_created,reseller_suspended,reseller_unsuspended")
		want(t, "plain's events", strings.Join(f.events("account:"+itoa(plain.ID)), ","), "account_created,account_suspended,account_unsuspended")
		want(t, "unpaid's events", strings.Join(f.events("account:"+itoa(unpaid.ID)), ","), "account_created,account_suspended")

		if _, err := f.s.TerminateReseller(ctx, operator, r.ID); err != nil {
			t.Fatal(err)
		}
		f.work()
		for _, a := range []provisioning.Account{plain, unpaid, abuse} {
			want(t, a.Username+" after reseller termination", f.get(a.ID).State, provisioning.StateTerminated)
		}
		want(t, "direct after reseller termination", f.get(direct.ID).State, provisioning.StateActive)
	})
}

// TestBadInput: each bad request names its field, writes nothing and
// provisions nothing.
func TestBadInput(t *testing.T) {
	each(t, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, provisioning.Options{})
		sc := newBadInputScene(t, f, h)
		ctx, theirs, myDomain, theirDomain := sc.ctx, sc.theirs, sc.myDomain, sc.theirDomain
		cases := sc.cases()
		tables := []string{"accounts", "domains", "provisioning_jobs", "outbox_events", "servers", "packages", "reseller_accounts", "audit_log"}
		before := map[string]int64{}
		for _, tb := range tables {
			before[tb] = f.count(tb, "")
		}
		calls := len(noop.Calls(f.label))
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.do()
				var ve *core.ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a validation error on %s", err, tc.field)
				}
				if ve.Fields[tc.field] == "" {
					t.Fatalf("problems = %v, want one on %s", ve.Fields, tc.field)
				}
			})
		}
		for _, tb := range tables {
			if n := f.count(tb, ""); n != before[tb] {
				t.Errorf("%s rows %d -> %d after refused input", tb, before[tb], n)
			}
		}
		f.work()
		if n := len(noop.Calls(f.label)); n != calls {
			t.Errorf("driver calls %d -> %d after refused input", calls, n)
		}
		// A client may not add subdomains on a package that does not allow it.
		if _, err := f.s.AddSubdomain(ctx, f.client, myDomain, "shop"); !errors.Is(err, core.ErrForbidden) {
			t.Errorf("client subdomain on basic: err = %v, want forbidden", err)
		}
		// Scope: another tenant's objects are not found.
		if _, err := f.s.SuspendAccount(ctx, f.client, theirs.ID, provisioning.ReasonManual); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("suspend another tenant's account: err = %v, want not found", err)
		}
		if _, err := f.s.RemoveDomain(ctx, f.reseller, theirDomain); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("remove another tenant's domain: err = %v, want not found", err)
		}
	})
}

// badInputScene is the world TestBadInput refuses input in: a reseller
// with a client (account mine, domain myDomain and two subdomains) and
// another tenant's account theirs with domain theirDomain.
type badInputScene struct {
	f                     *fixture
	h                     *db.Handle
	ctx                   context.Context
	mine, theirs          provisioning.Account
	mid                   provisioning.Package
	myDomain, theirDomain int64
}

type badInputCase struct {
	name, field string
	do          func() error
}

func newBadInputScene(t *testing.T, f *fixture, h *db.Handle) badInputScene {
	t.Helper()
	ctx := f.ctx()
	f.openReseller(provisioning.ResellerInput{MaxClients: 1, DiskMB: 2500})
	mid := f.pkg(operator, provisioning.PackageInput{Code: "mid", Name: "Mid", DiskMB: 1600, TrafficMB: 1000})
	mine := f.account(f.client, provisioning.CreateAccountInput{TenantID: f.client.TenantID, PackageID: f.basic.ID, Username: "mine", Domain: "mine.example"})
	theirs := f.account(f.other, provisioning.CreateAccountInput{TenantID: f.other.TenantID, PackageID: f.basic.ID, Username: "theirs", Domain: "theirs.example"})
	f.work()
	doms, _ := f.s.Domains(ctx, f.other, theirs.ID)
	theirDomain := doms[0].ID
	doms, _ = f.s.Domains(ctx, f.client, mine.ID)
	myDomain := doms[0].ID
	if _, err := f.s.AddSubdomain(ctx, f.reseller, myDomain, "one"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.AddSubdomain(ctx, f.reseller, myDomain, "two"); err != nil {
		t.Fatal(err)
	}
	f.work()
	return badInputScene{f: f, h: h, ctx: ctx, mine: mine, theirs: theirs, mid: mid, myDomain: myDomain, theirDomain: theirDomain}
}

// cases are the refused inputs, each with the field it must name.
func (sc badInputScene) cases() []badInputCase {
	f, h, ctx, mine, mid, myDomain, theirDomain := sc.f, sc.h, sc.ctx, sc.mine, sc.mid, sc.myDomain, sc.theirDomain
	acct := func(in provisioning.CreateAccountInput) func() error {
		return func() error { _, err := f.s.CreateAccount(ctx, f.reseller, in); return err }
	}
	valid := provisioning.CreateAccountInput{TenantID: f.client.TenantID, PackageID: f.basic.ID, Username: "fresh"}
	with := func(change func(*provisioning.CreateAccountInput)) provisioning.CreateAccountInput {
		in := valid
		change(&in)
		return in
	}
	return []badInputCase{
		{"invalid domain", "name", func() error { _, err := f.s.AddDomain(ctx, f.client, mine.ID, "exa mple.com"); return err }},
		{"single label", "name", func() error { _, err := f.s.AddDomain(ctx, f.client, mine.ID, "localhost"); return err }},
		{"label too long", "name", func() error {
			_, err := f.s.AddDomain(ctx, f.client, mine.ID, strings.Repeat("a", 64)+".com")
			return err
		}},
		{"duplicate domain", "name", func() error { _, err := f.s.AddDomain(ctx, f.client, mine.ID, "THEIRS.example"); return err }},
		{"duplicate in other script", "name", func() error { _, err := f.s.AddDomain(ctx, f.client, mine.ID, "mine.example."); return err }},
		{"under someone else's domain", "name", func() error { _, err := f.s.AddDomain(ctx, f.client, mine.ID, "shop.theirs.example"); return err }},
		{"subdomain of someone else's domain", "domain_id", func() error { _, err := f.s.AddSubdomain(ctx, f.reseller, theirDomain, "x"); return err }},
		{"bad subdomain label", "label", func() error { _, err := f.s.AddSubdomain(ctx, f.reseller, myDomain, "a.b"); return err }},
		{"subdomain over package limit", "label", func() error { _, err := f.s.AddSubdomain(ctx, f.reseller, myDomain, "three"); return err }},
		{"bad user name", "username", acct(with(func(in *provisioning.CreateAccountInput) { in.Username = "Root!" }))},
		{"user name taken", "username", acct(with(func(in *provisioning.CreateAccountInput) { in.Username = "theirs" }))},
		{"exceeds reseller disk", "package_id", acct(with(func(in *provisioning.CreateAccountInput) { in.PackageID = f.big.ID }))},
		{"exceeds what the reseller has left", "package_id", acct(with(func(in *provisioning.CreateAccountInput) { in.PackageID = mid.ID }))}, // 1000 + 1600 MB > 2500
		{"account of someone else's client", "tenant_id", acct(with(func(in *provisioning.CreateAccountInput) { in.TenantID = f.other.TenantID }))},
		{"unknown package", "package_id", acct(with(func(in *provisioning.CreateAccountInput) { in.PackageID = 9999 }))},
		{"unknown server", "server_id", acct(with(func(in *provisioning.CreateAccountInput) { in.ServerID = 9999 }))},
		{"invalid first domain", "domain", acct(with(func(in *provisioning.CreateAccountInput) { in.Domain = "-x-.com" }))},
		{"first domain taken", "domain", acct(with(func(in *provisioning.CreateAccountInput) { in.Domain = "theirs.example" }))},
		{"exceeds client limit", "parent_id", func() error {
			return h.WithTx(ctx, func(ctx context.Context) error { return f.s.CheckNewClient(ctx, f.reseller.TenantID) })
		}},
		{"bad suspension reason", "reason", func() error {
			_, err := f.s.SuspendAccount(ctx, f.reseller, mine.ID, "reseller_suspended")
			return err
		}},
		{"bad server settings", "settings.listen", func() error {
			_, err := f.s.CreateServer(ctx, provisioning.ServerInput{Name: "web9", Driver: "nginx", Settings: []byte(`{"listen":"eighty"}`)})
			return err
		}},
		{"unknown server setting", "settings", func() error {
			_, err := f.s.CreateServer(ctx, provisioning.ServerInput{Name: "web9", Driver: "nginx", Settings: []byte(`{"docroot":"/x"}`)})
			return err
		}},
		{"unknown driver", "driver", func() error {
			_, err := f.s.CreateServer(ctx, provisioning.ServerInput{Name: "web9", Driver: "cpanel"})
			return err
		}},
	}
}

// TestFailingDriver: a failing call keeps the resource pending with the
// driver's message and retries with backoff; after the last attempt a
// creation fails the account, and a retry after the fault is fixed
// creates it. Another server's accounts go ahead meanwhile.
func TestFailingDriver(t *testing.T) {
	each(t, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, provisioning.Options{MaxAttempts: 3, BackoffBase: time.Minute})
		ctx := f.ctx()
		healthyLabel := f.label + "-healthy"
		healthy := f.noopServer("noop-2", healthyLabel)
		noop.SetFail(f.label, "create", "disk quota tool: device busy")
		broken := f.account(f.other, provisioning.CreateAccountInput{TenantID: f.other.TenantID, PackageID: f.basic.ID, Username: "broken", ServerID: f.server.ID})
		fine := f.account(f.other, provisioning.CreateAccountInput{TenantID: f.other.TenantID, PackageID: f.basic.ID, Username: "fine", ServerID: healthy.ID})
		f.work()
		a := f.get(broken.ID)
		want(t, "broken state", a.State, provisioning.StatePending)
		if !strings.Contains(a.LastError, "device busy") {
			t.Errorf("last error = %q, want the driver's message", a.LastError)
		}
		want(t, "account on the healthy server", f.get(fine.ID).State, provisioning.StateActive)
		// Not due yet: nothing runs.
		f.work()
		want(t, "attempts before the backoff passed", len(noop.Calls(f.label)), 1)
		f.clock.Advance(time.Minute)
		f.work()
		f.clock.Advance(2 * time.Minute)
		f.work()
		a = f.get(broken.ID)
		want(t, "state after the last attempt", a.State, provisioning.StateFailed)
		if !strings.Contains(a.Failure, "device busy") {
			t.Errorf("failure = %q, want the driver's message", a.Failure)
		}
		want(t, "attempts", len(noop.Calls(f.label)), 3)
		if n := f.count("outbox_events", "aggregate = ?", "account:"+itoa(a.ID)); n != 0 {
			t.Errorf("a failed account published %d events", n)
		}
		noop.SetFail(f.label, "create", "")
		if _, err := f.s.RetryAccount(ctx, operator, a.ID); err != nil {
			t.Fatal(err)
		}
		f.work()
		a = f.get(broken.ID)
		if a.State != provisioning.StateActive || a.LastError != "" {
			t.Errorf("after retry: state %s, error %q; want active and no error", a.State, a.LastError)
		}
		want(t, "events after retry", strings.Join(f.events("account:"+itoa(a.ID)), ","), "account_created")
	})
}

// TestCrashAfterDriverCall: a worker that dies after the driver acted but
// before recording it leaves the job leased; after the lease another
// worker repeats the (idempotent) call and records it once; the first
// node, back, finds nothing left to do.
func TestCrashAfterDriverCall(t *testing.T) {
	each(t, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, provisioning.Options{CallTimeout: time.Minute, Lease: 2 * time.Minute})
		a := f.account(f.other, provisioning.CreateAccountInput{TenantID: f.other.TenantID, PackageID: f.basic.ID, Username: "crashy"})
		// Node A claims the job and "crashes": simulate by leasing it to A.
		if err := h.W.Exec("UPDATE provisioning_jobs SET locked_by = 'node-dead', next_attempt_at = ? WHERE account_id = ?", f.clock.Now().Add(2*time.Minute), a.ID).Error; err != nil {
			t.Fatal(err)
		}
		f.work()
		want(t, "state while the lease holds", f.get(a.ID).State, provisioning.StatePending)
		f.clock.Advance(3 * time.Minute)
		f.work()
		want(t, "state after takeover", f.get(a.ID).State, provisioning.StateActive)
		want(t, "events", strings.Join(f.events("account:"+itoa(a.ID)), ","), "account_created")
		// The node that died, restarted, does not run the job again.
		dead := f.s.NewWorker("node-dead", quiet())
		if n, err := dead.RunOnce(context.Background()); err != nil || n != 0 {
			t.Errorf("dead node found %d jobs (err %v), want none", n, err)
		}
		want(t, "jobs done", f.count("provisioning_jobs", "status = 'done' AND account_id = ?", a.ID), int64(1))
	})
}
