package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm/clause"

	"faktura/panel/core/db"
	"faktura/panel/core/money"
	"faktura/panel/core/settings"
)

// plannedContract is a due contract with the last day its next period may
// start on to be invoiced in this run.
type plannedContract struct {
	Contract
	horizon string
}

// runChunk writes a chunk's documents in one transaction: it locks the
// units' contracts (those the plan found, and for customers billed per
// customer any due contract opened since), invoices those still due now,
// and advances them. Documents to finalize are numbered right there
// (numberHere), or on Galera written as issuing and returned for issue,
// a second transaction.
func (s *Service) runChunk(ctx context.Context, r *run, ch []unit) (RunSummary, []issuingRow, error) {
	var sum RunSummary
	var issuing []issuingRow
	err := s.db.WithTxOpts(ctx, db.TxOptions{ReadCommitted: true, Savepoint: true}, func(ctx context.Context) error {
		sum, issuing = RunSummary{}, nil
		due, planned, err := s.lockUnits(ctx, r, ch)
		if err != nil {
			return err
		}
		var all []Contract
		for _, cs := range due {
			for _, c := range cs {
				all = append(all, c.Contract)
			}
		}
		b, err := s.newBatch(ctx, r.snap, r.day, all)
		if err != nil {
			return err
		}
		var ds []*draft
		invoiced := map[int64]bool{}
		for _, u := range ch {
			cs := due[u.key]
			if len(cs) == 0 {
				continue
			}
			d, err := b.unitDraft(ctx, u, cs)
			if err != nil {
				return fmt.Errorf("unit %s: %w", u.key, err)
			}
			for _, c := range cs {
				invoiced[c.ID] = true
			}
			sum.Contracts += len(cs)
			ds = append(ds, d)
		}
		for _, id := range planned {
			if !invoiced[id] {
				sum.Skipped++
			}
		}
		var series []seriesKey
		for _, d := range ds {
			for _, l := range d.lines {
				if l.Kind == LineRecurring {
					sum.Periods++
				}
			}
			if err := b.decide(ctx, d); err != nil {
				return err
			}
			switch d.inv.Status {
			case InvoiceStatusFinalized:
				k, err := issuingRow{SellerID: d.inv.SellerID, Kind: d.inv.Kind, IssueDate: d.inv.IssueDate}.series()
				if err != nil {
					return err
				}
				series = append(series, k)
			case InvoiceStatusAwaitingApproval:
				sum.Held++
			default:
				sum.Drafts++
			}
		}
		sum.Invoices = len(ds)
		if err := b.advance(ctx); err != nil {
			return err
		}
		if err := s.recordPeriods(ctx, ds, b.now); err != nil {
			return err
		}
		inline, err := s.numberHere(ctx, series)
		if err != nil {
			return err
		}
		for _, d := range ds {
			switch {
			case d.inv.Status != InvoiceStatusFinalized:
			case inline:
				sum.Finalized++
			default:
				d.inv.Status = InvoiceStatusIssuing
			}
		}
		if err := s.insertDrafts(ctx, ds, b.now); err != nil {
			return err
		}
		for _, d := range ds {
			if d.inv.Status == InvoiceStatusIssuing {
				issuing = append(issuing, issuingRow{ID: d.inv.ID, SellerID: d.inv.SellerID, Kind: d.inv.Kind, IssueDate: d.inv.IssueDate})
			}
		}
		return s.fire("chunk.inserted")
	})
	if err == nil {
		s.fire("chunk.committed")
	}
	return sum, issuing, err
}

// numberHere locks the series of the documents a chunk finalizes, so the
// chunk numbers them itself, in seriesKey order (two chunks never
// deadlock), after it has built them and advanced its contracts: the lock
// is held only while the documents are written and committed. On Galera
// (IssueSeparately) it answers false: a series row that two nodes lock is
// a certification conflict at commit, so the documents are written as
// issuing and issue numbers them in a short transaction of its own.
func (s *Service) numberHere(ctx context.Context, keys []seriesKey) (bool, error) {
	if len(keys) == 0 || s.opt.IssueSeparately {
		return false, nil
	}
	slices.SortFunc(keys, seriesKey.compare)
	for _, k := range slices.Compact(keys) {
		if _, err := s.lockSeries(ctx, k); err != nil {
			return false, err
		}
	}
	return true, nil
}

// runUnits is the slow path after a chunk failed: one transaction per
// unit, failures counted and logged.
func (s *Service) runUnits(ctx context.Context, r *run, ch []unit) (RunSummary, []issuingRow) {
	var sum RunSummary
	var issuing []issuingRow
	for _, u := range ch {
		got, ids, err := s.runChunk(ctx, r, []unit{u})
		if err != nil {
			sum.Failed++
			sum.Errors = append(sum.Errors, fmt.Sprintf("%s: %v", u.key, err))
			s.log.Error("invoice run unit failed", "unit", u.key, "err", err)
			continue
		}
		sum.add(got)
		issuing = append(issuing, ids...)
	}
	return sum, issuing
}

// lockUnits locks the contracts of a chunk's units and returns, per unit
// key, those due now (in subproject and id order), and the ids the plan
// had. For customers billed per customer it also looks (without locking)
// for their due contracts the plan did not see, opened since by another
// process or an event, so such a customer still gets one invoice. (A
// contract a subproject gains after the plan is invoiced by the next
// run.) Locks are taken in id order in one statement, so two chunks never
// deadlock.
func (s *Service) lockUnits(ctx context.Context, r *run, ch []unit) (map[string][]plannedContract, []int64, error) {
	keys := map[string]bool{}
	var planned, customers []int64
	for _, u := range ch {
		keys[u.key] = true
		planned = append(planned, u.planned...)
		if u.grouped {
			customers = append(customers, u.customer)
		}
	}
	ids := slices.Clone(planned)
	extra, err := s.unplanned(ctx, r, keys, planned, customers)
	if err != nil {
		return nil, nil, err
	}
	ids = append(ids, extra...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	q := s.db.Conn(ctx)
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var cs []Contract
	if err := q.Where("id IN ?", ids).Order("id").Find(&cs).Error; err != nil {
		return nil, nil, fmt.Errorf("lock contracts: %w", err)
	}
	out := map[string][]plannedContract{}
	for _, c := range cs {
		if c.Status != ContractActive || c.Included {
			continue
		}
		u, err := r.unitOf(c.SellerID, c.CustomerID, c.Currency, c.Subproject)
		if err != nil {
			return nil, nil, err
		}
		if !keys[u.key] {
			continue
		}
		h, err := r.dueBy(c.ID, c.SellerID, c.ProductID, c.CustomerID)
		if err != nil {
			return nil, nil, err
		}
		if c.NextDue > h {
			continue // invoiced by another run meanwhile
		}
		out[u.key] = append(out[u.key], plannedContract{Contract: c, horizon: h})
	}
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b plannedContract) int {
			return cmp.Or(cmp.Compare(a.Subproject, b.Subproject), cmp.Compare(a.ID, b.ID))
		})
	}
	return out, planned, nil
}

// unplanned lists due contracts of the chunk's customers billed per
// customer that the plan did not see (a plain read; lockUnits locks and
// re-checks them). It asks by the indexed customer column only and
// filters here, so the database cannot pick a plan that walks every due
// contract.
func (s *Service) unplanned(ctx context.Context, r *run, keys map[string]bool, planned []int64, customers []int64) ([]int64, error) {
	if len(customers) == 0 {
		return nil, nil
	}
	type row struct {
		ID, SellerID, CustomerID int64
		Currency, Subproject     string
		NextDue, Status          string
		Included                 bool
	}
	var rows []row
	slices.Sort(customers)
	err := s.db.Conn(ctx).Model(&Contract{}).Select("id, seller_id, customer_id, currency, subproject, next_due, status, included").
		Where("customer_id IN ?", slices.Compact(customers)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find unplanned contracts: %w", err)
	}
	known := make(map[int64]bool, len(planned))
	for _, id := range planned {
		known[id] = true
	}
	var out []int64
	for _, c := range rows {
		if known[c.ID] || c.Status != ContractActive || c.Included || c.NextDue > r.horizon {
			continue
		}
		u, err := r.unitOf(c.SellerID, c.CustomerID, c.Currency, c.Subproject)
		if err != nil {
			return nil, err
		}
		if keys[u.key] {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

// batch holds what a chunk's drafts need: products, coupons, pending
// charges, parties, and the contract updates to write.
type batch struct {
	s        *Service
	snap     *settings.Snapshot
	day      Date
	now      time.Time
	products map[int64]Product
	coupons  map[int64]*Coupon
	charges  map[int64][]Charge
	parties  *partyCache
	updates  map[contractUpdate][]int64
}

// contractUpdate is a contract's new state after the run; contracts with
// equal updates are written by one statement.
type contractUpdate struct {
	nextDue      string
	setupMinor   int64
	discountLeft int
	status       string
}

func (s *Service) newBatch(ctx context.Context, snap *settings.Snapshot, day Date, cs []Contract) (*batch, error) {
	b := &batch{s: s, snap: snap, day: day, now: s.now(), products: map[int64]Product{}, coupons: map[int64]*Coupon{},
		charges: map[int64][]Charge{}, parties: s.newPartyCache(snap, day), updates: map[contractUpdate][]int64{}}
	var pids, cids, coupons []int64
	var pairs [][2]int64
	for _, c := range cs {
		pids = append(pids, c.ProductID)
		cids = append(cids, c.ID)
		pairs = append(pairs, [2]int64{c.SellerID, c.CustomerID})
		if c.CouponID != nil {
			coupons = append(coupons, *c.CouponID)
		}
	}
	if len(cs) == 0 {
		return b, nil
	}
	slices.Sort(pids)
	var ps []Product
	if err := s.db.Conn(ctx).Where("id IN ?", slices.Compact(pids)).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("load products: %w", err)
	}
	for _, p := range ps {
		b.products[p.ID] = p
	}
	if len(coupons) > 0 {
		var cps []Coupon
		if err := s.db.Conn(ctx).Where("id IN ?", coupons).Find(&cps).Error; err != nil {
			return nil, fmt.Errorf("load coupons: %w", err)
		}
		for i := range cps {
			b.coupons[cps[i].ID] = &cps[i]
		}
	}
	var chs []Charge
	if err := s.db.Conn(ctx).Where("contract_id IN ? AND invoice_id IS NULL", cids).Order("id").Find(&chs).Error; err != nil {
		return nil, fmt.Errorf("load pending charges: %w", err)
	}
	for _, c := range chs {
		b.charges[c.ContractID] = append(b.charges[c.ContractID], c)
	}
	return b, b.parties.preload(ctx, pairs)
}

// unitDraft builds the unit's invoice from its due contracts.
func (b *batch) unitDraft(ctx context.Context, u unit, cs []plannedContract) (*draft, error) {
	var d *draft
	for _, c := range cs {
		p, err := b.parties.get(ctx, c.SellerID, c.CustomerID)
		if err != nil {
			return nil, err
		}
		if d == nil {
			d = newDraft(DocInvoice, c.SellerID, c.CustomerID, c.Currency, p, b.day, "system", b.now)
			if !u.grouped {
				d.inv.Subproject = c.Subproject
			}
		}
		section := ""
		if u.grouped {
			section = cmp.Or(c.SubprojectName, c.Subproject)
		}
		if err := b.contractLines(d, p, c.Contract, c.horizon, section); err != nil {
			return nil, fmt.Errorf("contract %d: %w", c.ID, err)
		}
	}
	return d, b.finishDraft(ctx, d)
}

// finishDraft sets the document's period and due date from its lines and
// computes the totals.
func (b *batch) finishDraft(ctx context.Context, d *draft) error {
	for _, l := range d.lines {
		if l.PeriodStart == "" {
			continue
		}
		if d.inv.PeriodStart == "" || l.PeriodStart < d.inv.PeriodStart {
			d.inv.PeriodStart = l.PeriodStart
		}
		if l.PeriodEnd > d.inv.PeriodEnd {
			d.inv.PeriodEnd = l.PeriodEnd
		}
	}
	if d.inv.PeriodStart > d.inv.DueDate {
		d.inv.DueDate = d.inv.PeriodStart // billed in advance: due when the period starts
	}
	p, err := b.parties.get(ctx, d.inv.SellerID, d.inv.CustomerID)
	if err != nil {
		return err
	}
	return d.totals(p)
}

// contractLines adds a contract's periods up to its horizon (catching up
// missed runs), its setup fee, discounts and pending charges, and records
// the contract's new state.
func (b *batch) contractLines(d *draft, p *parties, c Contract, horizon, section string) error {
	prod := b.products[c.ProductID]
	name := prod.Name
	if c.SubjectName != "" {
		name += " – " + c.SubjectName
	}
	next, err := ParseDay("next_due", c.NextDue)
	if err != nil {
		return err
	}
	cur := money.Currency(c.Currency)
	up := contractUpdate{nextDue: c.NextDue, setupMinor: c.SetupMinor, discountLeft: c.DiscountLeft, status: c.Status}
	if up.setupMinor > 0 {
		d.addLine(p, Line{ContractID: &c.ID, Section: section, Kind: LineSetup, Description: "Setup: " + name, Quantity: "1",
			UnitPrice: unitPrice(c.SetupMinor, c.Currency), NetMinor: c.SetupMinor})
		up.setupMinor = 0
	}
	for i := 0; i < 240 && next.String() <= horizon && up.status == ContractActive; i++ {
		per := NextPeriod(next, c.Cycle, c.AnchorDay)
		d.addLine(p, Line{ContractID: &c.ID, Section: section, Kind: LineRecurring, Description: name, Quantity: "1",
			UnitPrice: unitPrice(c.UnitMinor, c.Currency), NetMinor: c.UnitMinor, PeriodStart: per.Start.String(),
			PeriodEnd: per.End.String(), subjectKey: subjectKey(c)})
		if cp := b.coupons[derefID(c.CouponID)]; cp != nil && up.discountLeft != 0 {
			off, err := discountFor(cp, money.Money{Amount: c.UnitMinor, Currency: cur})
			if err != nil {
				return err
			}
			if off > 0 {
				d.addLine(p, Line{ContractID: &c.ID, Section: section, Kind: LineDiscount, Description: "Discount " + cp.Code + ": " + name,
					Quantity: "1", UnitPrice: unitPrice(-off, c.Currency), NetMinor: -off, PeriodStart: per.Start.String(), PeriodEnd: per.End.String()})
			}
			if up.discountLeft > 0 {
				up.discountLeft--
			}
		}
		if c.Cycle == CycleOnce {
			up.status = ContractTerminated
			break
		}
		next = per.End
	}
	up.nextDue = next.String()
	for _, ch := range b.charges[c.ID] {
		d.addLine(p, chargeLine(ch, c, section))
		d.charges = append(d.charges, ch.ID)
		if ch.Kind == ChargeOneOff {
			d.manual = true
		}
	}
	b.updates[up] = append(b.updates[up], c.ID)
	return nil
}

func chargeLine(ch Charge, c Contract, section string) Line {
	kind := LineProration
	switch ch.Kind {
	case ChargeCredit:
		kind = LineCredit
	case ChargeOneOff:
		kind = LineOneOff
	}
	return Line{ContractID: &c.ID, Section: section, Kind: kind, Description: ch.Description, Quantity: "1",
		UnitPrice: unitPrice(ch.AmountMinor, ch.Currency), NetMinor: ch.AmountMinor, PeriodStart: ch.PeriodStart, PeriodEnd: ch.PeriodEnd}
}

func derefID(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// decide sets a draft's status: held by an approval rule, finalized, or
// left as a draft when auto-finalize is off.
func (b *batch) decide(ctx context.Context, d *draft) error {
	p, err := b.parties.get(ctx, d.inv.SellerID, d.inv.CustomerID)
	if err != nil {
		return err
	}
	hold, err := holdReason(ctx, b.snap, d, p)
	if err != nil {
		return err
	}
	af, err := settings.Lookup(b.snap, AutoFinalize, settings.Scope{Seller: itoa(d.inv.SellerID), Customer: itoa(d.inv.CustomerID)})
	if err != nil {
		return err
	}
	switch {
	case hold != "":
		d.inv.Status, d.inv.HoldReason = InvoiceStatusAwaitingApproval, hold
	case af.Value && d.inv.TotalMinor >= 0:
		d.inv.Status = InvoiceStatusFinalized
	}
	return nil
}

// advance writes the contracts' new due dates, one statement per distinct
// new state.
func (b *batch) advance(ctx context.Context) error {
	for up, ids := range b.updates {
		upd := map[string]any{"next_due": up.nextDue, "setup_minor": up.setupMinor, "discount_left": up.discountLeft, "updated_at": b.now}
		if up.status != ContractActive {
			upd["status"], upd["open_key"], upd["ended_on"] = up.status, nil, up.nextDue
		}
		if err := b.s.db.Conn(ctx).Model(&Contract{}).Where("id IN ?", ids).Updates(upd).Error; err != nil {
			return fmt.Errorf("advance contracts: %w", err)
		}
	}
	return nil
}
