package money

import (
	"errors"
	"math"
	"testing"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestParseCurrency(t *testing.T) {
	cases := []struct {
		in      string
		want    Currency
		exp     int32
		wantErr bool
	}{
		{"EUR", "EUR", 2, false},
		{"eur", "EUR", 2, false},
		{"JPY", "JPY", 0, false},
		{"BHD", "BHD", 3, false},
		{"DKK", "DKK", 2, false},
		{"XXX", "", 0, true},
		{"", "", 0, true},
		{"EURO", "", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseCurrency(tc.in)
			if tc.wantErr {
				if !errors.Is(err, core.ErrInvalid) {
					t.Fatalf("ParseCurrency(%q) error = %v, want ErrInvalid", tc.in, err)
				}
				return
			}
			if err != nil || got != tc.want || got.Exponent() != tc.exp {
				t.Fatalf("ParseCurrency(%q) = %q (exp %d), %v; want %q (exp %d)", tc.in, got, got.Exponent(), err, tc.want, tc.exp)
			}
		})
	}
}

func TestLineAmount(t *testing.T) {
	cases := []struct {
		name       string
		price, qty string
		cur        Currency
		r          Rounding
		want       int64
	}{
		{"simple", "9.99", "3", "EUR", RoundLine, 2997},
		{"sub-cent rate", "0.0004", "123456.5", "EUR", RoundLine, 4938},     // 49.3826 -> 49.38
		{"half up positive", "0.125", "1", "EUR", RoundHalfUp, 13},          // 12.5 -> 13
		{"half up negative", "-0.125", "1", "EUR", RoundHalfUp, -13},        // away from zero
		{"half even", "0.125", "1", "EUR", RoundHalfEven, 12},               // 12.5 -> 12
		{"half even odd", "0.135", "1", "EUR", RoundHalfEven, 14},           // 13.5 -> 14
		{"down", "0.019999", "1", "EUR", RoundDown, 1},                      // 1.9999 -> 1
		{"up", "0.010001", "1", "EUR", RoundUp, 2},                          // 1.0001 -> 2
		{"yen has no minor unit", "1234.5", "1", "JPY", RoundHalfUp, 1235},  // exponent 0
		{"dinar has three", "1.2345", "2", "BHD", RoundHalfUp, 2469},        // 2.469
		{"fractional quantity", "12.00", "0.333333", "EUR", RoundLine, 400}, // 3.999996 -> 4.00
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LineAmount(dec(tc.price), dec(tc.qty), tc.cur, tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if got.Amount != tc.want || got.Currency != tc.cur {
				t.Errorf("LineAmount(%s x %s %s, %v) = %v, want %d minor", tc.price, tc.qty, tc.cur, tc.r, got, tc.want)
			}
		})
	}
}

func TestArithmetic(t *testing.T) {
	eur := func(a int64) Money { return Money{a, "EUR"} }
	if got, err := eur(150).Add(eur(-200)); err != nil || got != eur(-50) {
		t.Errorf("Add = %v, %v; want -0.50 EUR", got, err)
	}
	if got, err := eur(150).Sub(eur(50)); err != nil || got != eur(100) {
		t.Errorf("Sub = %v, %v; want 1.00 EUR", got, err)
	}
	if _, err := eur(1).Add(Money{1, "USD"}); !errors.Is(err, ErrCurrencyMismatch) || !errors.Is(err, core.ErrInvalid) {
		t.Errorf("Add EUR+USD error = %v, want ErrCurrencyMismatch (ErrInvalid)", err)
	}
	if _, err := (Money{}).Add(Money{}); !errors.Is(err, ErrCurrencyMismatch) {
		t.Errorf("Add on zero Money error = %v, want ErrCurrencyMismatch", err)
	}
	if _, err := eur(math.MaxInt64).Add(eur(1)); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflowing Add error = %v, want ErrOverflow", err)
	}
	if _, err := eur(math.MinInt64).Add(eur(-1)); !errors.Is(err, ErrOverflow) {
		t.Errorf("underflowing Add error = %v, want ErrOverflow", err)
	}
	if got, err := eur(1000).Mul(dec("0.19"), RoundHalfUp); err != nil || got != eur(190) {
		t.Errorf("Mul = %v, %v; want 1.90 EUR", got, err)
	}
	if _, err := eur(math.MaxInt64).Mul(dec("2"), RoundHalfUp); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflowing Mul error = %v, want ErrOverflow", err)
	}
	if got, err := Sum("EUR", eur(1), eur(2), eur(3)); err != nil || got != eur(6) {
		t.Errorf("Sum = %v, %v; want 0.06 EUR", got, err)
	}
	if got := (Money{-5, "EUR"}).String(); got != "-0.05 EUR" {
		t.Errorf("String = %q", got)
	}
	if got := (Money{1500, "JPY"}).String(); got != "1500 JPY" {
		t.Errorf("String = %q", got)
	}
}

func TestAllocate(t *testing.T) {
	cases := []struct {
		name    string
		amount  int64
		weights []int64
		want    []int64
	}{
		{"even thirds", 100, []int64{1, 1, 1}, []int64{34, 33, 33}},
		{"weighted", 1000, []int64{1, 2, 3}, []int64{167, 333, 500}},
		{"largest remainder wins", 10, []int64{3, 3, 4}, []int64{3, 3, 4}},
		{"negative amount", -100, []int64{1, 1, 1}, []int64{-34, -33, -33}},
		{"zero weight gets nothing", 7, []int64{0, 1, 1}, []int64{0, 4, 3}},
		{"days of a month", 3100, []int64{10, 21}, []int64{1000, 2100}},
		{"huge weights", 1, []int64{math.MaxInt64, math.MaxInt64}, []int64{1, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parts, err := Money{tc.amount, "EUR"}.Allocate(tc.weights...)
			if err != nil {
				t.Fatal(err)
			}
			var sum int64
			for i, p := range parts {
				sum += p.Amount
				if p.Amount != tc.want[i] || p.Currency != "EUR" {
					t.Errorf("part %d = %v, want %d", i, p, tc.want[i])
				}
			}
			if sum != tc.amount {
				t.Errorf("parts sum to %d, want %d", sum, tc.amount)
			}
		})
	}
	for _, bad := range [][]int64{nil, {0, 0}, {1, -1}} {
		if _, err := (Money{1, "EUR"}).Allocate(bad...); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Allocate(%v) error = %v, want ErrInvalid", bad, err)
		}
	}
}

func FuzzAllocateSumsToWhole(f *testing.F) {
	f.Add(int64(100), int64(1), int64(2), int64(3))
	f.Fuzz(func(t *testing.T, amount, a, b, c int64) {
		if a < 0 || b < 0 || c < 0 || a+b+c <= 0 || a+b+c < a {
			return
		}
		parts, err := Money{amount, "EUR"}.Allocate(a, b, c)
		if err != nil {
			t.Fatal(err)
		}
		s := parts[0].Amount + parts[1].Amount + parts[2].Amount
		if s != amount {
			t.Fatalf("parts %v sum to %d, want %d", parts, s, amount)
		}
	})
}
