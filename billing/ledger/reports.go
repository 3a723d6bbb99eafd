package ledger

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
)

// ReportInput asks for a report of months From..To (YYYY-MM) in a
// currency. The OSS return takes a quarter instead ("2026-Q3").
type ReportInput struct {
	From     string `query:"from" json:"from"`
	To       string `query:"to" json:"to"`
	Quarter  string `query:"quarter" json:"quarter"`
	Currency string `query:"currency" json:"currency"`
}

// Months checks the input and returns the report's first and last day.
func (in *ReportInput) Months() (string, string, error) {
	var v core.ValidationError
	in.Currency = strings.ToUpper(cmp.Or(strings.TrimSpace(in.Currency), "EUR"))
	if !currencyPattern.MatchString(in.Currency) {
		v.Add("currency", "must be a three-letter ISO 4217 code")
	}
	if q := strings.TrimSpace(in.Quarter); q != "" {
		y, n, ok := strings.Cut(q, "-Q")
		yy, err := strconv.Atoi(y)
		if !ok || err != nil || yy < 2000 || yy > 9999 || len(n) != 1 || n < "1" || n > "4" {
			v.Add("quarter", "must be a quarter as YYYY-Qn (2026-Q3)")
			return "", "", v.Err()
		}
		m := (int(n[0]-'0')-1)*3 + 1
		in.From, in.To = fmt.Sprintf("%04d-%02d", yy, m), fmt.Sprintf("%04d-%02d", yy, m+2)
	}
	from, err := time.Parse("2006-01", strings.TrimSpace(in.From))
	if err != nil {
		v.Add("from", "must be a month as YYYY-MM")
	}
	in.To = cmp.Or(strings.TrimSpace(in.To), in.From)
	to, err2 := time.Parse("2006-01", in.To)
	switch {
	case err2 != nil:
		v.Add("to", "must be a month as YYYY-MM")
	case err == nil && to.Before(from):
		v.Add("to", "must not be before from")
	}
	if err := v.Err(); err != nil {
		return "", "", err
	}
	return from.Format("2006-01-02"), to.AddDate(0, 1, -1).Format("2006-01-02"), nil
}

// taxDoc is what the reports read of a document.
type taxDoc struct {
	ID        int64
	Kind      string
	IssueDate string
	Taxes     string
	TaxBasis  string
	Buyer     string
}

// supply is one (category, rate) line of a document, signed (a credit
// note's is negative), with its buyer.
type supply struct {
	Basis    string
	Category billing.Category
	Rate     string
	Base     int64
	Tax      int64
	Buyer    billing.Party
}

// supplies reads the seller's documents issued between from and to (the
// issue date is when VAT becomes chargeable for these services, Art. 63
// and 66) in a currency, as signed supplies.
func (s *Service) supplies(ctx context.Context, sellerID int64, from, to, currency string) ([]supply, int, error) {
	var out []supply
	n := 0
	for after := int64(0); ; {
		var docs []taxDoc
		err := s.db.Read(ctx).Table("invoices").Select("id, kind, issue_date, taxes, tax_basis, buyer").
			Where("seller_id = ? AND currency = ? AND finalized_at IS NOT NULL AND status <> ? AND issue_date >= ? AND issue_date <= ? AND id > ?",
				sellerID, currency, billing.InvoiceStatusIssuing, from, to, after).Order("id").Limit(2000).Scan(&docs).Error
		if err != nil {
			return nil, 0, fmt.Errorf("read documents for the report: %w", err)
		}
		if len(docs) == 0 {
			return out, n, nil
		}
		for _, d := range docs {
			var sum billing.TaxSummary
			var buyer billing.Party
			if err := json.Unmarshal([]byte(d.Taxes), &sum); err != nil {
				return nil, 0, fmt.Errorf("document %d taxes: %w", d.ID, err)
			}
			if d.Buyer != "" {
				if err := json.Unmarshal([]byte(d.Buyer), &buyer); err != nil {
					return nil, 0, fmt.Errorf("document %d buyer: %w", d.ID, err)
				}
			}
			basis := cmp.Or(d.TaxBasis, sum.Decision.Basis)
			sign := int64(1)
			if d.Kind == billing.DocCreditNote {
				sign = -1
			}
			for _, t := range sum.Lines {
				out = append(out, supply{Basis: basis, Category: t.Category, Rate: normRate(t.Rate), Base: sign * t.Base, Tax: sign * t.Tax, Buyer: buyer})
			}
			n++
		}
		after = docs[len(docs)-1].ID
	}
}

// normRate writes a rate as tax keys do ("19.00" -> "19").
func normRate(r string) string {
	_, rate, _ := splitKey(billing.TaxKey("", r, ""))
	return rate
}

// VATReturn is what a VAT return needs for a period: domestic taxable
// amounts and VAT per rate, reverse-charge supplies per buyer country,
// supplies under OSS (declared in the OSS return), exempt and
// out-of-scope totals. Credit notes are deducted in the period they are
// issued.
type VATReturn struct {
	SellerID      int64          `json:"seller_id"`
	From          string         `json:"from"`
	To            string         `json:"to"`
	Currency      string         `json:"currency"`
	Documents     int            `json:"documents"`
	Domestic      []RateTotal    `json:"domestic"`
	ReverseCharge []CountryTotal `json:"reverse_charge"`
	OSS           RateTotal      `json:"oss"`
	Exempt        int64          `json:"exempt_minor"`
	OutsideScope  int64          `json:"outside_scope_minor"`
	// BadDebts corrects the taxable amounts and VAT of domestic supplies
	// written off as uncollectible in the period (Art. 90, § 17 UStG),
	// per rate, as negative amounts.
	BadDebts []RateTotal `json:"bad_debts"`
	TaxTotal int64       `json:"tax_minor"`
}

// RateTotal is a taxable amount and its VAT at a rate.
type RateTotal struct {
	Rate string `json:"rate"`
	Base int64  `json:"base_minor"`
	Tax  int64  `json:"tax_minor"`
}

// CountryTotal is a taxable amount in a country.
type CountryTotal struct {
	Country string `json:"country"`
	Base    int64  `json:"base_minor"`
}

// VATReturn sums a seller's documents of a period.
func (s *Service) VATReturn(ctx context.Context, scope tenancy.Scope, sellerID int64, in ReportInput) (VATReturn, error) {
	if _, err := s.bill.Seller(ctx, scope, sellerID); err != nil {
		return VATReturn{}, err
	}
	from, to, err := in.Months()
	if err != nil {
		return VATReturn{}, err
	}
	sup, n, err := s.supplies(ctx, sellerID, from, to, in.Currency)
	if err != nil {
		return VATReturn{}, err
	}
	out := VATReturn{SellerID: sellerID, From: from, To: to, Currency: in.Currency, Documents: n, Domestic: []RateTotal{}, ReverseCharge: []CountryTotal{}}
	rates, countries := map[string]*RateTotal{}, map[string]*CountryTotal{}
	for _, x := range sup {
		switch {
		case x.Basis == billing.BasisOSS:
			out.OSS.Base += x.Base
			out.OSS.Tax += x.Tax
			continue
		case x.Category == billing.CategoryReverseCharge:
			c := countries[x.Buyer.Country]
			if c == nil {
				c = &CountryTotal{Country: x.Buyer.Country}
				countries[x.Buyer.Country] = c
			}
			c.Base += x.Base
		case x.Category == billing.CategoryOutside:
			out.OutsideScope += x.Base
		case x.Category == billing.CategoryStandard:
			r := rates[x.Rate]
			if r == nil {
				r = &RateTotal{Rate: x.Rate}
				rates[x.Rate] = r
			}
			r.Base += x.Base
			r.Tax += x.Tax
			out.TaxTotal += x.Tax
		default: // E, Z and the rest: exempt
			out.Exempt += x.Base
		}
	}
	for _, k := range slices.Sorted(maps.Keys(rates)) {
		out.Domestic = append(out.Domestic, *rates[k])
	}
	if out.BadDebts, err = s.badDebts(ctx, sellerID, from, to, in.Currency); err != nil {
		return out, err
	}
	for _, b := range out.BadDebts {
		out.TaxTotal += b.Tax
	}
	for _, k := range slices.Sorted(maps.Keys(countries)) {
		out.ReverseCharge = append(out.ReverseCharge, *countries[k])
	}
	return out, nil
}

// badDebts sums the write-offs booked from..to of supplies taxed at home
// (category S, domestic or under the threshold) by rate, from the
// journal: the net to bad debts and the VAT taken back, negative.
func (s *Service) badDebts(ctx context.Context, sellerID int64, from, to, currency string) ([]RateTotal, error) {
	var rows []struct {
		Role   string
		TaxKey string
		Amount int64
	}
	err := s.db.Read(ctx).Raw(`SELECT l.role, l.tax_key, SUM(l.debit_minor - l.credit_minor) AS amount FROM journal_entries e
		JOIN journal_lines l ON l.entry_id = e.id WHERE e.seller_id = ? AND e.kind = ? AND e.currency = ? AND e.entry_date >= ? AND e.entry_date <= ?
		AND l.role IN ? GROUP BY l.role, l.tax_key`, sellerID, billing.EntryWriteOff, currency, from, to, []string{billing.RoleBadDebt, billing.RoleVAT}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("sum write-offs: %w", err)
	}
	by := map[string]*RateTotal{}
	for _, r := range rows {
		cat, rate, basis := splitKey(r.TaxKey)
		if cat != string(billing.CategoryStandard) || basis != billing.BasisDomestic && basis != billing.BasisUnderThreshold {
			continue
		}
		t := by[rate]
		if t == nil {
			t = &RateTotal{Rate: rate}
			by[rate] = t
		}
		if r.Role == billing.RoleVAT {
			t.Tax -= r.Amount
		} else {
			t.Base -= r.Amount
		}
	}
	out := []RateTotal{}
	for _, k := range slices.Sorted(maps.Keys(by)) {
		out = append(out, *by[k])
	}
	return out, nil
}

// OSSReturn is the OSS return of a quarter: per member state of
// consumption and rate, the taxable amount and VAT of supplies to
// consumers taxed there.
type OSSReturn struct {
	SellerID int64     `json:"seller_id"`
	Quarter  string    `json:"quarter"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Currency string    `json:"currency"`
	Rows     []OSSRow  `json:"rows"`
	Total    RateTotal `json:"total"`
}

// OSSRow is one member state and rate.
type OSSRow struct {
	Country string `json:"country"`
	Rate    string `json:"rate"`
	Base    int64  `json:"base_minor"`
	Tax     int64  `json:"tax_minor"`
}

// OSSReturn sums a seller's OSS supplies of a quarter by member state of
// consumption (the buyer's address as the territory rules place it) and
// rate.
func (s *Service) OSSReturn(ctx context.Context, scope tenancy.Scope, sellerID int64, in ReportInput) (OSSReturn, error) {
	seller, err := s.bill.Seller(ctx, scope, sellerID)
	if err != nil {
		return OSSReturn{}, err
	}
	if strings.TrimSpace(in.Quarter) == "" {
		return OSSReturn{}, core.Invalid("quarter", "must be a quarter as YYYY-Qn (2026-Q3): the OSS return is quarterly")
	}
	from, to, err := in.Months()
	if err != nil {
		return OSSReturn{}, err
	}
	sup, _, err := s.supplies(ctx, sellerID, from, to, in.Currency)
	if err != nil {
		return OSSReturn{}, err
	}
	out := OSSReturn{SellerID: sellerID, Quarter: strings.TrimSpace(in.Quarter), From: from, To: to, Currency: in.Currency, Rows: []OSSRow{}}
	by := map[[2]string]*OSSRow{}
	for _, x := range sup {
		if x.Basis != billing.BasisOSS {
			continue
		}
		c := billing.PlaceOf(x.Buyer.Country, x.Buyer.PostalCode, x.Buyer.Region, seller.Country).Country
		k := [2]string{c, x.Rate}
		r := by[k]
		if r == nil {
			r = &OSSRow{Country: c, Rate: x.Rate}
			by[k] = r
		}
		r.Base += x.Base
		r.Tax += x.Tax
		out.Total.Base += x.Base
		out.Total.Tax += x.Tax
	}
	for _, k := range slices.SortedFunc(maps.Keys(by), func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }) {
		out.Rows = append(out.Rows, *by[k])
	}
	return out, nil
}

// SalesList is the EU sales list (recapitulative statement, Art. 262):
// per buyer VAT id, the services supplied under reverse charge.
type SalesList struct {
	SellerID int64          `json:"seller_id"`
	From     string         `json:"from"`
	To       string         `json:"to"`
	Currency string         `json:"currency"`
	Rows     []SalesListRow `json:"rows"`
	Total    int64          `json:"total_minor"`
}

// SalesListRow is one buyer.
type SalesListRow struct {
	Country string `json:"country"` // the VAT id's prefix (EL for Greece)
	VATID   string `json:"vat_id"`
	Name    string `json:"name"`
	Base    int64  `json:"base_minor"`
}

// SalesList sums a seller's reverse-charge supplies of a period per
// buyer VAT id.
func (s *Service) SalesList(ctx context.Context, scope tenancy.Scope, sellerID int64, in ReportInput) (SalesList, error) {
	if _, err := s.bill.Seller(ctx, scope, sellerID); err != nil {
		return SalesList{}, err
	}
	from, to, err := in.Months()
	if err != nil {
		return SalesList{}, err
	}
	sup, _, err := s.supplies(ctx, sellerID, from, to, in.Currency)
	if err != nil {
		return SalesList{}, err
	}
	out := SalesList{SellerID: sellerID, From: from, To: to, Currency: in.Currency, Rows: []SalesListRow{}}
	by := map[string]*SalesListRow{}
	for _, x := range sup {
		if x.Category != billing.CategoryReverseCharge {
			continue
		}
		id := strings.ToUpper(strings.ReplaceAll(x.Buyer.VATID, " ", ""))
		r := by[id]
		if r == nil {
			r = &SalesListRow{Country: id[:min(2, len(id))], VATID: id, Name: x.Buyer.Name}
			by[id] = r
		}
		r.Base += x.Base
		out.Total += x.Base
	}
	for _, k := range slices.Sorted(maps.Keys(by)) {
		out.Rows = append(out.Rows, *by[k])
	}
	return out, nil
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// amount writes minor units as a decimal with a point ("1234.56").
func amount(n int64, cur string) string { return Amount(n, cur, '.') }

// Amount writes minor units in major units with the currency's decimals
// and the given separator ("1234,56"): what exports write, without
// decimal arithmetic per row.
func Amount(n int64, cur string, sep byte) string {
	e := int(money.Currency(cur).Exponent())
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	if e > 0 {
		if len(s) <= e {
			s = strings.Repeat("0", e-len(s)+1) + s
		}
		s = s[:len(s)-e] + string(sep) + s[len(s)-e:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// WriteCSV writes the VAT return as CSV: one row per figure.
func (r VATReturn) WriteCSV(w io.Writer) error {
	c := csv.NewWriter(w)
	_ = c.Write([]string{"section", "key", "base", "vat", "currency"})
	for _, x := range r.Domestic {
		_ = c.Write([]string{"domestic", x.Rate, amount(x.Base, r.Currency), amount(x.Tax, r.Currency), r.Currency})
	}
	for _, x := range r.ReverseCharge {
		_ = c.Write([]string{"reverse_charge", x.Country, amount(x.Base, r.Currency), "0", r.Currency})
	}
	_ = c.Write([]string{"oss", "", amount(r.OSS.Base, r.Currency), amount(r.OSS.Tax, r.Currency), r.Currency})
	_ = c.Write([]string{"exempt", "", amount(r.Exempt, r.Currency), "0", r.Currency})
	_ = c.Write([]string{"outside_scope", "", amount(r.OutsideScope, r.Currency), "0", r.Currency})
	for _, x := range r.BadDebts {
		_ = c.Write([]string{"bad_debts", x.Rate, amount(x.Base, r.Currency), amount(x.Tax, r.Currency), r.Currency})
	}
	_ = c.Write([]string{"total_vat", "", "", amount(r.TaxTotal, r.Currency), r.Currency})
	c.Flush()
	return c.Error()
}

// WriteCSV writes the OSS return as CSV.
func (r OSSReturn) WriteCSV(w io.Writer) error {
	c := csv.NewWriter(w)
	_ = c.Write([]string{"member_state", "rate", "base", "vat", "currency"})
	for _, x := range r.Rows {
		_ = c.Write([]string{x.Country, x.Rate, amount(x.Base, r.Currency), amount(x.Tax, r.Currency), r.Currency})
	}
	c.Flush()
	return c.Error()
}

// WriteCSV writes the EU sales list as CSV.
func (r SalesList) WriteCSV(w io.Writer) error {
	c := csv.NewWriter(w)
	_ = c.Write([]string{"country", "vat_id", "name", "services", "currency"})
	for _, x := range r.Rows {
		_ = c.Write([]string{x.Country, x.VATID, x.Name, amount(x.Base, r.Currency), r.Currency})
	}
	c.Flush()
	return c.Error()
}
