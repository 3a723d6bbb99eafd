package money

import (
	"fmt"
	"math"

	"github.com/shopspring/decimal"
)

// The documented maxima. Every amount a user can enter (prices, setup
// fees, coupons, unit prices, credits) and every amount a document stores
// (line net, net, tax and total) stays within MaxAmount minor units;
// quantities stay below MaxQuantity. int64 holds about 9,223 times
// MaxAmount, so a sum of maximal amounts is still computed exactly (and
// then refused by Check): nothing ever wraps.
const (
	// MaxAmount is 10^15 - 1 minor units: 9,999,999,999,999.99 EUR.
	MaxAmount int64 = 999_999_999_999_999
	// MaxUnitDecimals is how many decimals a unit price may have (usage
	// rates such as 0.0004 EUR/GB).
	MaxUnitDecimals = 6
)

// MaxQuantity is the exclusive upper bound of a line quantity: 10^12.
var MaxQuantity = decimal.New(1, 12)

// Check returns an error naming the limit when m's magnitude exceeds
// MaxAmount.
func (m Money) Check() error {
	if m.Amount > MaxAmount || m.Amount < -MaxAmount {
		return fmt.Errorf("%w: at most %s", ErrOverflow, MaxOf(m.Currency))
	}
	return nil
}

// MaxOf is MaxAmount of currency c as text ("9999999999999.99 EUR").
func MaxOf(c Currency) string {
	if !c.Valid() {
		return fmt.Sprintf("%d minor units", MaxAmount)
	}
	return Money{Amount: MaxAmount, Currency: c}.String()
}

// MaxMajor is MaxAmount of currency c in major units, for checking a
// decimal before converting it.
func MaxMajor(c Currency) decimal.Decimal {
	return decimal.New(MaxAmount, -c.Exponent())
}

// Add64 adds two minor-unit amounts of one currency, reporting overflow
// instead of wrapping.
func Add64(a, b int64) (int64, error) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, ErrOverflow
	}
	return a + b, nil
}

// Sum64 adds minor-unit amounts of one currency, reporting overflow
// instead of wrapping.
func Sum64(amounts ...int64) (int64, error) {
	var s int64
	for _, a := range amounts {
		var err error
		if s, err = Add64(s, a); err != nil {
			return 0, err
		}
	}
	return s, nil
}
