package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm/clause"

	"faktura/panel/core/db"
	"faktura/panel/core/money"
	"faktura/panel/core/settings"
)

// runSettings are the keys the run resolves per contract and invoice.
var runSettings = []string{LeadDays.Name, Grouping.Name, AutoFinalize.Name, ApprovalThreshold.Name, ApprovalNewCustomer.Name,
	ApprovalManualLines.Name, VIESFallback.Name}

// RunSummary is what one invoice run did.
type RunSummary struct {
	Contracts int      // contracts whose periods were invoiced
	Periods   int      // periods invoiced
	Invoices  int      // documents created
	Finalized int      // of which finalized (numbered)
	Held      int      // of which awaiting approval
	Drafts    int      // of which left as drafts (auto-finalize off)
	Skipped   int      // contracts another run invoiced first
	Failed    int      // units that failed (logged, retried next run)
	Errors    []string // the first failures
}

// plannedContract is a due contract as the plan saw it.
type plannedContract struct {
	Contract
	horizon string // invoice periods starting on or before this day
}

// unit is what becomes one invoice: the due contracts of a subproject
// (or of a customer, when it groups per customer) in one currency.
type unit struct {
	key       string
	grouped   bool // one invoice per customer, a section per subproject
	contracts []plannedContract
}

// InvoiceRun invoices every contract whose next period starts within its
// lead time of day. Each chunk of units is one transaction that locks its
// contracts, re-checks them, and writes invoices, lines and the
// contracts' next due dates together: a crash or a second run at once
// invoices nothing twice and leaves no gap in a series. It is the
// billing.invoice step of the daily run.
func (s *Service) InvoiceRun(ctx context.Context, day Date) (RunSummary, error) {
	snap, err := s.settings.Snapshot(ctx, runSettings...)
	if err != nil {
		return RunSummary{}, err
	}
	units, err := s.plan(ctx, snap, day)
	if err != nil {
		return RunSummary{}, err
	}
	chunks := chunkUnits(units, s.opt.RunChunk)
	s.log.Info("invoice run planned", "day", day.String(), "units", len(units), "chunks", len(chunks))
	var (
		mu   sync.Mutex
		sum  RunSummary
		wg   sync.WaitGroup
		next = make(chan []unit)
	)
	for w := 0; w < min(s.opt.RunWorkers, max(1, len(chunks))); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ch := range next {
				got, err := s.runChunk(ctx, snap, day, ch)
				mu.Lock()
				if err != nil {
					// A failing chunk is retried unit by unit, so one bad
					// customer (no country, say) holds back only itself.
					got, err = s.runUnits(ctx, snap, day, ch)
				}
				sum.add(got)
				mu.Unlock()
				s.log.Info("invoice run progress", "invoices", got.Invoices, "contracts", got.Contracts, "err", err)
			}
		}()
	}
	for _, ch := range chunks {
		if ctx.Err() != nil {
			break
		}
		next <- ch
	}
	close(next)
	wg.Wait()
	s.log.Info("invoice run done", "day", day.String(), "invoices", sum.Invoices, "finalized", sum.Finalized, "held", sum.Held, "failed", sum.Failed)
	return sum, ctx.Err()
}

func (r *RunSummary) add(o RunSummary) {
	r.Contracts += o.Contracts
	r.Periods += o.Periods
	r.Invoices += o.Invoices
	r.Finalized += o.Finalized
	r.Held += o.Held
	r.Drafts += o.Drafts
	r.Skipped += o.Skipped
	r.Failed += o.Failed
	for _, e := range o.Errors {
		if len(r.Errors) < 20 {
			r.Errors = append(r.Errors, e)
		}
	}
}

// runUnits is the slow path after a chunk failed: one transaction per
// unit, failures counted and logged.
func (s *Service) runUnits(ctx context.Context, snap *settings.Snapshot, day Date, ch []unit) (RunSummary, error) {
	var sum RunSummary
	var last error
	for _, u := range ch {
		got, err := s.runChunk(ctx, snap, day, []unit{u})
		if err != nil {
			sum.Failed++
			sum.Errors = append(sum.Errors, fmt.Sprintf("%s: %v", u.key, err))
			s.log.Error("invoice run unit failed", "unit", u.key, "err", err)
			last = err
			continue
		}
		sum.add(got)
	}
	return sum, last
}

// plan reads the due contracts (those whose next period starts on or
// before day plus the longest lead time) and keeps those due by their own
// lead time, grouped into units.
func (s *Service) plan(ctx context.Context, snap *settings.Snapshot, day Date) ([]unit, error) {
	maxLead := LeadDays.Default
	for _, v := range settings.Values(snap, LeadDays) {
		maxLead = max(maxLead, v)
	}
	horizon := AddDays(day, maxLead).String()
	var cs []Contract
	err := s.db.Read(ctx).Where("status = ? AND next_due <= ? AND included = ?", ContractActive, horizon, false).
		Order("seller_id, customer_id, subproject, id").Find(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("find due contracts: %w", err)
	}
	byKey := map[string]*unit{}
	var order []string
	for _, c := range cs {
		lead, err := settings.Lookup(snap, LeadDays, contractScope(c))
		if err != nil {
			return nil, err
		}
		h := AddDays(day, lead.Value).String()
		if c.NextDue > h {
			continue
		}
		g, err := settings.Lookup(snap, Grouping, settings.Scope{Seller: itoa(c.SellerID), Customer: itoa(c.CustomerID)})
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("%d/%d/%s", c.SellerID, c.CustomerID, c.Currency)
		if g.Value == GroupSubproject {
			key += "/" + c.Subproject
		}
		u := byKey[key]
		if u == nil {
			u = &unit{key: key, grouped: g.Value == GroupCustomer}
			byKey[key] = u
			order = append(order, key)
		}
		u.contracts = append(u.contracts, plannedContract{Contract: c, horizon: h})
	}
	out := make([]unit, len(order))
	for i, k := range order {
		out[i] = *byKey[k]
	}
	return out, nil
}

// chunkUnits packs units into chunks of about size contracts; a unit is
// never split.
func chunkUnits(us []unit, size int) [][]unit {
	var out [][]unit
	var cur []unit
	n := 0
	for _, u := range us {
		if n > 0 && n+len(u.contracts) > size {
			out = append(out, cur)
			cur, n = nil, 0
		}
		cur = append(cur, u)
		n += len(u.contracts)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// runChunk invoices a chunk in one transaction.
func (s *Service) runChunk(ctx context.Context, snap *settings.Snapshot, day Date, ch []unit) (RunSummary, error) {
	var sum RunSummary
	err := s.db.WithTxOpts(ctx, db.TxOptions{ReadCommitted: true}, func(ctx context.Context) error {
		sum = RunSummary{}
		ids := make([]int64, 0, s.opt.RunChunk)
		for _, u := range ch {
			for _, c := range u.contracts {
				ids = append(ids, c.ID)
			}
		}
		fresh, err := s.lockContracts(ctx, ids)
		if err != nil {
			return err
		}
		b, err := s.newBatch(ctx, snap, day, fresh)
		if err != nil {
			return err
		}
		var ds []*draft
		for _, u := range ch {
			d, n, err := b.unitDraft(ctx, u, fresh)
			if err != nil {
				return fmt.Errorf("unit %s: %w", u.key, err)
			}
			sum.Skipped += len(u.contracts) - n
			if d == nil {
				continue
			}
			sum.Contracts += n
			ds = append(ds, d)
		}
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
				sum.Finalized++
			case InvoiceStatusAwaitingApproval:
				sum.Held++
			default:
				sum.Drafts++
			}
		}
		sum.Invoices = len(ds)
		if err := s.insertDrafts(ctx, ds, b.now); err != nil {
			return err
		}
		s.fire("chunk.inserted")
		return b.advance(ctx)
	})
	if err == nil {
		s.fire("chunk.committed")
	}
	return sum, err
}

// lockContracts re-reads the chunk's contracts under row locks (MariaDB),
// so a concurrent run waits here and then sees the advanced due dates.
func (s *Service) lockContracts(ctx context.Context, ids []int64) (map[int64]Contract, error) {
	q := s.db.Conn(ctx)
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var cs []Contract
	if err := q.Where("id IN ?", ids).Order("id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("lock contracts: %w", err)
	}
	out := make(map[int64]Contract, len(cs))
	for _, c := range cs {
		out[c.ID] = c
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

func (s *Service) newBatch(ctx context.Context, snap *settings.Snapshot, day Date, cs map[int64]Contract) (*batch, error) {
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

// unitDraft builds the unit's invoice from the contracts still due as the
// plan saw them; it returns nil when another run got there first.
func (b *batch) unitDraft(ctx context.Context, u unit, fresh map[int64]Contract) (*draft, int, error) {
	var d *draft
	n := 0
	grouped := u.grouped
	for _, pc := range u.contracts {
		c, ok := fresh[pc.ID]
		if !ok || c.Status != ContractActive || c.NextDue != pc.NextDue {
			continue
		}
		p, err := b.parties.get(ctx, c.SellerID, c.CustomerID)
		if err != nil {
			return nil, 0, err
		}
		if d == nil {
			d = newDraft(DocInvoice, c.SellerID, c.CustomerID, c.Currency, p, b.day, "system", b.now)
			if !grouped {
				d.inv.Subproject = c.Subproject
			}
		}
		section := ""
		if grouped {
			section = cmp.Or(c.SubprojectName, c.Subproject)
		}
		if err := b.contractLines(d, p, c, pc.horizon, section); err != nil {
			return nil, 0, fmt.Errorf("contract %d: %w", c.ID, err)
		}
		n++
	}
	if d == nil {
		return nil, 0, nil
	}
	return d, n, b.finishDraft(ctx, d)
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
		key := fmt.Sprintf("c%d:%s", c.ID, per.Start)
		d.addLine(p, Line{ContractID: &c.ID, Section: section, Kind: LineRecurring, Description: name, Quantity: "1",
			UnitPrice: unitPrice(c.UnitMinor, c.Currency), NetMinor: c.UnitMinor, PeriodStart: per.Start.String(),
			PeriodEnd: per.End.String(), BillingKey: &key})
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
	hold, err := holdReason(b.snap, d, p)
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
