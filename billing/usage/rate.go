package usage

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
	"faktura/panel/core/money"
)

// Pricing models for usage above the included quantity.
const (
	ModelPerUnit   = "per_unit"  // every unit at one price
	ModelGraduated = "graduated" // each tier's units at that tier's price
	ModelVolume    = "volume"    // all units at the price of the tier the total falls in
	ModelPackage   = "package"   // per started package (e.g. per started 10 GB)
)

// Models lists them.
var Models = []string{ModelPerUnit, ModelGraduated, ModelVolume, ModelPackage}

// Tier is a range of priced units: up to and including UpTo (0 is no
// limit), at UnitPrice each.
type Tier struct {
	UpTo      int64  `json:"up_to"`
	UnitPrice string `json:"unit_price"`
}

// Price is how a product prices a meter's usage in a period.
type Price struct {
	Meter    string `json:"meter"`
	Currency string `json:"currency"`
	Model    string `json:"model"`
	// Included is the quantity of the meter's unit each period includes
	// (for disk and traffic, the package's quota unless set).
	Included int64 `json:"included"`
	// Per is how many of the meter's units one priced unit is (1e9 bytes
	// for a price per GB); 1 when zero.
	Per       int64  `json:"per"`
	UnitName  string `json:"unit_name"`  // the priced unit as the invoice names it ("GB")
	UnitPrice string `json:"unit_price"` // per priced unit, up to 6 decimals (per_unit)
	Tiers     []Tier `json:"tiers,omitempty"`
	Package   int64  `json:"package"` // priced units per package (package)
	// PackagePrice is the price of one started package.
	PackagePrice string `json:"package_price"`
}

// Rated is one overage line: its quantity of priced units, unit price and
// amount, rounded once (money.LineAmount).
type Rated struct {
	Description string          `json:"description"`
	Quantity    decimal.Decimal `json:"quantity"`
	UnitPrice   decimal.Decimal `json:"unit_price"`
	AmountMinor int64           `json:"amount_minor"`
}

// Validate reports every problem of a price.
func (p *Price) Validate(prefix string) error {
	var v core.ValidationError
	if _, err := money.ParseCurrency(p.Currency); err != nil {
		v.Addf(prefix+"currency", "%q is not an ISO 4217 currency code", p.Currency)
	}
	if p.Included < 0 {
		v.Add(prefix+"included", "must not be negative")
	}
	if p.Per < 0 {
		v.Add(prefix+"per", "must not be negative")
	}
	price := func(field, s string) {
		d, err := decimal.NewFromString(strings.TrimSpace(s))
		switch {
		case err != nil:
			v.Addf(prefix+field, "%q is not a price", s)
		case d.IsNegative():
			v.Add(prefix+field, "must not be negative")
		case -d.Exponent() > 6:
			v.Add(prefix+field, "has more than 6 decimals")
		}
	}
	switch p.Model {
	case ModelPerUnit:
		price("unit_price", p.UnitPrice)
	case ModelGraduated, ModelVolume:
		if len(p.Tiers) == 0 {
			v.Add(prefix+"tiers", "at least one tier is required")
		}
		var last int64
		for i, t := range p.Tiers {
			f := fmt.Sprintf("tiers.%d.", i)
			price(f+"unit_price", t.UnitPrice)
			switch {
			case t.UpTo == 0 && i != len(p.Tiers)-1:
				v.Add(prefix+f+"up_to", "only the last tier may have no limit")
			case t.UpTo != 0 && t.UpTo <= last:
				v.Add(prefix+f+"up_to", "must be above the tier before")
			case t.UpTo < 0:
				v.Add(prefix+f+"up_to", "must not be negative")
			}
			last = t.UpTo
		}
		if n := len(p.Tiers); n > 0 && p.Tiers[n-1].UpTo != 0 {
			v.Add(prefix+fmt.Sprintf("tiers.%d.up_to", n-1), "the last tier must have no limit (0)")
		}
	case ModelPackage:
		if p.Package <= 0 {
			v.Add(prefix+"package", "must be the number of priced units in a package")
		}
		price("package_price", p.PackagePrice)
	default:
		v.Addf(prefix+"model", "must be one of %s", strings.Join(Models, ", "))
	}
	return v.Err()
}

// Rate prices a period's quantity (in the meter's unit) above what it
// includes. Each line is rounded once; no usage above the included
// quantity gives no line.
func Rate(p Price, quantity int64) ([]Rated, error) {
	if err := p.Validate(""); err != nil {
		return nil, err
	}
	cur := money.Currency(p.Currency)
	over := quantity - p.Included
	if over <= 0 {
		return nil, nil
	}
	per := max(p.Per, 1)
	units := decimal.NewFromInt(over).Div(decimal.NewFromInt(per)) // priced units, exact to 16 places
	name := p.UnitName
	line := func(desc string, qty, price decimal.Decimal) (Rated, error) {
		m, err := money.LineAmount(price, qty, cur, money.RoundLine)
		if err != nil {
			return Rated{}, err
		}
		return Rated{Description: desc, Quantity: qty, UnitPrice: price, AmountMinor: m.Amount}, nil
	}
	var out []Rated
	switch p.Model {
	case ModelPerUnit:
		r, err := line(name, units, decimal.RequireFromString(p.UnitPrice))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	case ModelVolume:
		t := p.Tiers[len(p.Tiers)-1]
		for _, x := range p.Tiers {
			if x.UpTo != 0 && units.LessThanOrEqual(decimal.NewFromInt(x.UpTo)) {
				t = x
				break
			}
		}
		r, err := line(name, units, decimal.RequireFromString(t.UnitPrice))
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	case ModelGraduated:
		from := decimal.Zero
		for _, t := range p.Tiers {
			to := units
			if t.UpTo != 0 && decimal.NewFromInt(t.UpTo).LessThan(units) {
				to = decimal.NewFromInt(t.UpTo)
			}
			if !to.GreaterThan(from) {
				break
			}
			desc := fmt.Sprintf("%s %s-%s", name, from.String(), to.String())
			r, err := line(desc, to.Sub(from), decimal.RequireFromString(t.UnitPrice))
			if err != nil {
				return nil, err
			}
			out = append(out, r)
			from = to
		}
	case ModelPackage:
		pk := decimal.NewFromInt(p.Package)
		n := units.Div(pk).Ceil()
		r, err := line(fmt.Sprintf("%s × %d %s", name, p.Package, "packages"), n, decimal.RequireFromString(p.PackagePrice))
		if err != nil {
			return nil, err
		}
		r.Description = fmt.Sprintf("per started %d %s", p.Package, name)
		out = append(out, r)
	}
	return out, nil
}

// IncludedOver weighs included quantities by the days each applied in a
// period (a package changed mid-period), rounded half up to a whole unit.
func IncludedOver(segments []Segment) int64 {
	var days int
	sum := decimal.Zero
	for _, s := range segments {
		days += s.Days
		sum = sum.Add(decimal.NewFromInt(s.Included).Mul(decimal.NewFromInt(int64(s.Days))))
	}
	if days == 0 {
		return 0
	}
	return sum.Div(decimal.NewFromInt(int64(days))).Round(0).IntPart()
}

// Segment is a part of a period with its own included quantity.
type Segment struct {
	Days     int
	Included int64
}
