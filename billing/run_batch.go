package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"faktura/panel/core/money"
	"faktura/panel/core/settings"
)

// decideAll sets each draft's status and returns the series of those to
// finalize, counting the held ones and the drafts.
func (b *batch) decideAll(ctx context.Context, ds []*draft, sum *RunSummary) ([]seriesKey, error) {
	var series []seriesKey
	for _, d := range ds {
		if err := b.decide(ctx, d); err != nil {
			return nil, err
		}
		switch d.inv.Status {
		case InvoiceStatusFinalized:
			k, err := issuingRow{SellerID: d.inv.SellerID, Kind: d.inv.Kind, IssueDate: d.inv.IssueDate}.series()
			if err != nil {
				return nil, err
			}
			series = append(series, k)
		case InvoiceStatusAwaitingApproval:
			sum.Held++
		default:
			sum.Drafts++
		}
	}
	return series, nil
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

// finishDraft sets the document's period from its lines and its due date
// from the seller's payment terms (billing.payment_days after issue,
// never before the period starts: billed in advance, a period is due when
// it starts at the earliest), and computes the totals.
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
	terms, err := settings.Lookup(b.snap, PaymentDays, settings.Scope{Seller: itoa(d.inv.SellerID), Customer: itoa(d.inv.CustomerID)})
	if err != nil {
		return err
	}
	issue, err := ParseDay("issue_date", d.inv.IssueDate)
	if err != nil {
		return err
	}
	d.inv.DueDate = max(AddDays(issue, terms.Value).String(), d.inv.PeriodStart)
	p, err := b.parties.get(ctx, d.inv.SellerID, d.inv.CustomerID)
	if err != nil {
		return err
	}
	if err := d.taxLines(p); err != nil {
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
	case ChargeUsage:
		kind = LineUsage
	}
	qty, price := cmp.Or(ch.Quantity, "1"), cmp.Or(ch.UnitPrice, unitPrice(ch.AmountMinor, ch.Currency))
	return Line{ContractID: &c.ID, Section: section, Kind: kind, Description: ch.Description, Quantity: qty, Unit: ch.Unit,
		UnitPrice: price, NetMinor: ch.AmountMinor, PeriodStart: ch.PeriodStart, PeriodEnd: ch.PeriodEnd}
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
