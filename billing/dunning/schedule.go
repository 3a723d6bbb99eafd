package dunning

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Action is what a dunning step does.
type Action string

// The actions.
const (
	// ActionReminder mails the buyer a reminder with the invoice and the
	// pay link (before the due date: a friendly notice; after: an
	// overdue reminder), and charges the step's fee.
	ActionReminder Action = "reminder"
	// ActionSuspend suspends every account under the invoice's contracts
	// with reason nonpayment, and tells the buyer.
	ActionSuspend Action = "suspend"
	// ActionTerminate terminates them.
	ActionTerminate Action = "terminate"
)

var actions = []Action{ActionReminder, ActionSuspend, ActionTerminate}

// Fee is a step's late fee: a fixed amount or a percentage of the open
// amount, the percentage held between a minimum and a maximum. Amounts are
// in major units of the invoice's currency; a zero Fee charges nothing.
type Fee struct {
	Fixed   decimal.Decimal // major units; zero when Percent is set
	Percent decimal.Decimal // of the open amount, 0 to 100
	Min     decimal.Decimal // major units, zero for none
	Max     decimal.Decimal // major units, zero for none
}

// IsZero reports whether the fee charges nothing.
func (f Fee) IsZero() bool { return f.Fixed.IsZero() && f.Percent.IsZero() }

// Step is one step of a schedule: its day relative to the due date, its
// action, whether it is on, and its fee.
type Step struct {
	Offset int // days from the due date: -7 is a week before, 15 is 15 days after
	Action Action
	Off    bool
	Fee    Fee
}

// Key names the step on an invoice: unique per invoice, it is what makes
// a step run once.
func (s Step) Key() string { return fmt.Sprintf("%s%+d", s.Action, s.Offset) }

// Template is the step's mail template in themes/mail.
func (s Step) Template() string {
	switch {
	case s.Action == ActionSuspend:
		return "dunning_suspension"
	case s.Action == ActionTerminate:
		return "dunning_termination"
	case s.Offset < 0:
		return "dunning_upcoming"
	case s.Offset == 0:
		return "dunning_due"
	}
	return "dunning_overdue"
}

// Schedule is a seller's dunning steps, in order of their days.
type Schedule []Step

// DefaultSchedule is what a seller gets without one of its own: a
// reminder a week before the due date, overdue reminders 1, 7 and 14 days
// after, suspension 15 days after, termination off (60 days after when
// switched on).
const DefaultSchedule = "-7 reminder; +1 reminder; +7 reminder; +14 reminder; +15 suspend; +60 terminate off"

// MaxSteps bounds a schedule.
const MaxSteps = 20

// MaxOffset bounds a step's day, before or after the due date.
const MaxOffset = 730

// String is the schedule's stored form: steps separated by ";", each
// "<±days> <action> [off] [fee <amount> | fee <percent>% [min <amount>]
// [max <amount>]]".
func (s Schedule) String() string {
	parts := make([]string, len(s))
	for i, st := range s {
		var b strings.Builder
		fmt.Fprintf(&b, "%+d %s", st.Offset, st.Action)
		if st.Off {
			b.WriteString(" off")
		}
		f := st.Fee
		switch {
		case !f.Percent.IsZero():
			fmt.Fprintf(&b, " fee %s%%", f.Percent.String())
			if !f.Min.IsZero() {
				fmt.Fprintf(&b, " min %s", f.Min.StringFixed(2))
			}
			if !f.Max.IsZero() {
				fmt.Fprintf(&b, " max %s", f.Max.StringFixed(2))
			}
		case !f.Fixed.IsZero():
			fmt.Fprintf(&b, " fee %s", f.Fixed.StringFixed(2))
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, "; ")
}

// On lists the steps that are switched on.
func (s Schedule) On() Schedule {
	var out Schedule
	for _, st := range s {
		if !st.Off {
			out = append(out, st)
		}
	}
	return out
}

// StepError names the step a problem is in (1-based) and the problem.
type StepError struct {
	Step    int
	Problem string
}

func (e *StepError) Error() string { return fmt.Sprintf("step %d: %s", e.Step, e.Problem) }

// ParseSchedule reads a schedule's stored form and checks it: steps in
// order of their days (no two on the same day with the same action), at
// most one suspension and one termination, termination after suspension,
// fees not negative, percentages at most 100, a minimum not above the
// maximum, fees only on reminders. The first problem is returned, naming
// its step.
func ParseSchedule(raw string) (Schedule, error) {
	var s Schedule
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return s, nil
	}
	for i, part := range strings.Split(raw, ";") {
		n := i + 1
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, &StepError{n, "is empty (two \";\" in a row?)"}
		}
		st, err := parseStep(part)
		if err != nil {
			return nil, &StepError{n, fmt.Sprintf("%q: %v", part, err)}
		}
		s = append(s, st)
	}
	if len(s) > MaxSteps {
		return nil, fmt.Errorf("has %d steps; at most %d", len(s), MaxSteps)
	}
	var suspendAt, terminateAt *int
	for i, st := range s {
		if i > 0 {
			prev := s[i-1]
			if st.Offset < prev.Offset {
				return nil, &StepError{i + 1, fmt.Sprintf("day %+d comes before step %d's day %+d: steps must be in order of their days", st.Offset, i, prev.Offset)}
			}
			if st.Offset == prev.Offset && st.Action == prev.Action {
				return nil, &StepError{i + 1, fmt.Sprintf("repeats step %d (%s on day %+d)", i, st.Action, st.Offset)}
			}
		}
		switch st.Action {
		case ActionSuspend:
			if suspendAt != nil {
				return nil, &StepError{i + 1, "a schedule suspends once"}
			}
			if st.Offset < 1 {
				return nil, &StepError{i + 1, "suspension must come after the due date (day +1 or later)"}
			}
			suspendAt = &st.Offset
		case ActionTerminate:
			if terminateAt != nil {
				return nil, &StepError{i + 1, "a schedule terminates once"}
			}
			if st.Offset < 1 {
				return nil, &StepError{i + 1, "termination must come after the due date (day +1 or later)"}
			}
			terminateAt = &st.Offset
		}
	}
	if suspendAt != nil && terminateAt != nil && *terminateAt <= *suspendAt {
		return nil, fmt.Errorf("termination (day %+d) must come after suspension (day %+d)", *terminateAt, *suspendAt)
	}
	return s, nil
}

func parseStep(part string) (Step, error) {
	words := strings.Fields(part)
	if len(words) < 2 {
		return Step{}, fmt.Errorf("needs a day and an action, as in \"+7 reminder\"")
	}
	off, err := strconv.Atoi(words[0])
	if err != nil || off < -MaxOffset || off > MaxOffset {
		return Step{}, fmt.Errorf("the day must be a whole number of days from the due date, from -%d to +%d", MaxOffset, MaxOffset)
	}
	st := Step{Offset: off, Action: Action(words[1])}
	known := false
	for _, a := range actions {
		known = known || a == st.Action
	}
	if !known {
		return Step{}, fmt.Errorf("the action must be reminder, suspend or terminate")
	}
	rest := words[2:]
	for len(rest) > 0 {
		switch w := rest[0]; w {
		case "off":
			st.Off, rest = true, rest[1:]
		case "fee", "min", "max":
			if len(rest) < 2 {
				return Step{}, fmt.Errorf("%s needs an amount", w)
			}
			if err := st.setFee(w, rest[1]); err != nil {
				return Step{}, err
			}
			rest = rest[2:]
		default:
			return Step{}, fmt.Errorf("%q is not understood (off, fee, min or max)", w)
		}
	}
	f := st.Fee
	if st.Action != ActionReminder && !f.IsZero() {
		return Step{}, fmt.Errorf("only a reminder charges a fee")
	}
	if !f.IsZero() && st.Offset < 1 {
		return Step{}, fmt.Errorf("a fee is charged only after the due date (day +1 or later)")
	}
	if (!f.Min.IsZero() || !f.Max.IsZero()) && f.Percent.IsZero() {
		return Step{}, fmt.Errorf("min and max bound a percentage fee (fee 2%% min 5.00 max 50.00)")
	}
	if !f.Min.IsZero() && !f.Max.IsZero() && f.Min.GreaterThan(f.Max) {
		return Step{}, fmt.Errorf("the minimum fee %s is above the maximum %s", f.Min.StringFixed(2), f.Max.StringFixed(2))
	}
	return st, nil
}

// maxFee bounds a fixed fee or a bound, in major units.
var maxFee = decimal.NewFromInt(1_000_000)

func (st *Step) setFee(word, val string) error {
	pct := strings.HasSuffix(val, "%")
	d, err := decimal.NewFromString(strings.TrimSuffix(val, "%"))
	if err != nil {
		return fmt.Errorf("%s %q is not a number", word, val)
	}
	switch {
	case d.IsNegative():
		return fmt.Errorf("%s must not be negative", word)
	case pct && word != "fee":
		return fmt.Errorf("%s is an amount, not a percentage", word)
	case pct && d.GreaterThan(decimal.NewFromInt(100)):
		return fmt.Errorf("a percentage fee must be at most 100%%")
	case pct && d.Exponent() < -2:
		return fmt.Errorf("a percentage has at most 2 decimals")
	case !pct && d.Exponent() < -2:
		return fmt.Errorf("%s has at most 2 decimals", word)
	case !pct && d.GreaterThan(maxFee):
		return fmt.Errorf("%s must be at most %s", word, maxFee)
	}
	switch {
	case word == "fee" && pct:
		st.Fee.Percent, st.Fee.Fixed = d, decimal.Zero
	case word == "fee":
		st.Fee.Fixed, st.Fee.Percent = d, decimal.Zero
	case word == "min":
		st.Fee.Min = d
	default:
		st.Fee.Max = d
	}
	return nil
}
