package billing

import (
	"time"

	"faktura/panel/core"
)

// Date is a calendar day in the seller's time zone. Periods, due dates and
// the run's --at day are dates, never instants, so a day that has 23 or 25
// hours (a DST change) counts as one day like any other.
type Date = core.Date

// Cycle is how often a contract is billed.
type Cycle string

// The billing cycles. CycleOnce is for one-off items: billed once, then
// the contract ends.
const (
	CycleMonthly    Cycle = "monthly"
	CycleQuarterly  Cycle = "quarterly"
	CycleSemiAnnual Cycle = "semiannual"
	CycleAnnual     Cycle = "annual"
	CycleBiennial   Cycle = "biennial"
	CycleOnce       Cycle = "once"
)

// Cycles lists the cycles in the order pages show them.
var Cycles = []Cycle{CycleMonthly, CycleQuarterly, CycleSemiAnnual, CycleAnnual, CycleBiennial, CycleOnce}

// Months is the length of one period; 0 for CycleOnce.
func (c Cycle) Months() int {
	switch c {
	case CycleMonthly:
		return 1
	case CycleQuarterly:
		return 3
	case CycleSemiAnnual:
		return 6
	case CycleAnnual:
		return 12
	case CycleBiennial:
		return 24
	}
	return 0
}

// Valid reports whether c is one of Cycles.
func (c Cycle) Valid() bool {
	for _, k := range Cycles {
		if c == k {
			return true
		}
	}
	return false
}

// ParseDay reads YYYY-MM-DD (as stored in the database).
func ParseDay(field, s string) (Date, error) { return core.ParseDate(field, s) }

func mustDay(s string) Date {
	d, err := core.ParseDate("date", s)
	if err != nil {
		panic(err)
	}
	return d
}

// LocalDay is the calendar day of instant t in loc: an event at 23:30 UTC
// on the last Saturday of October is already Sunday in Berlin.
func LocalDay(t time.Time, loc *time.Location) Date { return core.DateOf(t.In(loc)) }

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// AddMonths moves d by n months and sets the day to anchor, clamped to the
// target month's length: anchor 31 gives Jan 31, Feb 28 (29 in leap
// years), Mar 31. The anchor, not the previous clamped date, decides, so
// a short month never drags the following ones.
func AddMonths(d Date, n, anchor int) Date {
	m := int(d.Month) - 1 + n
	y := d.Year + m/12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	month := time.Month(m + 1)
	return Date{Year: y, Month: month, Day: min(anchor, daysIn(y, month))}
}

// AddDays moves d by n calendar days.
func AddDays(d Date, n int) Date {
	return core.DateOf(d.In(time.UTC).AddDate(0, 0, n))
}

// DaysBetween counts calendar days from a to b (b exclusive); negative
// when b is before a. It counts in UTC, so DST never shortens a day.
func DaysBetween(a, b Date) int {
	return int(b.In(time.UTC).Sub(a.In(time.UTC)).Hours() / 24)
}

// Before reports whether a is earlier than b.
func Before(a, b Date) bool { return a.String() < b.String() }

// Period is a billed span [Start, End): End is the next period's start.
type Period struct {
	Start Date `json:"start"`
	End   Date `json:"end"`
}

// NextPeriod is the period starting at start for a cycle anchored on
// anchor (1-31).
func NextPeriod(start Date, c Cycle, anchor int) Period {
	if c == CycleOnce {
		return Period{Start: start, End: start}
	}
	return Period{Start: start, End: AddMonths(start, c.Months(), anchor)}
}

// Days is the period's length in calendar days.
func (p Period) Days() int { return DaysBetween(p.Start, p.End) }

// loadZone resolves a seller's time zone name.
func loadZone(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, core.Invalid("timezone", "unknown time zone %q (want an IANA name such as Europe/Berlin)", name)
	}
	return loc, nil
}
