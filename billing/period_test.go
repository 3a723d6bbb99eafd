package billing

import (
	"testing"
	"time"

	"faktura/panel/core/money"
)

func TestAddMonthsAnchors(t *testing.T) {
	cases := []struct {
		name   string
		from   string
		n      int
		anchor int
		want   string
	}{
		{"31st into February", "2026-01-31", 1, 31, "2026-02-28"},
		{"31st into leap February", "2028-01-31", 1, 31, "2028-02-29"},
		{"back to the 31st after February", "2026-02-28", 1, 31, "2026-03-31"},
		{"31st into April", "2026-03-31", 1, 31, "2026-04-30"},
		{"30th into February", "2026-01-30", 1, 30, "2026-02-28"},
		{"30th after February", "2026-02-28", 1, 30, "2026-03-30"},
		{"29th into February, common year", "2027-01-29", 1, 29, "2027-02-28"},
		{"29th into February, leap year", "2028-01-29", 1, 29, "2028-02-29"},
		{"29th after February", "2027-02-28", 1, 29, "2027-03-29"},
		{"leap day, annual", "2028-02-29", 12, 29, "2029-02-28"},
		{"leap day, four years on", "2028-02-29", 48, 29, "2032-02-29"},
		{"annual on the 31st", "2026-12-31", 12, 31, "2027-12-31"},
		{"quarterly across the year", "2026-11-30", 3, 30, "2027-02-28"},
		{"biennial", "2026-08-15", 24, 15, "2028-08-15"},
		{"semi-annual 31st", "2026-08-31", 6, 31, "2027-02-28"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := AddMonths(mustDay(tc.from), tc.n, tc.anchor).String(); got != tc.want {
				t.Errorf("AddMonths(%s, %d, anchor %d) = %s, want %s", tc.from, tc.n, tc.anchor, got, tc.want)
			}
		})
	}
}

// A contract anchored on the 31st walks Jan 31, Feb 28, Mar 31, Apr 30...:
// the anchor, not the clamped date, decides each next period.
func TestPeriodsKeepTheAnchor(t *testing.T) {
	want := []string{"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30"}
	d := mustDay(want[0])
	for i := 1; i < len(want); i++ {
		p := NextPeriod(d, CycleMonthly, 31)
		if p.End.String() != want[i] {
			t.Fatalf("period %d ends %s, want %s", i, p.End, want[i])
		}
		d = p.End
	}
	if got := NextPeriod(mustDay("2028-02-29"), CycleAnnual, 29); got.End.String() != "2029-02-28" || got.Days() != 365 {
		t.Errorf("annual from leap day = %v (%d days), want to 2029-02-28, 365 days", got, got.Days())
	}
	if got := NextPeriod(mustDay("2027-03-01"), CycleAnnual, 1); got.Days() != 366 {
		t.Errorf("annual over a leap day = %d days, want 366", got.Days())
	}
}

// LocalDay reads an event's instant in the seller's zone, including on
// the days clocks change.
func TestLocalDayAcrossDST(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	rome, _ := time.LoadLocation("Europe/Rome")
	cases := []struct {
		name string
		at   time.Time
		loc  *time.Location
		want string
	}{
		{"spring forward, before", time.Date(2026, 3, 29, 0, 59, 0, 0, time.UTC), berlin, "2026-03-29"},         // 01:59 CET
		{"spring forward, after", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC), berlin, "2026-03-29"},           // 03:00 CEST
		{"last minute before spring day", time.Date(2026, 3, 28, 22, 59, 0, 0, time.UTC), berlin, "2026-03-28"}, // 23:59 CET
		{"evening of spring day", time.Date(2026, 3, 29, 22, 30, 0, 0, time.UTC), berlin, "2026-03-30"},         // 00:30 CEST next day
		{"fall back, late evening", time.Date(2026, 10, 25, 22, 30, 0, 0, time.UTC), berlin, "2026-10-25"},      // 23:30 CET
		{"fall back, 23:30 UTC", time.Date(2026, 10, 25, 23, 30, 0, 0, time.UTC), berlin, "2026-10-26"},         // 00:30 CET
		{"fall back day evening, UTC zone", time.Date(2026, 10, 25, 23, 30, 0, 0, time.UTC), time.UTC, "2026-10-25"},
		{"Rome on New Year's Eve", time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC), rome, "2027-01-01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := LocalDay(tc.at, tc.loc).String(); got != tc.want {
				t.Errorf("LocalDay(%s, %s) = %s, want %s", tc.at, tc.loc, got, tc.want)
			}
		})
	}
}

func TestProrate(t *testing.T) {
	eur := func(a int64) money.Money { return money.Money{Amount: a, Currency: "EUR"} }
	cases := []struct {
		name    string
		amount  int64
		start   string
		end     string
		day     string
		want    int64
		comment string
	}{
		{"mid-month upgrade", 1000, "2026-11-01", "2026-12-01", "2026-11-16", 500, "15 of 30 days"},
		{"first day: whole period", 1000, "2026-11-01", "2026-12-01", "2026-11-01", 1000, ""},
		{"before the period: whole period", 1000, "2026-12-01", "2027-01-01", "2026-11-20", 1000, "a period invoiced ahead"},
		{"last day: one day", 3100, "2026-12-01", "2027-01-01", "2026-12-31", 100, "1 of 31"},
		{"after the period: nothing", 1000, "2026-11-01", "2026-12-01", "2026-12-01", 0, ""},
		{"third of a month rounds once", 1000, "2026-04-01", "2026-05-01", "2026-04-21", 333, "10/30 = 3.333.."},
		{"two thirds round half up", 1000, "2026-04-01", "2026-05-01", "2026-04-11", 667, "20/30"},
		{"DST month counts days, not hours", 3100, "2026-03-01", "2026-04-01", "2026-03-29", 300, "3 of 31 days, the 23-hour day counts as one"},
		{"October DST month", 3100, "2026-10-01", "2026-11-01", "2026-10-25", 700, "7 of 31, the 25-hour day counts as one"},
		{"February in a leap year", 2900, "2028-02-01", "2028-03-01", "2028-02-29", 100, "1 of 29"},
		{"anchor 31 in February", 2800, "2026-01-31", "2026-02-28", "2026-02-14", 1400, "14 of 28"},
		{"annual, mid-year", 36500, "2026-01-01", "2027-01-01", "2026-07-02", 18300, "183 of 365"},
		{"credit is negative", -1000, "2026-11-01", "2026-12-01", "2026-11-16", -500, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Prorate(eur(tc.amount), Period{mustDay(tc.start), mustDay(tc.end)}, mustDay(tc.day))
			if err != nil || got.Amount != tc.want {
				t.Errorf("Prorate(%d, %s..%s, %s) = %v, %v; want %d (%s)", tc.amount, tc.start, tc.end, tc.day, got, err, tc.want, tc.comment)
			}
		})
	}
}
