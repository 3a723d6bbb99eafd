package billing

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"gorm.io/gorm/clause"

	"faktura/panel/core/db"
)

// ChargeableDay is the day VAT becomes chargeable on a line, whose rate
// applies (Art. 63 to 66 of Directive 2006/112/EC): for a period billed in
// arrears (ended by the invoice date) the period's last day, the supply
// being completed then (Art. 64(1)); for a period billed in advance, or a
// line without a period, the invoice date (Art. 66(b)), unless a payment
// was received before it, which is taxed when received (Art. 65). A
// period's end is exclusive, as on the lines.
func ChargeableDay(issue Date, periodStart, periodEnd string, paid *Date) Date {
	if periodEnd != "" && periodEnd <= issue.String() {
		if end, err := ParseDay("period_end", periodEnd); err == nil {
			return AddDays(end, -1)
		}
	}
	if paid != nil && Before(*paid, issue) {
		return *paid
	}
	return issue
}

// OSSTally is a seller's Art. 59c tally: the net value of its supplies to
// consumers in other member states, in euro cents, last calendar year and
// this one, summed from its issued documents (credit notes deducted).
type OSSTally struct {
	SellerID int64    `json:"seller_id"`
	Year     int      `json:"year"`
	LastYear int64    `json:"last_year_minor"`
	ThisYear int64    `json:"this_year_minor"`
	Count    int      `json:"documents"`
	OptedIn  bool     `json:"opted_in"`
	Foreign  []string `json:"foreign_currencies,omitempty"` // such supplies invoiced in other currencies: the tally cannot show it is under the threshold
}

// ThresholdMinor is the threshold the tally is held against.
func (OSSTally) ThresholdMinor() int64 { return OSSThresholdMinor }

// Destination reports whether the seller's supplies to consumers in other
// member states are taxed where the consumer is: it opted in, or its
// supplies passed EUR 10,000 last year or this year (Art. 59c(1)(c)), or
// some were invoiced in a currency the tally cannot count (the safe side).
func (t OSSTally) Destination() bool {
	return t.OptedIn || t.LastYear > OSSThresholdMinor || t.ThisYear > OSSThresholdMinor || len(t.Foreign) > 0
}

// add counts n documents of net in all into this year's tally.
func (t *OSSTally) add(kind, currency string, net int64, n int) {
	if currency != "EUR" {
		if !slices.Contains(t.Foreign, currency) {
			t.Foreign = append(t.Foreign, currency)
		}
		return
	}
	if kind == DocCreditNote {
		net = -net
	}
	t.ThisYear += net
	t.Count += n
}

// readTally sums a seller's issued documents of year and the year
// before whose basis is a supply to a consumer in another member state.
func (s *Service) readTally(ctx context.Context, sellerID int64, year int) (OSSTally, error) {
	t := OSSTally{SellerID: sellerID, Year: year}
	var rows []struct {
		Y        string
		Currency string
		Kind     string
		Net      int64
		N        int
	}
	err := s.db.Conn(ctx).Model(&Invoice{}).
		Select("SUBSTR(issue_date, 1, 4) AS y, currency, kind, SUM(net_minor) AS net, COUNT(*) AS n").
		Where("seller_id = ? AND tax_basis IN ? AND issue_date >= ? AND issue_date <= ? AND (finalized_at IS NOT NULL OR status = ?)",
			sellerID, []string{BasisOSS, BasisUnderThreshold}, strconv.Itoa(year-1)+"-01-01", strconv.Itoa(year)+"-12-31", InvoiceStatusIssuing).
		Group("SUBSTR(issue_date, 1, 4), currency, kind").Scan(&rows).Error
	if err != nil {
		return t, fmt.Errorf("Art. 59c tally of seller %d: %w", sellerID, err)
	}
	var last OSSTally
	for _, r := range rows {
		into := &t
		if r.Y != strconv.Itoa(year) {
			into = &last
		}
		into.add(r.Kind, r.Currency, r.Net, r.N)
	}
	t.LastYear, t.Foreign = last.ThisYear, append(t.Foreign, last.Foreign...)
	slices.Sort(t.Foreign)
	t.Foreign = slices.Compact(t.Foreign)
	var mode []string
	if err := s.db.Conn(ctx).Model(&Profile{}).Where("tenant_id = ?", sellerID).Pluck("oss_mode", &mode).Error; err != nil {
		return t, fmt.Errorf("OSS option of seller %d: %w", sellerID, err)
	}
	t.OptedIn = len(mode) == 1 && mode[0] == OSSDestination
	return t, nil
}

// destination reports whether a seller's supplies to consumers in other
// member states are taxed where the consumer is on the cache's day, its
// tally read once per cache, and once per process after it passed the
// threshold (it stays past for the year).
func (pc *partyCache) destination(ctx context.Context, sellerID int64) (bool, error) {
	key := [2]int64{sellerID, int64(pc.day.Year)}
	if _, ok := pc.s.passed.Load(key); ok {
		return true, nil
	}
	t, ok := pc.tallies[sellerID]
	if !ok {
		read, err := pc.s.readTally(ctx, sellerID, pc.day.Year)
		if err != nil {
			return false, err
		}
		t = &read
		pc.tallies[sellerID] = t
	}
	pc.s.notePassed(*t)
	return t.Destination(), nil
}

// notePassed remembers a tally past the threshold (not an option, which
// the seller may withdraw).
func (s *Service) notePassed(t OSSTally) {
	if t.LastYear > OSSThresholdMinor || t.ThisYear > OSSThresholdMinor || len(t.Foreign) > 0 {
		s.passed.Store([2]int64{t.SellerID, int64(t.Year)}, true)
	}
}

// applyThreshold finds the run's drafts that are supplies to consumers in
// other member states taxed where the seller is (under the Art. 59c
// threshold), locks those sellers' billing profiles (one statement, in id
// order, before any number series: two chunks never deadlock), reads each
// seller's tally anew and adds the drafts one by one. The draft that takes
// the tally past EUR 10,000, and every one after it, is taxed where the
// consumer is.
func (s *Service) applyThreshold(ctx context.Context, pc *partyCache, ds []*draft) error {
	var sellers []int64
	for _, d := range ds {
		if p := pc.loaded[[2]int64{d.inv.SellerID, d.inv.CustomerID}]; p != nil && p.decision.Basis == BasisUnderThreshold {
			sellers = append(sellers, d.inv.SellerID)
		}
	}
	if len(sellers) == 0 {
		return nil
	}
	slices.Sort(sellers)
	sellers = slices.Compact(sellers)
	if s.db.Dialect == db.MySQL {
		var locked []int64
		err := s.db.Conn(ctx).Model(&Profile{}).Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("tenant_id IN ?", sellers).Order("tenant_id").Pluck("tenant_id", &locked).Error
		if err != nil {
			return fmt.Errorf("lock sellers for the Art. 59c tally: %w", err)
		}
	}
	tallies := map[int64]*OSSTally{}
	for _, id := range sellers {
		t, err := s.readTally(ctx, id, pc.day.Year)
		if err != nil {
			return err
		}
		tallies[id] = &t
	}

	for _, d := range ds {
		p := pc.loaded[[2]int64{d.inv.SellerID, d.inv.CustomerID}]
		if p == nil || p.decision.Basis != BasisUnderThreshold {
			continue
		}
		t := tallies[d.inv.SellerID]
		t.add(d.inv.Kind, d.inv.Currency, d.inv.NetMinor, 1)
		if !t.Destination() {
			continue
		}
		d.destination = true
		if err := d.taxLines(p); err != nil {
			return err
		}
		if err := d.totals(p); err != nil {
			return err
		}
	}
	return nil
}

// OSSTally is a seller's Art. 59c tally for the year of day.
func (s *Service) OSSTally(ctx context.Context, sellerID int64, day Date) (OSSTally, error) {
	return s.readTally(ctx, sellerID, day.Year)
}
