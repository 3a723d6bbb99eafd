package dunning_test

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"faktura/billing/dunning"
	"faktura/panel/core/money"
)

// TestParseSchedule: the stored form reads back to itself, and every
// malformed schedule is refused naming its step and the problem.
func TestParseSchedule(t *testing.T) {
	ok := []struct{ in, canonical string }{
		{dunning.DefaultSchedule, "-7 reminder; +1 reminder; +7 reminder; +14 reminder; +15 suspend; +60 terminate off"},
		{"", ""},
		{" 3 reminder fee 2.5 ;10 reminder fee 2% min 5 max 50; 30 suspend", "+3 reminder fee 2.50; +10 reminder fee 2% min 5.00 max 50.00; +30 suspend"},
		{"+1 reminder fee 100%", "+1 reminder fee 100%"},
		{"+5 reminder; +5 suspend", "+5 reminder; +5 suspend"},
		{"+1 reminder fee 0", "+1 reminder"},
	}
	for _, c := range ok {
		s, err := dunning.ParseSchedule(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if s.String() != c.canonical {
			t.Errorf("%q reads as %q, want %q", c.in, s.String(), c.canonical)
		}
		again, err := dunning.ParseSchedule(s.String())
		if err != nil || again.String() != s.String() {
			t.Errorf("%q does not read back: %q, %v", s.String(), again.String(), err)
		}
	}
	bad := []struct{ in, want string }{
		{"+7 reminder; +1 reminder", "step 2: day +1 comes before step 1's day +7"},
		{"+1 reminder fee -5", "step 1: \"+1 reminder fee -5\": fee must not be negative"},
		{"+1 reminder fee 101%", "at most 100%"},
		{"+1 reminder fee 2% min -1", "min must not be negative"},
		{"+1 reminder fee 2% min 50 max 5", "the minimum fee 50.00 is above the maximum 5.00"},
		{"+1 reminder fee 5 max 50", "min and max bound a percentage fee"},
		{"-3 reminder fee 5", "a fee is charged only after the due date"},
		{"+15 suspend fee 5", "only a reminder charges a fee"},
		{"+1 remind", "the action must be reminder, suspend or terminate"},
		{"soon reminder", "the day must be a whole number"},
		{"+1", "needs a day and an action"},
		{"+1 reminder;; +2 reminder", "step 2: is empty"},
		{"+1 reminder; +1 reminder", "repeats step 1"},
		{"+10 suspend; +20 suspend", "a schedule suspends once"},
		{"0 suspend", "suspension must come after the due date"},
		{"+30 suspend; +30 terminate", "termination (day +30) must come after suspension (day +30)"},
		{"+1 reminder fee 1.234", "at most 2 decimals"},
		{"+1 reminder later", "\"later\" is not understood"},
		{"+999 reminder", "from -730 to +730"},
		{strings.Repeat("+1 reminder; ", 20) + "+2 reminder", "has 21 steps; at most 20"},
	}
	for _, c := range bad {
		_, err := dunning.ParseSchedule(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error with %q", c.in, err, c.want)
		}
	}
}

// TestFees: fixed fees, percentages held between their bounds, interest
// and the flat compensation, each rounded once, half up.
func TestFees(t *testing.T) {
	d := decimal.RequireFromString
	cases := []struct {
		name string
		fee  dunning.Fee
		open int64
		cur  money.Currency
		want int64
	}{
		{"fixed", dunning.Fee{Fixed: d("5")}, 14280, "EUR", 500},
		{"fixed in yen", dunning.Fee{Fixed: d("500")}, 10000, "JPY", 500},
		{"percent", dunning.Fee{Percent: d("2")}, 14280, "EUR", 286},     // 2.856 -> 2.86
		{"percent half up", dunning.Fee{Percent: d("1")}, 250, "EUR", 3}, // 0.025 -> 0.03
		{"raised to the minimum", dunning.Fee{Percent: d("2"), Min: d("10")}, 14280, "EUR", 1000},
		{"held to the maximum", dunning.Fee{Percent: d("10"), Max: d("50")}, 100000, "EUR", 5000},
		{"between the bounds", dunning.Fee{Percent: d("10"), Min: d("5"), Max: d("50")}, 10000, "EUR", 1000},
		{"nothing open", dunning.Fee{Percent: d("10")}, 0, "EUR", 0},
		{"none", dunning.Fee{}, 10000, "EUR", 0},
	}
	for _, c := range cases {
		got, err := c.fee.Minor(c.open, c.cur)
		if err != nil || got != c.want {
			t.Errorf("%s: %d, %v; want %d", c.name, got, err, c.want)
		}
	}
	interest := []struct {
		open     int64
		bp, days int
		want     int64
	}{
		{14280, 1015, 1, 4},        // 0.0397
		{14280, 1015, 7, 28},       // 0.2780
		{100000, 1000, 365, 10000}, // a year at 10 %
		{100000, 1015, 30, 834},    // 8.342
		{100000, 0, 30, 0},         // off
		{-500, 1015, 30, 0},        // nothing owed
	}
	for _, c := range interest {
		got, err := dunning.InterestMinor(c.open, c.bp, c.days, "EUR")
		if err != nil || got != c.want {
			t.Errorf("interest on %d at %d bp for %d days: %d, %v; want %d", c.open, c.bp, c.days, got, err, c.want)
		}
	}
	if got, err := dunning.InterestMinor(money.MaxAmount, 5000, 731, "EUR"); err == nil {
		t.Errorf("interest beyond the largest amount is %d, want an overflow error", got)
	}
	if v, ok := dunning.CompensationMinor("EUR"); !ok || v != 4000 {
		t.Errorf("EUR compensation %d %v", v, ok)
	}
	if v, ok := dunning.CompensationMinor("DKK"); !ok || v != 31000 {
		t.Errorf("DKK compensation %d %v", v, ok)
	}
	if _, ok := dunning.CompensationMinor("USD"); ok {
		t.Error("a USD invoice has no statutory flat compensation")
	}
}
