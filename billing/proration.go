package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"faktura/panel/core/money"
	"faktura/panel/core/settings"
)

// billedLine is a recurring line of a contract with its document's state.
type billedLine struct {
	Line
	Frozen bool
	Status InvoiceStatus
}

// billedPeriods lists the contract's recurring lines whose period ends
// after day, on invoices that are not cancelled.
func (s *Service) billedPeriods(ctx context.Context, contractID int64, day Date) ([]billedLine, error) {
	var rows []struct {
		Line
		FinalizedAt *time.Time
		Status      InvoiceStatus
	}
	err := s.db.Conn(ctx).Table("invoice_lines").Select("invoice_lines.*, invoices.finalized_at, invoices.status").
		Joins("JOIN invoices ON invoices.id = invoice_lines.invoice_id").
		Where("invoice_lines.contract_id = ? AND invoice_lines.kind = ? AND invoice_lines.period_end > ? AND invoices.kind = ? AND invoices.status <> ?",
			contractID, LineRecurring, day.String(), DocInvoice, InvoiceStatusCancelled).
		Order("invoice_lines.period_start").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("billed periods of contract %d: %w", contractID, err)
	}
	out := make([]billedLine, len(rows))
	for i, r := range rows {
		out[i] = billedLine{Line: r.Line, Frozen: r.FinalizedAt != nil, Status: r.Status}
	}
	return out, nil
}

// Prorate is amount times the unused share of the period from day on,
// rounded once (half away from zero) to the currency's minor unit.
func Prorate(amount money.Money, p Period, day Date) (money.Money, error) {
	total := p.Days()
	if total <= 0 {
		return money.Zero(amount.Currency), nil
	}
	from := p.Start
	if Before(from, day) {
		from = day
	}
	left := max(0, DaysBetween(from, p.End))
	// Multiply before dividing so a third of a month stays exact until the
	// one rounding.
	scaled := decimal.NewFromInt(amount.Amount).Mul(decimal.NewFromInt(int64(left))).Div(decimal.NewFromInt(int64(total)))
	return money.FromDecimal(scaled.Shift(-amount.Currency.Exponent()), amount.Currency, money.RoundLine)
}

// prorate settles the invoiced periods after day: base gives, per billed
// line, the full-period amount to prorate (the price difference of a
// package change, or minus the line for a termination). Positive results
// become charges (invoiced now or next time, by mode); negative ones a
// credit note against the finalized invoice, a credit on the next invoice,
// or nothing.
func (s *Service) prorate(ctx context.Context, c Contract, day Date, base func(Line) int64, mode, label, source string) error {
	lines, err := s.billedPeriods(ctx, c.ID, day)
	if err != nil {
		return err
	}
	cur := money.Currency(c.Currency)
	for _, bl := range lines {
		start, _ := ParseDay("period_start", bl.PeriodStart)
		end, _ := ParseDay("period_end", bl.PeriodEnd)
		per := Period{Start: start, End: end}
		amt, err := Prorate(money.Money{Amount: base(bl.Line), Currency: cur}, per, day)
		if err != nil {
			return err
		}
		if amt.Amount == 0 {
			continue
		}
		desc := fmt.Sprintf("%s %s – %s, %s to %s", label, c.SubjectName, c.Cycle, maxDay(per.Start, day), per.End)
		key := fmt.Sprintf("%s:%d:%s", source, c.ID, bl.PeriodStart)
		switch {
		case amt.Amount > 0:
			err = s.addCharge(ctx, c, ChargeProration, desc, amt.Amount, maxDay(per.Start, day), per.End, key)
		case mode == ProrateNone:
		case mode == ProrateCreditNote && bl.Frozen:
			_, err = s.creditLine(ctx, bl.InvoiceID, bl.ID, -amt.Amount, desc, "system")
		case mode == ProrateCreditNote && label == "termination":
			// An unfinalized line is removed instead (dropDraftLines).
		default:
			err = s.addCharge(ctx, c, ChargeCredit, desc, amt.Amount, maxDay(per.Start, day), per.End, key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func maxDay(a, b Date) Date {
	if Before(a, b) {
		return b
	}
	return a
}

// addCharge records an amount for the contract's next invoice, once per
// key.
func (s *Service) addCharge(ctx context.Context, c Contract, kind, desc string, amount int64, from, to Date, key string) error {
	ch := Charge{ContractID: c.ID, Kind: kind, Description: desc, AmountMinor: amount, Currency: c.Currency,
		PeriodStart: from.String(), PeriodEnd: to.String(), ChargeKey: key, CreatedAt: s.now()}
	var n int64
	if err := s.db.Conn(ctx).Model(&Charge{}).Where("charge_key = ?", key).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	if err := s.db.Conn(ctx).Create(&ch).Error; err != nil {
		return fmt.Errorf("add charge to contract %d: %w", c.ID, err)
	}
	return nil
}

// dropDraftLines removes a closed contract's lines for periods from day
// on from documents not yet finalized, recomputing them (and deleting a
// document left empty).
func (s *Service) dropDraftLines(ctx context.Context, contractID int64, day Date) error {
	var lines []Line
	err := s.db.Conn(ctx).Table("invoice_lines").Select("invoice_lines.*").Joins("JOIN invoices ON invoices.id = invoice_lines.invoice_id").
		Where("invoice_lines.contract_id = ? AND invoices.finalized_at IS NULL AND invoice_lines.period_start >= ?", contractID, day.String()).
		Find(&lines).Error
	if err != nil {
		return fmt.Errorf("find draft lines of contract %d: %w", contractID, err)
	}
	if err := s.releaseLines(ctx, lines); err != nil {
		return err
	}
	touched := map[int64]bool{}
	for _, l := range lines {
		if err := s.db.Conn(ctx).Delete(&Line{}, l.ID).Error; err != nil {
			return fmt.Errorf("drop draft line %d: %w", l.ID, err)
		}
		touched[l.InvoiceID] = true
	}
	for id := range touched {
		if err := s.recompute(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// invoicePending invoices a contract's waiting charges right away (an
// upgrade billed now, charges left when a contract ends).
func (s *Service) invoicePending(ctx context.Context, c Contract, day Date) (*Invoice, error) {
	var chs []Charge
	if err := s.db.Conn(ctx).Where("contract_id = ? AND invoice_id IS NULL", c.ID).Order("id").Find(&chs).Error; err != nil {
		return nil, fmt.Errorf("pending charges of contract %d: %w", c.ID, err)
	}
	if len(chs) == 0 {
		return nil, nil
	}
	snap, err := s.settings.Snapshot(ctx, runSettings...)
	if err != nil {
		return nil, err
	}
	pc := s.newPartyCache(snap, day)
	p, err := pc.get(ctx, c.SellerID, c.CustomerID)
	if err != nil {
		return nil, err
	}
	b := &batch{s: s, snap: snap, day: day, now: s.now(), parties: pc}
	d := newDraft(DocInvoice, c.SellerID, c.CustomerID, c.Currency, p, day, "system", b.now)
	d.inv.Subproject = c.Subproject
	for _, ch := range chs {
		d.addLine(p, chargeLine(ch, c, ""))
		d.charges = append(d.charges, ch.ID)
	}
	if err := b.finishDraft(ctx, d); err != nil {
		return nil, err
	}
	if err := s.applyThreshold(ctx, pc, []*draft{d}); err != nil {
		return nil, err
	}
	if d.inv.TotalMinor < 0 {
		return nil, nil // a net credit waits for the next invoice
	}
	if err := b.decide(ctx, d); err != nil {
		return nil, err
	}
	if err := s.insertDrafts(ctx, []*draft{d}, b.now); err != nil {
		return nil, err
	}
	return &d.inv, s.record(ctx, "billing.invoice.create", "invoice", d.inv.ID, c.CustomerID, c.CustomerPath, nil,
		map[string]any{"number": d.inv.Number, "total_minor": d.inv.TotalMinor, "reason": "pending charges"})
}

// changePackage reprices the account's open hosting contracts for the new
// package and prorates the rest of the invoiced periods by the settings.
func (s *Service) changePackage(ctx context.Context, accountID int64, toPackage string, at time.Time, source string) error {
	var cs []Contract
	err := s.db.Conn(ctx).Where("subject_kind = ? AND subject_id = ? AND status = ?", SubjectAccount, accountID, ContractActive).Order("id").Find(&cs).Error
	if err != nil {
		return fmt.Errorf("find contracts of account %d: %w", accountID, err)
	}
	for _, c := range cs {
		p, err := s.matchProduct(ctx, c.SellerID, KindHosting, toPackage)
		if err != nil {
			return err
		}
		var price Price
		ok := p != nil
		if ok {
			price, ok = p.PriceFor(c.Currency, c.Cycle)
		}
		if !ok {
			s.log.Warn("package change not repriced: no product or price", "contract", c.ID, "seller", c.SellerID, "package", toPackage)
			continue
		}
		loc, err := s.sellerZone(ctx, c.SellerID)
		if err != nil {
			return err
		}
		day := LocalDay(at, loc)
		delta := price.AmountMinor - c.UnitMinor
		sc := contractScope(c)
		up, err := settings.Get(ctx, s.settings, ProrationUpgrade, sc)
		if err != nil {
			return err
		}
		down, err := settings.Get(ctx, s.settings, ProrationDowngrade, sc)
		if err != nil {
			return err
		}
		mode, label := down.Value, "Downgrade credit"
		if delta > 0 {
			mode, label = up.Value, "Upgrade"
		}
		if delta != 0 {
			if err := s.prorate(ctx, c, day, func(Line) int64 { return delta }, mode, label, source); err != nil {
				return err
			}
		}
		err = s.db.Conn(ctx).Model(&Contract{}).Where("id = ?", c.ID).
			Updates(map[string]any{"product_id": p.ID, "unit_minor": price.AmountMinor, "updated_at": s.now()}).Error
		if err != nil {
			return fmt.Errorf("reprice contract %d: %w", c.ID, err)
		}
		if delta > 0 && mode == ProrateNow {
			if _, err := s.invoicePending(ctx, c, day); err != nil {
				return err
			}
		}
		if err := s.record(ctx, "billing.contract.package", "contract", c.ID, c.CustomerID, c.CustomerPath,
			map[string]any{"product_id": c.ProductID, "unit_minor": c.UnitMinor}, map[string]any{"product_id": p.ID, "unit_minor": price.AmountMinor}); err != nil {
			return err
		}
	}
	return nil
}
