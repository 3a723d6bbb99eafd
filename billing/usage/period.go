package usage

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/money"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

// priceRow is a stored usage price.
type priceRow struct {
	ID           int64
	ProductID    int64
	Meter        string
	Currency     string
	Model        string
	Included     int64
	Per          int64
	UnitName     string
	UnitPrice    string
	Tiers        string
	Package      int64
	PackagePrice string
	CreatedAt    time.Time
}

func (priceRow) TableName() string { return "product_usage_prices" }

func (r priceRow) price() Price {
	p := Price{Meter: r.Meter, Currency: r.Currency, Model: r.Model, Included: r.Included, Per: r.Per, UnitName: r.UnitName,
		UnitPrice: r.UnitPrice, Package: r.Package, PackagePrice: r.PackagePrice}
	_ = json.Unmarshal([]byte(r.Tiers), &p.Tiers)
	return p
}

// Prices lists a product's usage prices; the product must be the
// caller's or visible to it.
func (s *Service) Prices(ctx context.Context, scope tenancy.Scope, productID int64) ([]Price, error) {
	if err := s.ownProduct(ctx, scope, productID); err != nil {
		return nil, err
	}
	var rows []priceRow
	if err := s.db.Read(ctx).Where("product_id = ?", productID).Order("meter, currency").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("usage prices of product %d: %w", productID, err)
	}
	out := make([]Price, len(rows))
	for i, r := range rows {
		out[i] = r.price()
	}
	return out, nil
}

// ownProduct checks the caller sells the product.
func (s *Service) ownProduct(ctx context.Context, scope tenancy.Scope, productID int64) error {
	var seller []int64
	if err := s.db.Read(ctx).Table("products").Where("id = ?", productID).Pluck("seller_id", &seller).Error; err != nil {
		return fmt.Errorf("product %d: %w", productID, err)
	}
	if len(seller) == 0 || seller[0] != scope.TenantID {
		return core.E(core.ErrNotFound, "product %d not found among yours", productID)
	}
	return nil
}

// SetPrices replaces a product's usage prices: each names a meter of the
// seller's, once per currency.
func (s *Service) SetPrices(ctx context.Context, scope tenancy.Scope, productID int64, in []Price) ([]Price, error) {
	if err := s.ownProduct(ctx, scope, productID); err != nil {
		return nil, err
	}
	ms, err := s.Meters(ctx, scope)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, m := range ms {
		known[m.Code] = true
	}
	var v core.ValidationError
	seen := map[string]int{}
	for i := range in {
		p := &in[i]
		f := "prices." + strconv.Itoa(i) + "."
		p.Currency = strings.ToUpper(strings.TrimSpace(p.Currency))
		if err := p.Validate(f); err != nil {
			if ve, ok := err.(*core.ValidationError); ok {
				for k, msg := range ve.Fields {
					v.Add(k, msg)
				}
			}
		}
		if !known[p.Meter] {
			v.Addf(f+"meter", "unknown meter %q", p.Meter)
		}
		k := p.Meter + "/" + p.Currency
		if j, ok := seen[k]; ok {
			v.Addf(f+"meter", "price %d has the same meter and currency", j)
		}
		seen[k] = i
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Where("product_id = ?", productID).Delete(&priceRow{}).Error; err != nil {
			return fmt.Errorf("replace usage prices: %w", err)
		}
		for _, p := range in {
			tiers, _ := json.Marshal(p.Tiers)
			if p.Tiers == nil {
				tiers = []byte("[]")
			}
			r := priceRow{ProductID: productID, Meter: p.Meter, Currency: p.Currency, Model: p.Model, Included: p.Included, Per: max(p.Per, 1),
				UnitName: p.UnitName, UnitPrice: p.UnitPrice, Tiers: string(tiers), Package: p.Package, PackagePrice: p.PackagePrice, CreatedAt: now}
			if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
				return fmt.Errorf("store usage price: %w", err)
			}
		}
		return s.audit.Record(ctx, audit.Entry{Action: "usage.prices.set", ObjectType: "product", ObjectID: strconv.FormatInt(productID, 10),
			TenantID: scope.TenantID, TenantPath: scope.Path, After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.Prices(ctx, scope, productID)
}

// due is a billed period of a contract with a usage price, not rated yet.
type due struct {
	ContractID  int64
	SellerID    int64
	SubjectKind string
	SubjectID   int64
	Currency    string
	PeriodStart string
	PeriodEnd   string
	ProductID   int64
}

// RatePeriods rates every billed period that ended at least the grace
// window before day and is not rated yet: per usage price of the
// contract's product, the period's quantity of the meter (aggregated as
// the meter says) above what it includes becomes charges on the
// contract's next invoice. The usage_ratings row, unique per contract,
// meter and period, is written in the same transaction as the charges,
// so a period is rated once, whatever runs at once or again.
func (s *Service) RatePeriods(ctx context.Context, day billing.Date) (int, error) {
	grace, err := settings.Get(ctx, s.settings, GraceDays, settings.Scope{})
	if err != nil {
		return 0, err
	}
	closed := billing.AddDays(day, -grace.Value).String()
	var dues []due
	err = s.db.Read(ctx).Table("billed_periods bp").
		Select("c.id AS contract_id, c.seller_id, c.subject_kind, c.subject_id, c.currency, bp.period_start, bp.period_end, c.product_id").
		Joins("JOIN contracts c ON c.id = bp.contract_id").
		Where("bp.period_end <= ? AND EXISTS (SELECT 1 FROM product_usage_prices p WHERE p.product_id = c.product_id AND p.currency = c.currency)", closed).
		Where("NOT EXISTS (SELECT 1 FROM usage_ratings r WHERE r.contract_id = c.id AND r.period_start = bp.period_start)").
		Order("c.id, bp.period_start").Find(&dues).Error
	if err != nil {
		return 0, fmt.Errorf("periods to rate: %w", err)
	}
	rated := 0
	for _, d := range dues {
		n, err := s.ratePeriod(ctx, d)
		if err != nil {
			return rated, fmt.Errorf("rate contract %d from %s: %w", d.ContractID, d.PeriodStart, err)
		}
		rated += n
	}
	return rated, nil
}

// ratingRow records a rated (contract, meter, period).
type ratingRow struct {
	ContractID  int64
	Meter       string
	PeriodStart string
	PeriodEnd   string
	Quantity    int64
	Included    int64
	AmountMinor int64
	CreatedAt   time.Time
}

func (ratingRow) TableName() string { return "usage_ratings" }

func (s *Service) ratePeriod(ctx context.Context, d due) (int, error) {
	var rows []priceRow
	if err := s.db.Read(ctx).Where("product_id = ? AND currency = ?", d.ProductID, d.Currency).Find(&rows).Error; err != nil {
		return 0, err
	}
	start, err := billing.ParseDay("period_start", d.PeriodStart)
	if err != nil {
		return 0, err
	}
	end, err := billing.ParseDay("period_end", d.PeriodEnd)
	if err != nil {
		return 0, err
	}
	from, to := start.In(time.UTC), end.In(time.UTC)
	n := 0
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		for _, r := range rows {
			p := r.price()
			if err := s.quotaIncluded(ctx, &p, d); err != nil {
				return err
			}
			var m Meter
			if err := s.db.Conn(ctx).Where("seller_id = ? AND code = ?", d.SellerID, p.Meter).Take(&m).Error; err != nil {
				return fmt.Errorf("meter %q of seller %d: %w", p.Meter, d.SellerID, err)
			}
			qty, err := s.Quantity(ctx, m, d.SubjectKind, d.SubjectID, d.ContractID, from, to)
			if err != nil {
				return err
			}
			lines, err := Rate(p, qty)
			if err != nil {
				return err
			}
			var amount int64
			for _, l := range lines {
				if amount, err = money.Add64(amount, l.AmountMinor); err != nil {
					return err
				}
			}
			now := s.now()
			res := s.insertNew(ctx).Create(&ratingRow{ContractID: d.ContractID, Meter: p.Meter, PeriodStart: d.PeriodStart, PeriodEnd: d.PeriodEnd,
				Quantity: qty, Included: p.Included, AmountMinor: amount, CreatedAt: now})
			if res.Error != nil {
				return fmt.Errorf("record rating: %w", res.Error)
			}
			if res.RowsAffected == 0 {
				continue // rated meanwhile
			}
			n++
			for i, l := range lines {
				ch := billing.Charge{ContractID: d.ContractID, Kind: billing.ChargeUsage, Description: describe(m, p, l, d),
					AmountMinor: l.AmountMinor, Currency: d.Currency, PeriodStart: d.PeriodStart, PeriodEnd: d.PeriodEnd,
					ChargeKey: fmt.Sprintf("usage:%d:%s:%s:%d", d.ContractID, p.Meter, d.PeriodStart, i),
					Quantity:  l.Quantity.Round(6).String(), Unit: unitOf(m, p), UnitPrice: l.UnitPrice.String(), CreatedAt: now}
				if ch.AmountMinor == 0 {
					continue
				}
				if err := s.db.Conn(ctx).Create(&ch).Error; err != nil {
					return fmt.Errorf("usage charge: %w", err)
				}
			}
		}
		return nil
	})
	return n, err
}

// quotaIncluded makes an account's package quota the included quantity of
// a traffic or disk price that sets none (MB of 1,000,000 bytes).
func (s *Service) quotaIncluded(ctx context.Context, p *Price, d due) error {
	col := map[string]string{MeterTraffic: "traffic_mb", MeterDisk: "disk_mb"}[p.Meter]
	if p.Included != 0 || col == "" || d.SubjectKind != SubjectAccount {
		return nil
	}
	var mb []int64
	if err := s.db.Conn(ctx).Table("accounts").Where("id = ?", d.SubjectID).Pluck(col, &mb).Error; err != nil {
		return fmt.Errorf("quota of account %d: %w", d.SubjectID, err)
	}
	if len(mb) == 1 && mb[0] > 0 {
		p.Included = mb[0] * 1_000_000
	}
	return nil
}

// unitOf is what an overage line's quantity counts: the price's unit, or
// the meter's; packages count pieces.
func unitOf(m Meter, p Price) string {
	if p.Model == ModelPackage {
		return ""
	}
	if p.UnitName != "" {
		return p.UnitName
	}
	return m.Unit
}

// describe is an overage line's text: the meter, the included quantity
// and the priced unit.
func describe(m Meter, p Price, l Rated, d due) string {
	per := decimal.NewFromInt(max(p.Per, 1))
	inc := decimal.NewFromInt(p.Included).Div(per).Round(3)
	unit := p.UnitName
	if unit == "" {
		unit = m.Unit
	}
	return fmt.Sprintf("%s over %s %s (%s)", m.Name, inc.String(), unit, cmp.Or(l.Description, unit))
}

// Quantity aggregates a meter's events for a contract's subject in
// [from, to): the sum, the maximum, the last value, or the time-weighted
// average of the samples (each holds until the next, the last until the
// end; the time before the first sample counts as zero).
func (s *Service) Quantity(ctx context.Context, m Meter, subjectKind string, subjectID, contractID int64, from, to time.Time) (int64, error) {
	q := s.db.Read(ctx).Model(&Event{}).Where("meter_id = ? AND occurred_at >= ? AND occurred_at < ?", m.ID, from, to).
		Where("(subject_kind = ? AND subject_id = ?) OR (subject_kind = ? AND subject_id = ?)", subjectKind, subjectID, SubjectContract, contractID)
	var out int64
	switch m.Aggregation {
	case AggSum:
		err := q.Select("COALESCE(SUM(quantity), 0)").Scan(&out).Error
		return out, err
	case AggMax:
		err := q.Select("COALESCE(MAX(quantity), 0)").Scan(&out).Error
		return out, err
	case AggLast:
		var evs []Event
		err := q.Order("occurred_at DESC, id DESC").Limit(1).Find(&evs).Error
		if err != nil || len(evs) == 0 {
			return 0, err
		}
		return evs[0].Quantity, nil
	case AggTWA:
		var evs []Event
		if err := q.Order("occurred_at, id").Find(&evs).Error; err != nil {
			return 0, err
		}
		return TimeWeighted(evs, from, to), nil
	}
	return 0, fmt.Errorf("meter %q has unknown aggregation %q", m.Code, m.Aggregation)
}

// TimeWeighted is the time-weighted average of samples over [from, to),
// rounded half up to a whole unit.
func TimeWeighted(evs []Event, from, to time.Time) int64 {
	total := to.Sub(from)
	if total <= 0 || len(evs) == 0 {
		return 0
	}
	sum := decimal.Zero
	for i, e := range evs {
		next := to
		if i+1 < len(evs) {
			next = evs[i+1].OccurredAt
		}
		span := next.Sub(maxTime(e.OccurredAt, from))
		if span > 0 {
			sum = sum.Add(decimal.NewFromInt(e.Quantity).Mul(decimal.NewFromInt(int64(span / time.Millisecond))))
		}
	}
	return sum.Div(decimal.NewFromInt(int64(total / time.Millisecond))).Round(0).IntPart()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// RateStep rates closed periods before the invoice run, so their overage
// lands on the next invoice.
type RateStep struct{ S *Service }

// Name implements automation.Step.
func (RateStep) Name() string { return "usage.rate" }

// DryRunSafe implements automation.DryRunner: it only touches the
// database, in the transaction of its context.
func (RateStep) DryRunSafe() {}

// Run implements automation.Step.
func (st RateStep) Run(ctx context.Context, day core.Date) (map[string]int64, error) {
	n, err := st.S.RatePeriods(ctx, day)
	return map[string]int64{"periods_rated": int64(n)}, err
}
