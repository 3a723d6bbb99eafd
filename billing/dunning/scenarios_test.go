package dunning_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/dunning"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
	"faktura/provisioning/noop"
)

// dayOf returns inv's due date moved by n days.
func dayOf(t testing.TB, inv billing.Invoice, n int) string {
	return billing.AddDays(mustDate(t, inv.DueDate), n).String()
}

// TestAbuseStaysSuspended: an account suspended for non-payment and then
// for abuse stays suspended when the invoice is paid (the suspension is
// kept, not released), and an account suspended for abuse before is never
// taken over by dunning.
func TestAbuseStaysSuspended(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		first := f.account(f.c, "kunde")
		second := f.account(f.c, "kunde2")
		_, err := f.hosting.SuspendAccount(f.ctx(), operator, second.ID, provisioning.ReasonAbuse)
		f.must(err)
		f.settle()
		inv := f.invoice("2026-12-01", f.c)
		f.day(dayOf(t, inv, 15))
		if a := f.acct(first.ID); a.State != provisioning.StateSuspended || a.SuspendReason != provisioning.ReasonNonpayment {
			t.Fatalf("on +15 the first account is %s for %q", a.State, a.SuspendReason)
		}
		if a := f.acct(second.ID); a.SuspendReason != provisioning.ReasonAbuse {
			t.Fatalf("dunning took over the account suspended for abuse: %q", a.SuspendReason)
		}
		// Staff find abuse on the first account too.
		_, err = f.hosting.SuspendAccount(f.ctx(), operator, first.ID, provisioning.ReasonAbuse)
		f.must(err)
		f.settle()
		f.at(dayOf(t, inv, 16))
		f.payCustomer(operator, f.c, dayOf(t, inv, 16))
		f.day(dayOf(t, inv, 17))
		for _, id := range []int64{first.ID, second.ID} {
			if a := f.acct(id); a.State != provisioning.StateSuspended || a.SuspendReason != provisioning.ReasonAbuse {
				t.Errorf("account %s is %s for %q after payment; want it still suspended for abuse", a.Username, a.State, a.SuspendReason)
			}
		}
		var sp dunning.Suspension
		f.must(h.W.Where("subject_id = ?", first.ID).Take(&sp).Error)
		if sp.State != dunning.HeldKept || sp.OpenKey != nil {
			t.Errorf("the suspension is %s, want kept and closed", sp.State)
		}
		if n := f.events("provisioning.account_unsuspended"); n != 0 {
			t.Errorf("%d accounts unsuspended", n)
		}
	})
}

// TestResellerNonpayment: the operator's unpaid wholesale invoice
// suspends the reseller, its clients' accounts follow with reason
// reseller_suspended, and payment brings back exactly those (not a
// client's account suspended for abuse, nor one its own unpaid invoice
// holds).
func TestResellerNonpayment(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		ra, err := f.hosting.CreateReseller(f.ctx(), operator, provisioning.ResellerInput{TenantID: f.r.TenantID, Package: "rpro", MaxClients: 10})
		f.must(err)
		f.settle()
		good := f.account(f.rc, "camille")
		abused := f.account(f.rc, "camille2")
		_, err = f.hosting.SuspendAccount(f.ctx(), f.r, abused.ID, provisioning.ReasonAbuse)
		f.must(err)
		f.settle()
		wholesale := f.invoice("2026-12-01", f.r)
		if wholesale.SellerID != operator.TenantID || wholesale.TotalMinor <= 0 {
			t.Fatalf("no wholesale invoice: %+v", wholesale)
		}
		// R's own invoice to its client is paid on time; only R owes.
		f.at("2026-12-02")
		f.payCustomer(f.r, f.rc, "2026-12-02")
		f.day(dayOf(t, wholesale, 15))
		var r provisioning.ResellerAccount
		f.must(h.W.Where("id = ?", ra.ID).Take(&r).Error)
		if r.State != provisioning.StateSuspended || r.SuspendReason != provisioning.ReasonNonpayment {
			t.Fatalf("reseller account is %s for %q on +15", r.State, r.SuspendReason)
		}
		if a := f.acct(good.ID); a.State != provisioning.StateSuspended || a.SuspendReason != provisioning.ReasonResellerSuspended {
			t.Fatalf("the reseller's client's account is %s for %q", a.State, a.SuspendReason)
		}
		f.at(dayOf(t, wholesale, 18))
		f.payCustomer(operator, f.r, dayOf(t, wholesale, 18))
		f.must(h.W.Where("id = ?", ra.ID).Take(&r).Error)
		if r.State != provisioning.StateActive {
			t.Fatalf("reseller account is %s after payment", r.State)
		}
		if a := f.acct(good.ID); a.State != provisioning.StateActive {
			t.Errorf("the client's account is %s after the reseller paid", a.State)
		}
		if a := f.acct(abused.ID); a.State != provisioning.StateSuspended || a.SuspendReason != provisioning.ReasonAbuse {
			t.Errorf("the account suspended for abuse is %s for %q", a.State, a.SuspendReason)
		}
	})
}

// payCustomer pays every open invoice customer owes seller (late fees
// aside).
func (f *fixture) payCustomer(seller, customer tenancy.Scope, day string) {
	f.t.Helper()
	var invs []billing.Invoice
	f.must(f.h.W.Where("seller_id = ? AND customer_id = ? AND kind = ? AND status IN ? AND flags NOT LIKE ?", seller.TenantID, customer.TenantID, billing.DocInvoice,
		[]billing.InvoiceStatus{billing.InvoiceStatusFinalized, billing.InvoiceStatusPartiallyPaid, billing.InvoiceStatusOverdue}, "%late_fee%").Find(&invs).Error)
	if len(invs) == 0 {
		f.t.Fatal("nothing to pay")
	}
	for _, inv := range invs {
		f.payAll(seller, inv, day)
	}
}

// TestFailingServer: a server that refuses to suspend delays only its own
// accounts' suspension; the others are suspended, the step is done once,
// the failure shows on the collections view, and the retry suspends it
// once the server answers again.
func TestFailingServer(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		_, err := f.hosting.CreateReseller(f.ctx(), operator, provisioning.ResellerInput{TenantID: f.r.TenantID, Package: "rpro", MaxClients: 10})
		f.must(err)
		broken, err := f.hosting.CreateServer(f.ctx(), provisioning.ServerInput{Name: "web-broken", Driver: "noop", Settings: []byte(`{"label":"` + f.label + `-b"}`)})
		f.must(err)
		ok := f.account(f.c, "kunde")
		a, err := f.hosting.CreateAccount(f.ctx(), operator, provisioning.CreateAccountInput{TenantID: f.rc.TenantID, PackageID: f.pkg.ID, ServerID: broken.ID, Username: "camille"})
		f.must(err)
		f.settle()
		// The operator bills C; R bills RC. Both stay unpaid; R pays the
		// operator.
		inv := f.invoice("2026-12-01", f.c)
		f.payCustomer(operator, f.r, "2026-12-01")
		noop.SetFail(f.label+"-b", "suspend", "connection refused by web-broken")
		t.Cleanup(func() { noop.SetFail(f.label+"-b", "suspend", "") })
		f.day(dayOf(t, inv, 15))
		if got := f.acct(ok.ID); got.State != provisioning.StateSuspended {
			t.Fatalf("the account on the working server is %s", got.State)
		}
		got := f.acct(a.ID)
		if got.State != provisioning.StateActive || got.Target != provisioning.StateSuspended {
			t.Fatalf("the account on the broken server is %s -> %s, want still active, on its way to suspended", got.State, got.Target)
		}
		rep, err := f.dun.Collections(context.Background(), f.r, mustDate(t, dayOf(t, inv, 15)))
		f.must(err)
		if rep.Failures != 1 || len(rep.Suspended) != 1 || rep.Suspended[0].Server == nil || !strings.Contains(rep.Suspended[0].Server.Error, "connection refused") {
			t.Fatalf("the collections view shows %d failures: %+v", rep.Failures, rep.Suspended)
		}
		opRep, err := f.dun.Collections(context.Background(), operator, mustDate(t, dayOf(t, inv, 15)))
		f.must(err)
		if opRep.Failures != 0 || len(opRep.Suspended) != 1 {
			t.Fatalf("the operator's view shows %d failures and %d suspended, want 0 and 1", opRep.Failures, len(opRep.Suspended))
		}
		noop.SetFail(f.label+"-b", "suspend", "")
		f.clock.Advance(time.Hour)
		f.settle()
		if got := f.acct(a.ID); got.State != provisioning.StateSuspended {
			t.Fatalf("after the server came back the account is %s", got.State)
		}
		if n := f.count("dunning_steps", "step_key = ?", "suspend+15"); n != 2 {
			t.Errorf("%d suspension steps for two invoices", n)
		}
	})
}

// TestHold: an invoice on hold gets no step until its hold has ended;
// then the steps due run, with one reminder mailed for them all.
func TestHold(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		acct := f.account(f.c, "kunde")
		inv := f.invoice("2026-12-01", f.c)
		f.at("2026-12-10")
		hold, err := f.dun.PutHold(f.ctx(), operator, dunning.HoldInput{InvoiceID: inv.ID, Reason: "disputed, waiting for the customer's bank", Until: dayOf(t, inv, 16)})
		f.must(err)
		if hold.CustomerID != f.c.TenantID {
			t.Fatalf("hold for customer %d", hold.CustomerID)
		}
		sent := len(f.smtp.Messages())
		for i := 1; i <= 16; i++ {
			if sum := f.day(dayOf(t, inv, i)); sum.Steps != 0 || sum.OnHold != 1 {
				t.Fatalf("+%d on hold: %+v", i, sum)
			}
		}
		if f.acct(acct.ID).State != provisioning.StateActive || len(f.smtp.Messages()) != sent {
			t.Fatalf("a held invoice was chased")
		}
		sum := f.day(dayOf(t, inv, 17))
		if sum.Steps != 5 || sum.Reminders != 0 || sum.Superseded != 4 || sum.Suspended != 1 {
			t.Fatalf("after the hold: %+v, want -7, +1, +7, +14 superseded by the suspension", sum)
		}
		if got := len(f.smtp.Messages()) - sent; got != 1 {
			t.Fatalf("%d mails after the hold, want the suspension notice alone", got)
		}
		if err := f.dun.EndHold(f.ctx(), operator, hold.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.dun.EndHold(f.ctx(), f.r, hold.ID); err == nil {
			t.Fatal("a reseller ended the operator's hold")
		}
	})
}

// TestBadInput: wrong schedules, fees and holds are refused field by
// field, and nothing is saved.
func TestBadInput(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.account(f.c, "kunde")
		inv := f.invoice("2026-12-01", f.c)
		def := dunning.ScheduleKey.Def()
		for _, raw := range []string{"+7 reminder; +1 reminder", "+1 reminder fee -5", "+1 reminder fee 150%"} {
			if _, err := def.Canonical(raw); err == nil {
				t.Errorf("schedule %q accepted", raw)
			}
			err := settings.Set(context.Background(), f.st, settings.Key[string]{Name: def.Name, Format: func(s string) string { return s },
				Parse: func(s string) (string, error) { return def.Canonical(s) }}, settings.LevelSeller, "1", raw)
			if !field(err, "billing.dunning_schedule") {
				t.Errorf("schedule %q: %v, want a field error", raw, err)
			}
		}
		if n := f.count("settings", "name = ?", "billing.dunning_schedule"); n != 0 {
			t.Fatalf("%d schedules saved", n)
		}
		f.at("2026-12-10")
		bad := []struct {
			in    dunning.HoldInput
			field string
		}{
			{dunning.HoldInput{CustomerID: f.c.TenantID, Reason: "promised to pay"}, "until"},
			{dunning.HoldInput{CustomerID: f.c.TenantID, Reason: "promised to pay", Until: "2026-12-09"}, "until"},
			{dunning.HoldInput{CustomerID: f.c.TenantID, Reason: "promised to pay", Until: "next week"}, "until"},
			{dunning.HoldInput{CustomerID: f.c.TenantID, Reason: "promised to pay", Until: "2028-01-01"}, "until"},
			{dunning.HoldInput{CustomerID: f.c.TenantID, Until: "2026-12-20"}, "reason"},
			{dunning.HoldInput{Reason: "x", Until: "2026-12-20"}, "customer_id"},
			{dunning.HoldInput{CustomerID: f.rc.TenantID, Reason: "not mine", Until: "2026-12-20"}, "customer_id"},
			{dunning.HoldInput{InvoiceID: 99999, Reason: "no such invoice", Until: "2026-12-20"}, "invoice_id"},
			{dunning.HoldInput{CustomerID: f.rc.TenantID, InvoiceID: inv.ID, Reason: "wrong customer", Until: "2026-12-20"}, "customer_id"},
		}
		for _, c := range bad {
			if _, err := f.dun.PutHold(f.ctx(), operator, c.in); !field(err, c.field) {
				t.Errorf("%+v: %v, want a field error on %s", c.in, err, c.field)
			}
		}
		// R may not put the operator's customer or invoice on hold.
		if _, err := f.dun.PutHold(f.ctx(), f.r, dunning.HoldInput{InvoiceID: inv.ID, Reason: "x", Until: "2026-12-20"}); !field(err, "invoice_id") {
			t.Errorf("a reseller held the operator's invoice: %v", err)
		}
		if _, err := f.dun.PutHold(f.ctx(), f.c, dunning.HoldInput{InvoiceID: inv.ID, Reason: "x", Until: "2026-12-20"}); err == nil {
			t.Error("a client put its own invoice on hold")
		}
		if n := f.count("dunning_holds", "1 = 1"); n != 0 {
			t.Fatalf("%d holds saved from bad input", n)
		}
	})
}

// TestFeeOnNextInvoice: a seller who taxes late fees as its services and
// puts them on the next invoice gets a charge on the contract, invoiced
// with the next period and taxed as it is.
func TestFeeOnNextInvoice(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.set(dunning.ScheduleKey.Name, settings.LevelPanel, "", "+7 reminder fee 5.00")
		f.set(dunning.FeeMode.Name, settings.LevelSeller, "1", dunning.FeeNextInvoice)
		f.set(dunning.FeeTax.Name, settings.LevelSeller, "1", dunning.TaxAsInvoice)
		f.account(f.c, "kunde")
		inv := f.invoice("2026-12-01", f.c)
		sum := f.day(dayOf(t, inv, 7))
		if sum.Fees != 1 || f.count("invoices", "flags LIKE ?", "%late_fee%") != 0 {
			t.Fatalf("%+v: want the fee charged, no fee invoice", sum)
		}
		var ch billing.Charge
		f.must(h.W.Where("charge_key = ?", "dunning:"+itoa(inv.ID)+":reminder+7:0").Take(&ch).Error)
		if ch.AmountMinor != 500 || ch.Description != "Mahngebühr zu Rechnung "+*inv.Number {
			t.Fatalf("charge %+v", ch)
		}
		f.day(dayOf(t, inv, 7))
		if n := f.count("contract_charges", "1 = 1"); n != 1 {
			t.Fatalf("%d charges after a second run", n)
		}
	})
}

// TestAlerts: billing staff get one mail when an invoice passes the
// alert's days, and one when a customer's overdue total passes the alert
// amount.
func TestAlerts(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.set(dunning.ScheduleKey.Name, settings.LevelPanel, "", "")
		f.set(dunning.AlertMinor.Name, settings.LevelSeller, "1", "10000")
		now := f.clock.Now()
		f.must(h.W.Exec(`INSERT INTO users (tenant_id, email, name, role, language, status, password_hash, password_changed_at, created_at, updated_at)
			VALUES (1, 'ar@op.test', 'Accounts', 'billing', 'de', 'active', 'x', ?, ?, ?), (1, 'support@op.test', 'Support', 'support', 'en', 'active', 'x', ?, ?, ?)`,
			now, now, now, now, now, now).Error)
		f.account(f.c, "kunde")
		inv := f.invoice("2026-12-01", f.c)
		sent := len(f.smtp.Messages())
		for i := 1; i <= 61; i++ {
			f.day(dayOf(t, inv, i))
		}
		var subjects []string
		for _, m := range f.smtp.Messages()[sent:] {
			if m.To[0] != "ar@op.test" {
				t.Errorf("an alert to %v", m.To)
			}
			subjects = append(subjects, subject(m.Data))
		}
		if len(subjects) != 2 {
			t.Fatalf("alerts %q, want one for the amount (day +1) and one for 60 days", subjects)
		}
		body := f.smtp.Messages()[len(f.smtp.Messages())-1].Data
		if !strings.Contains(body, "seit 60 Tagen") {
			t.Errorf("the 60-day alert says: %s", body)
		}
	})
}

// TestCollectionsView: the view's buckets and rows follow the invoice:
// its age, its last step, the next (of those due, the one the next run
// mails), the day of suspension, and a hold.
func TestCollectionsView(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.account(f.c, "kunde")
		inv := f.invoice("2026-12-01", f.c)
		at := func(n int) dunning.Report {
			t.Helper()
			rep, err := f.dun.Collections(context.Background(), operator, mustDate(t, dayOf(t, inv, n)))
			f.must(err)
			return rep
		}
		if rep := at(0); len(rep.Invoices) != 0 || len(rep.Buckets) != 0 {
			t.Fatalf("on the due date: %+v", rep)
		}
		rep := at(3) // no run yet: -7 and +1 are due, +1 is next
		if len(rep.Invoices) != 1 || rep.Invoices[0].NextStep != "reminder+1" || rep.Invoices[0].NextDay != dayOf(t, inv, 3) ||
			rep.Invoices[0].SuspendOn != dayOf(t, inv, 15) || rep.Invoices[0].Days != 3 {
			t.Fatalf("+3 before any run: %+v", rep.Invoices)
		}
		f.day(dayOf(t, inv, 3))
		rep = at(3)
		if r := rep.Invoices[0]; r.LastStep != "reminder+1" || r.NextStep != "reminder+7" || r.NextDay != dayOf(t, inv, 7) {
			t.Fatalf("+3 after the run: %+v", r)
		}
		if b := rep.Buckets[0]; b.Currency != "EUR" || b.Ages[0] != inv.TotalMinor || b.Counts[0] != 1 || b.Total != inv.TotalMinor {
			t.Fatalf("buckets %+v", rep.Buckets)
		}
		if b := at(45).Buckets[0]; b.Ages[1] != inv.TotalMinor || b.Ages[0] != 0 {
			t.Fatalf("45 days: %+v", b)
		}
		if b := at(95).Buckets[0]; b.Ages[3] != inv.TotalMinor {
			t.Fatalf("95 days: %+v", b)
		}
		f.at(dayOf(t, inv, 3))
		_, err := f.dun.PutHold(f.ctx(), operator, dunning.HoldInput{CustomerID: f.c.TenantID, Reason: "talking to them", Until: dayOf(t, inv, 10)})
		f.must(err)
		if r := at(4).Invoices[0]; r.Hold == nil || r.Hold.Reason != "talking to them" {
			t.Fatalf("hold not shown: %+v", r)
		}
		st, err := f.dun.Client(context.Background(), f.c, mustDate(t, dayOf(t, inv, 4)))
		f.must(err)
		if len(st.Overdue) != 1 || st.SuspendOn != dayOf(t, inv, 15) || st.Overdue[0].Hold != nil {
			t.Fatalf("the client's status: %+v", st)
		}
		if _, err := f.dun.Collections(context.Background(), f.c, mustDate(t, dayOf(t, inv, 4))); err == nil {
			t.Fatal("a client read the collections view")
		}
	})
}

// TestScheduleByPlanAndContract: the schedule resolves through the whole
// chain: a plan's schedule overrides the seller's, a contract's the
// plan's.
func TestScheduleByPlanAndContract(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.account(f.c, "kunde")
		second := f.client("Kunde D")
		f.account(second, "kunde2")
		inv := f.invoice("2026-12-01", f.c)
		other := f.invoice("2026-12-01", second)
		var c1, c2 billing.Contract
		f.must(h.W.Where("customer_id = ? AND subject_kind = ?", f.c.TenantID, "account").Take(&c1).Error)
		f.must(h.W.Where("customer_id = ? AND subject_kind = ?", second.TenantID, "account").Take(&c2).Error)
		f.set(dunning.ScheduleKey.Name, settings.LevelSeller, "1", "+1 reminder; +15 suspend")
		f.set(dunning.ScheduleKey.Name, settings.LevelPlan, itoa(c1.ProductID), "+3 reminder")
		f.set(dunning.ScheduleKey.Name, settings.LevelContract, itoa(c2.ID), "+2 reminder; +4 suspend")
		for i := 1; i <= 16; i++ {
			f.day(dayOf(t, inv, i))
		}
		var steps []string
		f.must(h.W.Table("dunning_steps").Where("invoice_id = ?", inv.ID).Order("id").Pluck("step_key", &steps).Error)
		if fmt.Sprint(steps) != "[reminder+3]" {
			t.Errorf("the plan's schedule ran %v, want [reminder+3]", steps)
		}
		f.must(h.W.Table("dunning_steps").Where("invoice_id = ?", other.ID).Order("id").Pluck("step_key", &steps).Error)
		if fmt.Sprint(steps) != "[reminder+2 suspend+4]" {
			t.Errorf("the contract's schedule ran %v, want [reminder+2 suspend+4]", steps)
		}
	})
}

// client adds a client of the operator with a German profile.
func (f *fixture) client(name string) tenancy.Scope {
	f.t.Helper()
	sc := dbtest.Tenant(f.t, f.h, f.clock.Now(), tenancy.KindClient, operator, name)
	f.profile(sc, billing.ProfileInput{LegalName: name, Country: "DE", Language: "de", Email: strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@kunde.test"})
	return sc
}

// TestTermination: with termination switched on, an invoice still unpaid
// on day +60 terminates the accounts it suspended; the suspension is
// closed as terminated and payment restores nothing.
func TestTermination(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.set(dunning.ScheduleKey.Name, settings.LevelPanel, "", "+15 suspend; +60 terminate")
		a := f.account(f.c, "kunde")
		inv := f.invoice("2026-12-01", f.c)
		f.day(dayOf(t, inv, 15))
		f.day(dayOf(t, inv, 59))
		if got := f.acct(a.ID); got.State != provisioning.StateSuspended {
			t.Fatalf("+59: %s", got.State)
		}
		sent := len(f.smtp.Messages())
		sum := f.day(dayOf(t, inv, 60))
		if sum.Terminated != 1 {
			t.Fatalf("+60: %+v", sum)
		}
		if got := f.acct(a.ID); got.State != provisioning.StateTerminated {
			t.Fatalf("+60: the account is %s", got.State)
		}
		msgs := f.smtp.Messages()[sent:]
		if len(msgs) != 1 || subject(msgs[0].Data) != "Dienste gekündigt: Rechnung "+*inv.Number+" ist unbezahlt" {
			t.Fatalf("termination mails: %d", len(msgs))
		}
		var sp dunning.Suspension
		f.must(h.W.Where("subject_id = ?", a.ID).Take(&sp).Error)
		if sp.State != dunning.HeldTerminated || sp.OpenKey != nil {
			t.Fatalf("suspension %s", sp.State)
		}
		if n := f.count("audit_log", "action = ?", "billing.dunning.terminate"); n != 1 {
			t.Fatalf("%d termination audit entries", n)
		}
		f.at(dayOf(t, inv, 61))
		f.payCustomer(operator, f.c, dayOf(t, inv, 61))
		f.day(dayOf(t, inv, 61))
		if got := f.acct(a.ID); got.State != provisioning.StateTerminated || f.events("provisioning.account_unsuspended") != 0 {
			t.Fatalf("after payment the terminated account is %s", got.State)
		}
	})
}
