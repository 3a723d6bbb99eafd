package money

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

// edgy draws amounts where wrapping would happen: near the int64 limits,
// near ±MaxAmount, around zero, and anywhere.
func edgy(r *rand.Rand) int64 {
	off := r.Int64N(1000)
	switch r.IntN(7) {
	case 0:
		return math.MaxInt64 - off
	case 1:
		return math.MinInt64 + off
	case 2:
		return MaxAmount - 500 + off
	case 3:
		return -MaxAmount + 500 - off
	case 4:
		return off - 500
	case 5:
		return math.MaxInt64/2 + off - 500
	}
	return int64(r.Uint64())
}

func fits(b *big.Int) bool { return b.IsInt64() }

// TestNoSilentWrap checks money arithmetic near the int64 limits against
// exact big-integer arithmetic: every result is either exact or
// ErrOverflow (when the exact result does not fit), never a wrapped
// number.
func TestNoSilentWrap(t *testing.T) {
	r := rand.New(rand.NewPCG(20261201, 12))
	eur := func(a int64) Money { return Money{a, "EUR"} }
	check := func(op string, a, b int64, got int64, err error, exact *big.Int) {
		t.Helper()
		switch {
		case fits(exact) && err != nil:
			t.Fatalf("%s(%d, %d): exact %v fits, but error %v", op, a, b, exact, err)
		case fits(exact) && got != exact.Int64():
			t.Fatalf("%s(%d, %d) = %d, want %v", op, a, b, got, exact)
		case !fits(exact) && !errors.Is(err, ErrOverflow):
			t.Fatalf("%s(%d, %d) = %d, %v: exact %v overflows, want ErrOverflow", op, a, b, got, err, exact)
		}
	}
	for range 200_000 {
		a, b := edgy(r), edgy(r)
		ba, bb := big.NewInt(a), big.NewInt(b)
		sum := new(big.Int).Add(ba, bb)

		m, err := eur(a).Add(eur(b))
		check("Add", a, b, m.Amount, err, sum)
		s, err := Add64(a, b)
		check("Add64", a, b, s, err, sum)
		m, err = eur(a).Sub(eur(b))
		check("Sub", a, b, m.Amount, err, new(big.Int).Sub(ba, bb))
		s, err = Sum64(a, b)
		check("Sum64", a, b, s, err, sum)
		m, err = eur(a).Neg()
		check("Neg", a, 0, m.Amount, err, new(big.Int).Neg(ba))

		// Mul by a small integer factor (exact, so no rounding question).
		k := r.Int64N(5) - 2
		m, err = eur(a).Mul(decimal.NewFromInt(k), RoundHalfUp)
		check("Mul", a, k, m.Amount, err, new(big.Int).Mul(ba, big.NewInt(k)))

		// LineAmount in major units: a/100 EUR times k.
		m, err = LineAmount(decimal.New(a, -2), decimal.NewFromInt(k), "EUR", RoundLine)
		check("LineAmount", a, k, m.Amount, err, new(big.Int).Mul(ba, big.NewInt(k)))

		if err := eur(a).Check(); (err == nil) != (a <= MaxAmount && a >= -MaxAmount) {
			t.Fatalf("Check(%d) = %v", a, err)
		}
		if parts, err := eur(a).Allocate(1, 2, 3); err == nil {
			var total big.Int
			for _, p := range parts {
				total.Add(&total, big.NewInt(p.Amount))
			}
			if total.Cmp(ba) != 0 {
				t.Fatalf("Allocate(%d) parts sum to %v", a, &total)
			}
		} else if a != math.MinInt64 {
			t.Fatalf("Allocate(%d): %v", a, err)
		}
	}
}

func TestMaxima(t *testing.T) {
	if got := MaxOf("EUR"); got != "9999999999999.99 EUR" {
		t.Errorf("MaxOf(EUR) = %q", got)
	}
	if got := MaxOf("JPY"); got != "999999999999999 JPY" {
		t.Errorf("MaxOf(JPY) = %q", got)
	}
	if !MaxMajor("EUR").Equal(decimal.RequireFromString("9999999999999.99")) {
		t.Errorf("MaxMajor(EUR) = %v", MaxMajor("EUR"))
	}
	// 9,223 maximal amounts still sum exactly inside int64.
	if _, err := Sum64(sliceOf(9223, MaxAmount)...); err != nil {
		t.Errorf("sum of 9,223 maximal amounts: %v", err)
	}
	if _, err := Sum64(sliceOf(9224, MaxAmount)...); !errors.Is(err, ErrOverflow) {
		t.Errorf("sum of 9,224 maximal amounts: %v, want ErrOverflow", err)
	}
}

func sliceOf(n int, v int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = v
	}
	return out
}
