package money

import (
	"fmt"

	"github.com/shopspring/decimal"
)

// Rounding names how an exact decimal becomes whole minor units.
type Rounding int

// Rounding modes. RoundHalfUp is the commercial rounding of EN 16931 and of
// German, French, Italian and Danish accounting practice.
const (
	RoundHalfUp   Rounding = iota + 1 // half away from zero: 0.5 -> 1, -0.5 -> -1
	RoundHalfEven                     // banker's rounding: 0.5 -> 0, 1.5 -> 2
	RoundDown                         // toward zero (truncate)
	RoundUp                           // away from zero
)

// RoundLine is the rounding applied once per invoice line: unit price times
// quantity, rounded to the currency's minor unit.
const RoundLine = RoundHalfUp

func (r Rounding) String() string {
	switch r {
	case RoundHalfUp:
		return "half-up"
	case RoundHalfEven:
		return "half-even"
	case RoundDown:
		return "down"
	case RoundUp:
		return "up"
	}
	return fmt.Sprintf("Rounding(%d)", int(r))
}

// round returns d rounded to an integer by r.
func (r Rounding) round(d decimal.Decimal) (decimal.Decimal, error) {
	switch r {
	case RoundHalfUp:
		return d.Round(0), nil
	case RoundHalfEven:
		return d.RoundBank(0), nil
	case RoundDown:
		return d.Truncate(0), nil
	case RoundUp:
		return d.RoundUp(0), nil
	}
	return decimal.Decimal{}, fmt.Errorf("money: unknown rounding %d", int(r))
}
