package dunning

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"

	"gorm.io/gorm/clause"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/money"
	"faktura/panel/core/outbox"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
)

// Summary counts what a run did.
type Summary struct {
	Invoices   int64    `json:"invoices"`   // invoices with a step done
	Steps      int64    `json:"steps"`      // steps done
	Reminders  int64    `json:"reminders"`  // reminder mails queued
	Superseded int64    `json:"superseded"` // reminders a later one replaced
	Fees       int64    `json:"fees"`       // late fees charged
	Suspended  int64    `json:"suspended"`  // accounts and resellers suspended
	Released   int64    `json:"released"`   // restored once paid
	Kept       int64    `json:"kept"`       // paid, but suspended since for another reason
	Terminated int64    `json:"terminated"` // terminated
	OnHold     int64    `json:"on_hold"`    // invoices with a step due but on hold
	Alerts     int64    `json:"alerts"`     // alert mails to billing staff
	Failed     int64    `json:"failed"`     // invoices whose steps failed (the next run tries again)
	Errors     []string `json:"errors,omitempty"`
}

func (a *Summary) add(b Summary) {
	a.Invoices += b.Invoices
	a.Steps += b.Steps
	a.Reminders += b.Reminders
	a.Superseded += b.Superseded
	a.Fees += b.Fees
	a.Suspended += b.Suspended
	a.Released += b.Released
	a.Kept += b.Kept
	a.Terminated += b.Terminated
	a.OnHold += b.OnHold
	a.Alerts += b.Alerts
	a.Failed += b.Failed
	a.Errors = append(a.Errors, b.Errors...)
}

// Counts is the summary as a daily step reports it.
func (a Summary) Counts() map[string]int64 {
	return map[string]int64{"invoices": a.Invoices, "steps": a.Steps, "reminders": a.Reminders, "superseded": a.Superseded, "fees": a.Fees,
		"suspended": a.Suspended, "released": a.Released, "kept": a.Kept, "terminated": a.Terminated, "on_hold": a.OnHold,
		"alerts": a.Alerts, "failed": a.Failed}
}

var keyNames = []string{ScheduleKey.Name, FeeMode.Name, FeeTax.Name, Compensation.Name, InterestBP.Name, AlertDays.Name, AlertMinor.Name}

// scanBatch is how many invoices one read considers.
const scanBatch = 1000

// invoiceColumns are what planning needs of an invoice.
const invoiceColumns = "id, seller_id, customer_id, customer_path, kind, status, currency, due_date, total_minor, paid_minor, credited_minor, flags"

// work is an invoice with the steps due on it.
type work struct {
	inv   billing.Invoice
	scope settings.Scope
	steps []Step
	sched Schedule
}

// Run is the dunning step of the daily run as of day: every open invoice
// whose steps are due gets them done, once each; then customers who have
// paid get back what was suspended, and billing staff get their alerts.
func (s *Service) Run(ctx context.Context, day core.Date) (Summary, error) {
	var sum Summary
	snap, err := s.settings.Snapshot(ctx, keyNames...)
	if err != nil {
		return sum, err
	}
	// The earliest step of any schedule bounds the invoices to look at.
	first := 0
	for _, sc := range append(settings.Values(snap, ScheduleKey), ScheduleKey.Default) {
		if on := sc.On(); len(on) > 0 {
			first = min(first, on[0].Offset)
		}
	}
	latest := billing.AddDays(day, -first).String()
	p := &pass{snap: snap, day: day}
	after := int64(0)
	for {
		var invs []billing.Invoice
		if err := s.db.Read(ctx).Model(&billing.Invoice{}).Select(invoiceColumns).
			Where("kind = ? AND status IN ? AND due_date <= ? AND id > ?", billing.DocInvoice, openStatuses, latest, after).
			Order("id").Limit(scanBatch).Find(&invs).Error; err != nil {
			return sum, fmt.Errorf("find invoices to chase: %w", err)
		}
		if len(invs) == 0 {
			break
		}
		after = invs[len(invs)-1].ID
		ws, err := s.plan(ctx, snap, day, invs, &sum)
		if err != nil {
			return sum, err
		}
		for len(ws) > 0 {
			n := min(len(ws), s.opt.Batch)
			if err := s.chase(ctx, p, ws[:n], &sum); err != nil {
				return sum, err
			}
			ws = ws[n:]
		}
	}
	rel, err := s.Sweep(ctx, day)
	sum.add(rel)
	if err != nil {
		return sum, err
	}
	al, err := s.alerts(ctx, snap, day)
	sum.add(al)
	return sum, err
}

// scopes are the settings scopes of invs: the seller and customer, and
// the plan and contract of each one's first contract.
func (s *Service) scopes(ctx context.Context, invs []billing.Invoice) (map[int64]settings.Scope, error) {
	ids := make([]int64, len(invs))
	for i, inv := range invs {
		ids[i] = inv.ID
	}
	var cs map[int64][]billing.Contract
	for chunk := range slices.Chunk(ids, 1000) {
		part, err := s.billing.InvoiceContracts(ctx, chunk...)
		if err != nil {
			return nil, err
		}
		if cs == nil {
			cs = part
			continue
		}
		maps.Copy(cs, part)
	}
	out := make(map[int64]settings.Scope, len(invs))
	for _, inv := range invs {
		sc := inv.SettingsScope()
		if list := cs[inv.ID]; len(list) > 0 {
			sc.Plan, sc.Contract = itoa(list[0].ProductID), itoa(list[0].ID)
		}
		out[inv.ID] = sc
	}
	return out, nil
}

// plan finds the steps due on each of invs and not done yet; invoices on
// hold wait.
func (s *Service) plan(ctx context.Context, snap *settings.Snapshot, day core.Date, invs []billing.Invoice, sum *Summary) ([]work, error) {
	ids := make([]int64, 0, len(invs))
	customers := make([]int64, 0, len(invs))
	for _, inv := range invs {
		ids = append(ids, inv.ID)
		customers = append(customers, inv.CustomerID)
	}
	var done []struct {
		InvoiceID int64
		StepKey   string
	}
	if err := s.db.Read(ctx).Model(&StepRecord{}).Select("invoice_id, step_key").Where("invoice_id IN ?", ids).Scan(&done).Error; err != nil {
		return nil, fmt.Errorf("read dunning steps done: %w", err)
	}
	isDone := map[int64]map[string]bool{}
	for _, d := range done {
		if isDone[d.InvoiceID] == nil {
			isDone[d.InvoiceID] = map[string]bool{}
		}
		isDone[d.InvoiceID][d.StepKey] = true
	}
	scopes, err := s.scopes(ctx, invs)
	if err != nil {
		return nil, err
	}
	slices.Sort(customers)
	var holds []Hold
	if err := s.db.Read(ctx).Where("customer_id IN ? AND released_at IS NULL AND until_day >= ?", slices.Compact(customers), day.String()).
		Find(&holds).Error; err != nil {
		return nil, fmt.Errorf("read dunning holds: %w", err)
	}
	var out []work
	for _, inv := range invs {
		if inv.IsLateFee() {
			continue
		}
		sc, err := settings.Lookup(snap, ScheduleKey, scopes[inv.ID])
		if err != nil {
			return nil, err
		}
		due, err := core.ParseDate("due_date", inv.DueDate)
		if err != nil {
			return nil, err
		}
		var steps []Step
		for _, st := range sc.Value.On() {
			if billing.DaysBetween(due, day) >= st.Offset && !isDone[inv.ID][st.Key()] {
				steps = append(steps, st)
			}
		}
		if len(steps) == 0 {
			continue
		}
		if onHold(holds, inv) != nil {
			sum.OnHold++
			continue
		}
		out = append(out, work{inv: inv, scope: scopes[inv.ID], steps: steps, sched: sc.Value})
	}
	return out, nil
}

func onHold(holds []Hold, inv billing.Invoice) *Hold {
	for i, h := range holds {
		if h.SellerID == inv.SellerID && h.CustomerID == inv.CustomerID && (h.InvoiceID == 0 || h.InvoiceID == inv.ID) {
			return &holds[i]
		}
	}
	return nil
}

// chase does the due steps of ws in one transaction. When one invoice
// fails (a seller without its mandatory ids cannot issue a fee invoice,
// say), the chunk rolls back and each invoice is chased alone: the one
// that fails is counted and retried by the next run, the others go
// through.
func (s *Service) chase(ctx context.Context, p *pass, ws []work, sum *Summary) error {
	var got Summary
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		got = Summary{}
		p.sellers = map[int64]sellerInfo{} // a retried transaction reads them again
		if err := s.chaseChunk(ctx, p, ws, &got); err != nil {
			return err
		}
		s.fire("chunk.written")
		return nil
	})
	if err == nil {
		s.fire("chunk.committed")
		sum.add(got)
		return nil
	}
	if ctx.Err() != nil {
		return err
	}
	if len(ws) == 1 {
		sum.Failed++
		sum.Errors = append(sum.Errors, fmt.Sprintf("invoice %d: %v", ws[0].inv.ID, err))
		s.opt.Log.Warn("dunning step failed; the next run tries again", "invoice", ws[0].inv.ID, "err", err)
		return nil
	}
	for _, w := range ws {
		if err := s.chase(ctx, p, []work{w}, sum); err != nil {
			return err
		}
	}
	return nil
}

// pass is what one run shares across its chunks.
type pass struct {
	snap    *settings.Snapshot
	day     core.Date
	sellers map[int64]sellerInfo
}

// chaseChunk claims the due steps of ws (one row each in dunning_steps,
// under the unique key (invoice, step), with this transaction's token)
// and does the ones it claimed. A row another run wrote first is that
// run's: it did the step, or will once it commits, and this one skips it.
func (s *Service) chaseChunk(ctx context.Context, p *pass, ws []work, sum *Summary) error {
	ids := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.inv.ID
	}
	q := s.db.Conn(ctx).Where("id IN ?", ids).Order("id")
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	var invs []billing.Invoice
	if err := q.Find(&invs).Error; err != nil {
		return fmt.Errorf("lock invoices: %w", err)
	}
	byID := map[int64]billing.Invoice{}
	for _, inv := range invs {
		byID[inv.ID] = inv
	}
	token := claimToken()
	now := s.now()
	var claims []StepRecord
	for _, w := range ws {
		inv, ok := byID[w.inv.ID]
		if !ok || !slices.Contains(openStatuses, inv.Status) || openMinor(inv) <= 0 {
			delete(byID, w.inv.ID) // paid or cancelled since it was planned
			continue
		}
		mailed := mailedStep(w.steps, inv, p.day)
		for i, st := range w.steps {
			outcome := OutcomeDone
			if st.Action == ActionReminder && i != mailed {
				outcome = OutcomeSuperseded
			}
			claims = append(claims, StepRecord{InvoiceID: inv.ID, StepKey: st.Key(), SellerID: inv.SellerID, CustomerID: inv.CustomerID,
				CustomerPath: inv.CustomerPath, Action: st.Action, DayOffset: st.Offset, RunDay: p.day.String(), Outcome: outcome,
				Detail: "{}", Claim: token, CreatedAt: now})
		}
	}
	if len(claims) == 0 {
		return nil
	}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&claims, 500).Error; err != nil {
		return fmt.Errorf("claim dunning steps: %w", err)
	}
	var recs []StepRecord
	if err := s.db.Conn(ctx).Where("invoice_id IN ?", ids).Order("invoice_id, id").Find(&recs).Error; err != nil {
		return fmt.Errorf("read dunning steps: %w", err)
	}
	mine, earlier := map[int64]map[string]*StepRecord{}, map[int64][]StepRecord{}
	for i, r := range recs {
		if r.Claim == token {
			if mine[r.InvoiceID] == nil {
				mine[r.InvoiceID] = map[string]*StepRecord{}
			}
			mine[r.InvoiceID][r.StepKey] = &recs[i]
		} else {
			earlier[r.InvoiceID] = append(earlier[r.InvoiceID], r)
		}
	}
	var evs []outbox.Event
	for _, w := range ws {
		inv, ok := byID[w.inv.ID]
		if !ok || len(mine[inv.ID]) == 0 {
			continue
		}
		e, err := s.chaseOne(ctx, p, inv, w, mine[inv.ID], earlier[inv.ID], sum)
		if err != nil {
			return fmt.Errorf("invoice %d: %w", inv.ID, err)
		}
		evs = append(evs, e...)
	}
	return s.bus.PublishAll(ctx, evs, "system")
}

// mailedStep is the index of the one reminder of steps (all due on day)
// that is mailed: the last, and none when a suspension or termination
// (which have their own mail) is due too; a reminder before the due date
// is not mailed once the date has passed. -1 when none is.
func mailedStep(steps []Step, inv billing.Invoice, day core.Date) int {
	due, err := core.ParseDate("due_date", inv.DueDate)
	if err != nil {
		return -1
	}
	mailed := -1
	for i, st := range steps {
		switch {
		case st.Action != ActionReminder:
			return -1
		case st.Offset >= 0 || billing.DaysBetween(due, day) <= 0:
			mailed = i
		}
	}
	return mailed
}

// chaseOne does the steps of w this run claimed (mine), in order.
func (s *Service) chaseOne(ctx context.Context, p *pass, inv billing.Invoice, w work, mine map[string]*StepRecord, earlier []StepRecord, sum *Summary) ([]outbox.Event, error) {
	day := p.day
	due, err := core.ParseDate("due_date", inv.DueDate)
	if err != nil {
		return nil, err
	}
	var evs []outbox.Event
	for _, st := range w.steps {
		rec := mine[st.Key()]
		if rec == nil {
			continue // another run did it
		}
		sum.Steps++
		var det stepDetail
		var fee *billing.Invoice
		switch st.Action {
		case ActionReminder:
			if fee, err = s.chargeFees(ctx, p.snap, w.scope, day, inv, due, st, earlier, rec, &det); err != nil {
				return nil, err
			}
			if rec.FeeMinor > 0 {
				sum.Fees++
			}
			if rec.Outcome == OutcomeSuperseded {
				sum.Superseded++
				break
			}
			queued, err := s.queueMail(ctx, p, inv, st, fee, nil, w.sched)
			if err != nil {
				return nil, err
			}
			if queued {
				sum.Reminders++
			}
		case ActionSuspend:
			held, err := s.suspend(ctx, day, inv)
			if err != nil {
				return nil, err
			}
			det.Held = held
			sum.Suspended += int64(len(held))
			if _, err := s.queueMail(ctx, p, inv, st, nil, held, w.sched); err != nil {
				return nil, err
			}
		case ActionTerminate:
			held, err := s.terminate(ctx, day, inv)
			if err != nil {
				return nil, err
			}
			det.Held = held
			sum.Terminated += int64(len(held))
			if _, err := s.queueMail(ctx, p, inv, st, nil, held, w.sched); err != nil {
				return nil, err
			}
		}
		if raw, _ := json.Marshal(det); string(raw) != "{}" || rec.FeeMinor != 0 {
			rec.Detail = string(raw)
			if err := s.db.Conn(ctx).Model(rec).Updates(map[string]any{"detail": rec.Detail, "fee_minor": rec.FeeMinor,
				"fee_invoice_id": rec.FeeInvoiceID}).Error; err != nil {
				return nil, fmt.Errorf("record step %s: %w", rec.StepKey, err)
			}
		}
		earlier = append(earlier, *rec)
		evs = append(evs, StepDone{InvoiceID: inv.ID, SellerID: inv.SellerID, CustomerID: inv.CustomerID, Step: rec.StepKey,
			Action: st.Action, Day: day.String(), Outcome: rec.Outcome, FeeMinor: rec.FeeMinor, FeeInvoiceID: rec.FeeInvoiceID, Held: det.Held})
	}
	if len(evs) > 0 {
		sum.Invoices++
	}
	return evs, nil
}

// stepDetail is what a step did, kept with it.
type stepDetail struct {
	InterestDays int                 `json:"interest_days,omitempty"`
	Compensation bool                `json:"compensation,omitempty"`
	Charges      []string            `json:"charges,omitempty"` // late fees put on the next invoice
	Held         []provisioning.Item `json:"held,omitempty"`
}

// claimToken is a random token a run writes into the step it claims.
func claimToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "claim:" + hex.EncodeToString(b[:])
}

// openMinor is what is left to pay of inv.
func openMinor(inv billing.Invoice) int64 { return inv.TotalMinor - inv.PaidMinor - inv.CreditedMinor }

// chargeFees charges a reminder's late fees: the step's fee, interest
// since the due date not charged yet, and (once, to a business buyer) the
// flat compensation for recovery costs. They become a late-fee invoice,
// or charges on the next invoice of the unpaid invoice's first contract
// when the seller chose that and taxes them as its services.
func (s *Service) chargeFees(ctx context.Context, snap *settings.Snapshot, sc settings.Scope, day core.Date, inv billing.Invoice, due core.Date, st Step,
	earlier []StepRecord, rec *StepRecord, det *stepDetail) (*billing.Invoice, error) {
	if st.Offset <= 0 {
		return nil, nil
	}
	cur := money.Currency(inv.Currency)
	open := openMinor(inv)
	lang := inv.Language
	var items []billing.LateFeeItem
	number := ""
	if inv.Number != nil {
		number = *inv.Number
	}
	if amt, err := st.Fee.Minor(open, cur); err != nil {
		return nil, err
	} else if amt > 0 {
		items = append(items, billing.LateFeeItem{Description: phrase(lang, "fee", number), AmountMinor: amt})
	}
	bp, err := settings.Lookup(snap, InterestBP, sc)
	if err != nil {
		return nil, err
	}
	charged, compensated := 0, false
	for _, e := range earlier {
		var d stepDetail
		_ = json.Unmarshal([]byte(e.Detail), &d)
		charged += d.InterestDays
		compensated = compensated || d.Compensation
	}
	if days := billing.DaysBetween(due, day) - charged; bp.Value > 0 && days > 0 {
		amt, err := InterestMinor(open, bp.Value, days, cur)
		if err != nil {
			return nil, err
		}
		if amt > 0 {
			det.InterestDays = days
			rate := fmt.Sprintf("%d.%02d", bp.Value/100, bp.Value%100)
			items = append(items, billing.LateFeeItem{Description: phrase(lang, "interest", number, money.Money{Amount: open, Currency: cur}.String(), rate, days), AmountMinor: amt})
		}
	}
	comp, err := settings.Lookup(snap, Compensation, sc)
	if err != nil {
		return nil, err
	}
	if amt, ok := CompensationMinor(cur); comp.Value && ok && !compensated && isBusiness(inv) {
		det.Compensation = true
		items = append(items, billing.LateFeeItem{Description: phrase(lang, "compensation", number), AmountMinor: amt})
	}
	if len(items) == 0 {
		return nil, nil
	}
	for _, it := range items {
		if rec.FeeMinor, err = money.Add64(rec.FeeMinor, it.AmountMinor); err != nil {
			return nil, err
		}
	}
	mode, err := settings.Lookup(snap, FeeMode, sc)
	if err != nil {
		return nil, err
	}
	tax, err := settings.Lookup(snap, FeeTax, sc)
	if err != nil {
		return nil, err
	}
	if mode.Value == FeeNextInvoice && tax.Value == TaxAsInvoice {
		cs, err := s.billing.InvoiceContracts(ctx, inv.ID)
		if err != nil {
			return nil, err
		}
		if open := openContracts(cs[inv.ID]); len(open) > 0 {
			for i, it := range items {
				key := fmt.Sprintf("dunning:%d:%s:%d", inv.ID, st.Key(), i)
				if err := s.billing.AddLateCharge(ctx, open[0].ID, it.Description, it.AmountMinor, day, key); err != nil {
					return nil, err
				}
				det.Charges = append(det.Charges, key)
			}
			return nil, nil
		}
	}
	fee, err := s.billing.IssueLateFee(ctx, inv, day, items, tax.Value == TaxOutsideScope)
	if err != nil {
		return nil, fmt.Errorf("late fee: %w", err)
	}
	rec.FeeInvoiceID = &fee.ID
	return &fee, nil
}

func openContracts(cs []billing.Contract) []billing.Contract {
	var out []billing.Contract
	for _, c := range cs {
		if c.Status == billing.ContractActive {
			out = append(out, c)
		}
	}
	return out
}

// isBusiness reports whether inv's buyer is an undertaking (a VAT id or a
// company registration on its profile): Directive 2011/7/EU's flat
// compensation is for business-to-business transactions only.
func isBusiness(inv billing.Invoice) bool {
	var p billing.Party
	if err := json.Unmarshal([]byte(inv.Buyer), &p); err != nil {
		return false
	}
	return p.VATID != "" || p.RegistrationID != ""
}

// subjects are the billed resources behind inv's contracts. A reseller's
// unpaid wholesale invoice names the reseller itself, whatever it bills
// (its clients' accounts, its package): the reseller is suspended and its
// clients follow it.
func (s *Service) subjects(ctx context.Context, inv billing.Invoice) ([]provisioning.Item, error) {
	var kind string
	if err := s.db.Conn(ctx).Table("tenants").Select("kind").Where("id = ?", inv.CustomerID).Scan(&kind).Error; err != nil {
		return nil, fmt.Errorf("customer of invoice %d: %w", inv.ID, err)
	}
	if kind == string(tenancy.KindReseller) {
		return []provisioning.Item{{Kind: provisioning.ResellerTenant, ID: inv.CustomerID}}, nil
	}
	cs, err := s.billing.InvoiceContracts(ctx, inv.ID)
	if err != nil {
		return nil, err
	}
	var out []provisioning.Item
	for _, c := range cs[inv.ID] {
		if c.SubjectID != 0 && c.SubjectKind != billing.SubjectManual {
			out = append(out, provisioning.Item{Kind: c.SubjectKind, ID: c.SubjectID, Name: c.SubjectName})
		}
	}
	return out, nil
}

// suspend suspends what inv bills and records each suspension with the
// invoice; one already suspended for non-payment by another invoice gets
// this invoice added.
func (s *Service) suspend(ctx context.Context, day core.Date, inv billing.Invoice) ([]provisioning.Item, error) {
	if s.opt.Enforcer == nil {
		return nil, errors.New("no provisioning is wired to suspend accounts")
	}
	subj, err := s.subjects(ctx, inv)
	if err != nil || len(subj) == 0 {
		return nil, err
	}
	held, err := s.opt.Enforcer.SuspendForNonpayment(ctx, subj)
	if err != nil {
		return nil, err
	}
	// Accounts already held for non-payment by another invoice of the
	// same customer now wait for this one too.
	var open []Suspension
	if err := s.db.Conn(ctx).Where("seller_id = ? AND customer_id = ? AND open_key IS NOT NULL", inv.SellerID, inv.CustomerID).Find(&open).Error; err != nil {
		return nil, err
	}
	id := itoa(inv.ID)
	for _, sp := range open {
		if !slices.Contains(splitIDs(sp.Invoices), inv.ID) && len(sp.Invoices)+len(id)+1 <= 1000 {
			if err := s.db.Conn(ctx).Model(&sp).Updates(map[string]any{"invoices": sp.Invoices + "," + id, "updated_at": s.now()}).Error; err != nil {
				return nil, err
			}
		}
	}
	for _, h := range held {
		sp := Suspension{SellerID: inv.SellerID, CustomerID: inv.CustomerID, CustomerPath: inv.CustomerPath, SubjectKind: h.Kind, SubjectID: h.ID,
			SubjectName: h.Name, Invoices: id, SuspendedDay: day.String(), State: HeldSuspended, OpenKey: openKey(h.Kind, h.ID), CreatedAt: s.now(), UpdatedAt: s.now()}
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&sp).Error; err != nil {
			return nil, fmt.Errorf("record suspension of %s %d: %w", h.Kind, h.ID, err)
		}
	}
	if len(held) == 0 {
		return nil, nil
	}
	if err := s.record(ctx, "billing.dunning.suspend", "invoice", inv.ID, inv.CustomerID, inv.CustomerPath,
		map[string]any{"invoices": []int64{inv.ID}, "suspended": held, "reason": "nonpayment"}); err != nil {
		return nil, err
	}
	_, err = s.bus.Publish(ctx, NonpaymentSuspended{SellerID: inv.SellerID, CustomerID: inv.CustomerID, Invoices: []int64{inv.ID}, Held: held, Day: day.String()}, "system")
	return held, err
}

// terminate terminates what inv bills.
func (s *Service) terminate(ctx context.Context, day core.Date, inv billing.Invoice) ([]provisioning.Item, error) {
	if s.opt.Enforcer == nil {
		return nil, errors.New("no provisioning is wired to terminate accounts")
	}
	subj, err := s.subjects(ctx, inv)
	if err != nil || len(subj) == 0 {
		return nil, err
	}
	held, err := s.opt.Enforcer.TerminateForNonpayment(ctx, subj)
	if err != nil || len(held) == 0 {
		return nil, err
	}
	for _, h := range held {
		if err := s.db.Conn(ctx).Model(&Suspension{}).Where("open_key = ?", *openKey(h.Kind, h.ID)).
			Updates(map[string]any{"state": HeldTerminated, "open_key": nil, "ended_day": day.String(), "updated_at": s.now()}).Error; err != nil {
			return nil, err
		}
	}
	if err := s.record(ctx, "billing.dunning.terminate", "invoice", inv.ID, inv.CustomerID, inv.CustomerPath,
		map[string]any{"invoices": []int64{inv.ID}, "terminated": held}); err != nil {
		return nil, err
	}
	return held, nil
}
