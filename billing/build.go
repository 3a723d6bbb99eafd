package billing

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/outbox"
	"faktura/panel/core/settings"
)

// parties is what a document needs of its seller and buyer: snapshots,
// the tax decision, the language.
type parties struct {
	seller, buyer Party
	sellerJSON    string
	buyerJSON     string
	decision      TaxDecision
	lang          string
	buyerPath     string
	cache         *partyCache

	// The inputs of the decision, to decide again for another chargeable
	// event or once the seller is past the Art. 59c threshold.
	taxSeller TaxSeller
	taxBuyer  TaxBuyer
	fallback  ViesFallback
	others    map[decisionKey]TaxDecision
}

type decisionKey struct {
	day         Date
	destination bool
}

// decisionOn is the parties' tax for a chargeable event on day, a supply
// to a consumer in another member state taxed where the consumer is
// (destination) or where the seller is.
func (p *parties) decisionOn(day Date, destination bool) (TaxDecision, error) {
	if p.cache == nil || day == p.cache.day && destination == p.taxSeller.Destination {
		return p.decision, nil
	}
	k := decisionKey{day, destination}
	if d, ok := p.others[k]; ok {
		return d, nil
	}
	ts := p.taxSeller
	ts.Destination = destination
	d, err := DecideTax(ts, p.taxBuyer, day, p.fallback)
	if err != nil {
		return d, fmt.Errorf("tax for seller %d, customer %d on %s: %w", p.seller.TenantID, p.buyer.TenantID, day, err)
	}
	if p.others == nil {
		p.others = map[decisionKey]TaxDecision{}
	}
	p.others[k] = d
	return d, nil
}

// firstInvoice reports whether the seller has not finalized an invoice
// to the buyer yet (the new-customer approval rule); asked only when the
// rule is on, once per pair and chunk.
func (p *parties) firstInvoice(ctx context.Context) (bool, error) {
	pc := p.cache
	key := [2]int64{p.seller.TenantID, p.buyer.TenantID}
	if seen, ok := pc.seen[key]; ok {
		return !seen, nil
	}
	var ids []int64
	err := pc.s.db.Conn(ctx).Model(&Invoice{}).Where("customer_id = ? AND seller_id = ? AND kind = ? AND finalized_at IS NOT NULL",
		key[1], key[0], DocInvoice).Limit(1).Pluck("id", &ids).Error
	if err != nil {
		return false, fmt.Errorf("earlier invoices of customer %d: %w", key[1], err)
	}
	pc.seen[key] = len(ids) > 0
	return len(ids) == 0, nil
}

// partyCache loads sellers' and buyers' profiles once per chunk.
type partyCache struct {
	s        *Service
	snap     *settings.Snapshot
	day      Date
	profiles map[int64]Profile
	tenants  map[int64]tenantRow
	seen     map[[2]int64]bool // (seller, customer) with a finalized invoice
	loaded   map[[2]int64]*parties
	tallies  map[int64]*OSSTally // sellers' Art. 59c tallies, read once
}

func (s *Service) newPartyCache(snap *settings.Snapshot, day Date) *partyCache {
	return &partyCache{s: s, snap: snap, day: day, profiles: map[int64]Profile{}, tenants: map[int64]tenantRow{},
		seen: map[[2]int64]bool{}, loaded: map[[2]int64]*parties{}, tallies: map[int64]*OSSTally{}}
}

// preload reads the profiles and tenants of the pairs, in two queries.
func (pc *partyCache) preload(ctx context.Context, pairs [][2]int64) error {
	var ids []int64
	for _, p := range pairs {
		for _, id := range p {
			if _, ok := pc.tenants[id]; !ok {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 {
		var ps []Profile
		if err := pc.s.db.Conn(ctx).Where("tenant_id IN ?", ids).Find(&ps).Error; err != nil {
			return fmt.Errorf("load billing profiles: %w", err)
		}
		for _, p := range ps {
			pc.profiles[p.TenantID] = p
		}
		var ts []tenantRow
		if err := pc.s.db.Conn(ctx).Table("tenants").Where("id IN ?", ids).Find(&ts).Error; err != nil {
			return fmt.Errorf("load tenants: %w", err)
		}
		for _, t := range ts {
			pc.tenants[t.ID] = t
		}
	}
	return nil
}

func partyOf(t tenantRow, p Profile) Party {
	return Party{TenantID: t.ID, Name: cmp.Or(p.LegalName, t.Name), Address1: p.Address1, Address2: p.Address2, PostalCode: p.PostalCode,
		City: p.City, Region: p.Region, Country: cmp.Or(p.Country, t.Country), Email: cmp.Or(p.Email, t.Email),
		VATID: p.VATID, VATStatus: p.VATStatus, VATRequestID: p.VATRequestID, RegistrationID: p.RegistrationID,
		TaxNumber: p.TaxNumber, Phone: p.Phone, EndpointID: p.EndpointID, BuyerReference: p.BuyerReference, EInvoice: p.EInvoice, IBAN: p.IBAN, BIC: p.BIC,
		OrderReference: p.OrderReference}
}

// get returns the parties of (seller, customer), deciding the tax once.
func (pc *partyCache) get(ctx context.Context, sellerID, customerID int64) (*parties, error) {
	key := [2]int64{sellerID, customerID}
	if p, ok := pc.loaded[key]; ok {
		return p, nil
	}
	_, haveSeller := pc.tenants[sellerID]
	if _, haveBuyer := pc.tenants[customerID]; !haveSeller || !haveBuyer {
		if err := pc.preload(ctx, [][2]int64{key}); err != nil {
			return nil, err
		}
	}
	st, bt := pc.tenants[sellerID], pc.tenants[customerID]
	sp, bp := pc.profiles[sellerID], pc.profiles[customerID]
	seller, buyer := partyOf(st, sp), partyOf(bt, bp)
	fb, err := settings.Lookup(pc.snap, VIESFallback, settings.Scope{Seller: itoa(sellerID), Customer: itoa(customerID)})
	if err != nil {
		return nil, err
	}
	ts := TaxSeller{Country: seller.Country, VATID: seller.VATID, Scheme: sp.TaxScheme, Destination: sp.OSSMode == OSSDestination}
	tb := TaxBuyer{Country: buyer.Country, PostalCode: buyer.PostalCode, Region: buyer.Region, VATID: buyer.VATID, Registration: buyer.RegistrationID,
		VAT: bp.VATStatus, LastValid: bp.VATValidAt != nil,
		Exempt: bp.TaxExempt, ExemptReason: bp.TaxExemptReason, ExemptCode: bp.TaxExemptCode}
	dec, err := DecideTax(ts, tb, pc.day, ViesFallback(fb.Value))
	if err != nil {
		return nil, fmt.Errorf("tax for seller %d, customer %d: %w", sellerID, customerID, err)
	}
	if dec.Basis == BasisUnderThreshold {
		// Past the threshold last year or earlier this year: the
		// customer's country's rate (the run checks the crossing supply
		// itself, under a lock: applyThreshold).
		past, err := pc.destination(ctx, sellerID)
		if err != nil {
			return nil, err
		}
		if past {
			ts.Destination = true
			if dec, err = DecideTax(ts, tb, pc.day, ViesFallback(fb.Value)); err != nil {
				return nil, err
			}
		}
	}
	sj, _ := json.Marshal(seller)
	bj, _ := json.Marshal(buyer)
	p := &parties{seller: seller, buyer: buyer, sellerJSON: string(sj), buyerJSON: string(bj), decision: dec,
		lang: cmp.Or(bp.Language, bt.Language, "en"), buyerPath: bt.Path, cache: pc, taxSeller: ts, taxBuyer: tb, fallback: ViesFallback(fb.Value)}
	pc.loaded[key] = p
	return p, nil
}

// draft is a document being built in memory before one insert.
type draft struct {
	inv     Invoice
	lines   []Line
	charges []int64 // contract charges this document consumes
	manual  bool
	// destination: the supply that takes the seller past the Art. 59c
	// threshold, taxed where the consumer is (applyThreshold).
	destination bool
}

// decision is the draft's tax: the parties', or the destination's once
// the draft crossed the threshold.
func (d *draft) decision(p *parties) (TaxDecision, error) {
	if !d.destination {
		return p.decision, nil
	}
	return p.decisionOn(mustDay(d.inv.IssueDate), true)
}

// taxLines gives each line the category and rate in force at its
// chargeable event (ChargeableDay): a period billed in arrears takes the
// rate of its last day, one billed in advance the invoice date's.
func (d *draft) taxLines(p *parties) error {
	dec, err := d.decision(p)
	if err != nil {
		return err
	}
	issue, err := ParseDay("issue_date", d.inv.IssueDate)
	if err != nil {
		return err
	}
	for i := range d.lines {
		l := &d.lines[i]
		ld, err := p.decisionOn(ChargeableDay(issue, l.PeriodStart, l.PeriodEnd, nil), p.taxSeller.Destination || d.destination)
		if err != nil {
			return err
		}
		if ld.Category != dec.Category {
			ld = dec // a rate for a day before the first known one: the invoice date's treatment
		}
		l.TaxCategory, l.TaxRate = ld.Category, ld.Rate.String()
	}
	return nil
}

// addLine appends a line taxed by the document's decision.
func (d *draft) addLine(p *parties, l Line) {
	l.Position = len(d.lines) + 1
	l.TaxCategory, l.TaxRate = p.decision.Category, p.decision.Rate.String()
	d.lines = append(d.lines, l)
}

// unitPrice renders minor units as a major-unit decimal for the line.
func unitPrice(minor int64, cur string) string {
	return money.Money{Amount: minor, Currency: money.Currency(cur)}.Decimal().String()
}

// totals computes net (sum of rounded line amounts), VAT per category on
// those sums, and the total, and stores the tax summary. A sum beyond
// money.MaxAmount is money.ErrOverflow, never a wrapped number.
func (d *draft) totals(p *parties) error {
	cur := money.Currency(d.inv.Currency)
	taxed := make([]TaxedLine, len(d.lines))
	var net int64
	for i, l := range d.lines {
		taxed[i] = TaxedLine{Net: l.NetMinor, Category: l.TaxCategory, Rate: decimal.RequireFromString(l.TaxRate)}
		var err error
		if net, err = money.Add64(net, l.NetMinor); err != nil {
			return err
		}
	}
	tl, err := TaxBreakdown(cur, taxed)
	if err != nil {
		return err
	}
	var tax int64
	for i := range tl {
		if tax, err = money.Add64(tax, tl[i].Tax); err != nil {
			return err
		}
	}
	total, err := money.Add64(net, tax)
	if err != nil {
		return err
	}
	for _, a := range []int64{net, tax, total} {
		if err := (money.Money{Amount: a, Currency: cur}).Check(); err != nil {
			return err
		}
	}
	dec, err := d.decision(p)
	if err != nil {
		return err
	}
	sum := TaxSummary{Decision: dec, Note: TaxNote(dec, p.seller.Country, d.inv.Language), Lines: tl}
	raw, _ := json.Marshal(sum)
	d.inv.NetMinor, d.inv.TaxMinor, d.inv.TotalMinor, d.inv.Taxes, d.inv.TaxBasis = net, tax, total, string(raw), dec.Basis
	if dec.Flag != "" && !strings.Contains(d.inv.Flags, dec.Flag) {
		d.inv.Flags = strings.Trim(d.inv.Flags+","+dec.Flag, ",")
	}
	return nil
}

// newDraft starts a document between the parties, issued on day.
func newDraft(kind string, sellerID, customerID int64, cur string, p *parties, day Date, by string, now time.Time) *draft {
	return &draft{inv: Invoice{SellerID: sellerID, CustomerID: customerID, CustomerPath: p.buyerPath, Kind: kind, Status: InvoiceStatusDraft,
		Currency: cur, Language: p.lang, IssueDate: day.String(), DueDate: day.String(), Seller: p.sellerJSON, Buyer: p.buyerJSON,
		CreatedBy: by, CreatedAt: now, UpdatedAt: now}}
}

// holdReason applies the approval rules: the amount threshold, a new
// customer, manual lines. An empty answer lets the document finalize.
func holdReason(ctx context.Context, snap *settings.Snapshot, d *draft, p *parties) (string, error) {
	dec, err := d.decision(p)
	if err != nil {
		return "", err
	}
	if SellerMentionsProblem(p.seller, p.buyer) != nil || ReverseChargeProblem(p.seller, dec.Category) != nil {
		return HoldSellerIDs, nil // finalized, it would lack what the law or the buyer's e-invoice needs
	}
	sc := settings.Scope{Seller: itoa(d.inv.SellerID), Customer: itoa(d.inv.CustomerID)}
	if dec.Flag == FlagVATUnverified && dec.Category != CategoryReverseCharge {
		pol, err := settings.Lookup(snap, VIESUnconfirmed, sc)
		if err != nil {
			return "", err
		}
		if pol.Value == VIESHold {
			return HoldVIES, nil
		}
	}
	th, err := settings.Lookup(snap, ApprovalThreshold, sc)
	if err != nil {
		return "", err
	}
	if th.Value > 0 && d.inv.TotalMinor >= int64(th.Value) {
		return "amount", nil
	}
	nc, err := settings.Lookup(snap, ApprovalNewCustomer, sc)
	if err != nil {
		return "", err
	}
	if nc.Value {
		first, err := p.firstInvoice(ctx)
		if err != nil {
			return "", err
		}
		if first {
			return "new_customer", nil
		}
	}
	ml, err := settings.Lookup(snap, ApprovalManualLines, sc)
	if err != nil {
		return "", err
	}
	if ml.Value && d.manual {
		return "manual_lines", nil
	}
	return "", nil
}

// insertDrafts numbers the documents marked finalized (one reservation
// per series; issuing ones are numbered later by issue), then writes
// documents and lines with two multi-row inserts and marks the consumed
// charges, all in the caller's transaction. Billed periods are the
// caller's (recordPeriods).
func (s *Service) insertDrafts(ctx context.Context, ds []*draft, now time.Time) error {
	if len(ds) == 0 {
		return nil
	}
	want := map[seriesKey][]*draft{}
	var keys []seriesKey
	for _, d := range ds {
		if d.inv.Status != InvoiceStatusFinalized {
			continue
		}
		issue, err := ParseDay("issue_date", d.inv.IssueDate)
		if err != nil {
			return err
		}
		k := seriesKey{d.inv.SellerID, d.inv.Kind, issue.Year}
		if want[k] == nil {
			keys = append(keys, k)
		}
		want[k] = append(want[k], d)
	}
	// A fixed order of series locks keeps two workers from deadlocking.
	slices.SortFunc(keys, seriesKey.compare)
	for _, k := range keys {
		first, prefix, err := s.reserveNumbers(ctx, k.seller, k.kind, k.year, int64(len(want[k])))
		if err != nil {
			return err
		}
		for i, d := range want[k] {
			seq := first + int64(i)
			num := FormatNumber(prefix, k.year, seq)
			d.inv.Seq, d.inv.Number, d.inv.FinalizedAt = &seq, &num, &now
		}
	}
	invs := make([]*Invoice, len(ds))
	for i, d := range ds {
		invs[i] = &d.inv
	}
	if err := s.db.Conn(ctx).CreateInBatches(invs, 500).Error; err != nil {
		return fmt.Errorf("insert invoices: %w", err)
	}
	var lines []*Line
	var charged []chargeUse
	for _, d := range ds {
		for i := range d.lines {
			d.lines[i].InvoiceID, d.lines[i].CreatedAt = d.inv.ID, now
			lines = append(lines, &d.lines[i])
		}
		for _, id := range d.charges {
			charged = append(charged, chargeUse{id, d.inv.ID})
		}
		d.inv.Lines = d.lines
	}
	if len(lines) > 0 {
		if err := s.db.Conn(ctx).CreateInBatches(lines, 1000).Error; err != nil {
			return fmt.Errorf("insert invoice lines: %w", err)
		}
	}
	for _, c := range charged {
		res := s.db.Conn(ctx).Model(&Charge{}).Where("id = ? AND invoice_id IS NULL", c.charge).Update("invoice_id", c.invoice)
		if res.Error != nil {
			return fmt.Errorf("mark charge %d invoiced: %w", c.charge, res.Error)
		}
		if res.RowsAffected != 1 {
			return core.E(core.ErrConflict, "charge %d was invoiced meanwhile", c.charge)
		}
	}
	var fin []*Invoice
	for _, d := range ds {
		if d.inv.Status == InvoiceStatusFinalized {
			fin = append(fin, &d.inv)
		}
	}
	if err := s.postDocs(ctx, fin); err != nil {
		return err
	}
	// Credit notes publish where they are issued, with the credited invoice.
	var evs []outbox.Event
	for _, d := range ds {
		if d.inv.Status == InvoiceStatusFinalized && d.inv.Kind == DocInvoice {
			evs = append(evs, InvoiceFinalized{factsOf(d.inv)})
		}
	}
	return s.publish(ctx, evs...)
}

type chargeUse struct{ charge, invoice int64 }

// sellerParty reads a seller's party from its tenant and billing profile.
func (s *Service) sellerParty(ctx context.Context, sellerID int64) (Party, error) {
	var t tenantRow
	if err := s.db.Conn(ctx).Table("tenants").Where("id = ?", sellerID).Take(&t).Error; err != nil {
		return Party{}, fmt.Errorf("load seller %d: %w", sellerID, err)
	}
	var p Profile
	if err := s.db.Conn(ctx).Where("tenant_id = ?", sellerID).Limit(1).Find(&p).Error; err != nil {
		return Party{}, fmt.Errorf("load seller %d's billing profile: %w", sellerID, err)
	}
	return partyOf(t, p), nil
}
