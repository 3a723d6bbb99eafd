package money

import (
	"fmt"
	"math"
	"math/big"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
)

// ErrCurrencyMismatch is returned by arithmetic on two currencies.
var ErrCurrencyMismatch = fmt.Errorf("currency mismatch: %w", core.ErrInvalid)

// ErrOverflow is returned when a result does not fit in int64 minor units.
var ErrOverflow = fmt.Errorf("amount out of range: %w", core.ErrInvalid)

// Money is an amount in integer minor units of a currency: {1999, "EUR"} is
// 19.99 EUR. The zero Money has no currency and is invalid for arithmetic.
type Money struct {
	Amount   int64    `json:"amount_minor"`
	Currency Currency `json:"currency"`
}

// New returns amount minor units of the currency code.
func New(amount int64, code string) (Money, error) {
	c, err := ParseCurrency(code)
	if err != nil {
		return Money{}, err
	}
	return Money{Amount: amount, Currency: c}, nil
}

// Zero returns zero in currency c.
func Zero(c Currency) Money { return Money{Currency: c} }

// FromDecimal converts an amount in major units (e.g. 12.345 EUR) to Money,
// rounding to minor units with r.
func FromDecimal(major decimal.Decimal, c Currency, r Rounding) (Money, error) {
	if !c.Valid() {
		return Money{}, core.E(core.ErrInvalid, "unknown currency %q", string(c))
	}
	minor, err := r.round(major.Shift(c.Exponent()))
	if err != nil {
		return Money{}, err
	}
	return fromDecimalMinor(minor, c)
}

// LineAmount is unit price (major units, up to any number of decimals, e.g.
// 0.0004 EUR/GB) times quantity, rounded once to minor units with r. This is
// the one place an invoice line amount gets rounded.
func LineAmount(unitPrice, quantity decimal.Decimal, c Currency, r Rounding) (Money, error) {
	return FromDecimal(unitPrice.Mul(quantity), c, r)
}

func fromDecimalMinor(minor decimal.Decimal, c Currency) (Money, error) {
	bi := minor.BigInt()
	if !bi.IsInt64() {
		return Money{}, ErrOverflow
	}
	return Money{Amount: bi.Int64(), Currency: c}, nil
}

// Decimal returns m in major units, exactly.
func (m Money) Decimal() decimal.Decimal {
	return decimal.New(m.Amount, -m.Currency.Exponent())
}

// String formats m as "12.34 EUR" (locale-neutral; documents format per locale).
func (m Money) String() string {
	if !m.Currency.Valid() {
		return fmt.Sprintf("%d ???", m.Amount)
	}
	return m.Decimal().StringFixed(m.Currency.Exponent()) + " " + string(m.Currency)
}

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount == 0 }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.Amount < 0 }

func (m Money) same(o Money) error {
	if !m.Currency.Valid() || m.Currency != o.Currency {
		return fmt.Errorf("%s and %s: %w", m.Currency, o.Currency, ErrCurrencyMismatch)
	}
	return nil
}

// Add returns m + o; both must be in the same currency.
func (m Money) Add(o Money) (Money, error) {
	if err := m.same(o); err != nil {
		return Money{}, err
	}
	s, err := Add64(m.Amount, o.Amount)
	if err != nil {
		return Money{}, err
	}
	return Money{Amount: s, Currency: m.Currency}, nil
}

// Sub returns m - o; both must be in the same currency.
func (m Money) Sub(o Money) (Money, error) {
	if err := m.same(o); err != nil {
		return Money{}, err
	}
	if (o.Amount < 0 && m.Amount > math.MaxInt64+o.Amount) || (o.Amount > 0 && m.Amount < math.MinInt64+o.Amount) {
		return Money{}, ErrOverflow
	}
	return Money{Amount: m.Amount - o.Amount, Currency: m.Currency}, nil
}

// Neg returns -m. The most negative int64 has no positive twin, so that
// one is ErrOverflow.
func (m Money) Neg() (Money, error) {
	if m.Amount == math.MinInt64 {
		return Money{}, ErrOverflow
	}
	return Money{Amount: -m.Amount, Currency: m.Currency}, nil
}

// Mul returns m times an exact decimal quantity, rounded to minor units
// with r.
func (m Money) Mul(q decimal.Decimal, r Rounding) (Money, error) {
	if !m.Currency.Valid() {
		return Money{}, core.E(core.ErrInvalid, "unknown currency %q", string(m.Currency))
	}
	minor, err := r.round(decimal.NewFromInt(m.Amount).Mul(q))
	if err != nil {
		return Money{}, err
	}
	return fromDecimalMinor(minor, m.Currency)
}

// Sum adds amounts of one currency; an empty list sums to zero in c.
func Sum(c Currency, amounts ...Money) (Money, error) {
	total := Zero(c)
	for _, a := range amounts {
		var err error
		if total, err = total.Add(a); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}

// Allocate splits m into len(weights) parts proportional to the weights by
// the largest-remainder method: every part is rounded toward zero, then the
// leftover minor units go one each to the parts with the largest remainders
// (earlier parts first on ties). The parts always add up to m exactly.
func (m Money) Allocate(weights ...int64) ([]Money, error) {
	if len(weights) == 0 {
		return nil, core.E(core.ErrInvalid, "allocate: no weights")
	}
	total := new(big.Int)
	for i, w := range weights {
		if w < 0 {
			return nil, core.E(core.ErrInvalid, "allocate: weight %d is negative", i)
		}
		total.Add(total, big.NewInt(w))
	}
	if total.Sign() == 0 {
		return nil, core.E(core.ErrInvalid, "allocate: weights sum to zero")
	}
	if m.Amount == math.MinInt64 {
		return nil, ErrOverflow
	}
	sign, abs := int64(1), new(big.Int).SetInt64(m.Amount)
	if abs.Sign() < 0 {
		sign = -1
		abs.Neg(abs)
	}
	parts := make([]Money, len(weights))
	rems := make([]*big.Int, len(weights))
	left := new(big.Int).Set(abs)
	for i, w := range weights {
		q, r := new(big.Int).QuoRem(new(big.Int).Mul(abs, big.NewInt(w)), total, new(big.Int))
		parts[i] = Money{Amount: q.Int64(), Currency: m.Currency}
		rems[i] = r
		left.Sub(left, q)
	}
	for n := left.Int64(); n > 0; n-- {
		best := -1
		for i, r := range rems {
			if r.Sign() > 0 && (best < 0 || r.Cmp(rems[best]) > 0) {
				best = i
			}
		}
		parts[best].Amount++
		rems[best] = new(big.Int)
	}
	for i := range parts {
		parts[i].Amount *= sign
	}
	return parts, nil
}
