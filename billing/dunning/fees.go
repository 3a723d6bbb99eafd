package dunning

import (
	"github.com/shopspring/decimal"

	"faktura/panel/core/money"
	"faktura/panel/core/settings"
)

// The collections settings. Each resolves per invoice through the chain
// panel -> seller -> plan -> customer -> contract, the plan and contract
// being those of the invoice's first contract (the account of a
// subproject's invoice; a consolidated invoice takes its first).
var (
	// ScheduleKey is the dunning schedule (see Schedule.String).
	ScheduleKey = settings.Key[Schedule]{Name: "billing.dunning_schedule", Kind: settings.KindText,
		Default: mustSchedule(DefaultSchedule), Format: Schedule.String, Parse: ParseSchedule, Levels: levels}
	// FeeMode: a late fee is its own invoice, or a line on the next
	// invoice of one of the unpaid invoice's contracts.
	FeeMode = settings.Enum("billing.late_fee_mode", FeeNewInvoice, FeeNewInvoice, FeeNextInvoice).At(levels...)
	// FeeTax: a late fee (and interest and the flat compensation) is
	// damages, outside the scope of VAT (not the consideration for a
	// supply, Art. 2 of Directive 2006/112/EC: the rule in Germany,
	// France, Italy and Denmark), or taxed as the invoice's services are
	// (for a seller whose tax adviser holds the fee to be consideration).
	FeeTax = settings.Enum("billing.late_fee_tax", TaxOutsideScope, TaxOutsideScope, TaxAsInvoice).At(levels...)
	// Compensation charges the flat compensation for recovery costs of
	// Directive 2011/7/EU (EUR 40; DKK 310 in Denmark) once per invoice, at
	// its first overdue reminder, to business buyers only.
	Compensation = settings.Bool("billing.late_compensation", false).At(levels...)
	// InterestBP is the yearly late-payment interest in basis points
	// (1015 = 10.15 %: the ECB rate of 2.15 % plus the 8 points of
	// Directive 2011/7/EU); 0 turns it off. Interest on the open amount
	// since the due date is charged at each overdue reminder.
	InterestBP = settings.Int("billing.late_interest_bp", 0, 0, 5000).At(levels...)
	// AlertDays: billing staff get a mail when an invoice has been
	// overdue this many days; 0 turns it off.
	AlertDays = settings.Int("billing.collections_alert_days", 60, 0, 3650).At(levels...)
	// AlertMinor: billing staff get a mail when a customer's overdue
	// total (minor units) reaches this; 0 turns it off.
	AlertMinor = settings.Int("billing.collections_alert_minor", 0, 0, 1_000_000_000).At(levels...)
)

var levels = settings.AllLevels

// Fee modes and treatments.
const (
	FeeNewInvoice   = "new_invoice"
	FeeNextInvoice  = "next_invoice"
	TaxOutsideScope = "outside_scope"
	TaxAsInvoice    = "as_invoice"
)

func mustSchedule(raw string) Schedule {
	s, err := ParseSchedule(raw)
	if err != nil {
		panic(err)
	}
	return s
}

// SettingDefs lists the collections keys for the settings pages and API.
func SettingDefs() []settings.Def {
	return []settings.Def{ScheduleKey.Def(), FeeMode.Def(), FeeTax.Def(), Compensation.Def(), InterestBP.Def(), AlertDays.Def(), AlertMinor.Def()}
}

// Minor is the fee in minor units of c on an open amount: a fixed fee, or
// the percentage held between the minimum and maximum. It is rounded once,
// half up, here.
func (f Fee) Minor(open int64, c money.Currency) (int64, error) {
	if f.IsZero() {
		return 0, nil
	}
	if f.Percent.IsZero() {
		return checked(money.FromDecimal(f.Fixed, c, money.RoundLine))
	}
	base := money.Money{Amount: max(open, 0), Currency: c}.Decimal()
	fee := base.Mul(f.Percent).Div(decimal.NewFromInt(100))
	if !f.Min.IsZero() && fee.LessThan(f.Min) {
		fee = f.Min
	}
	if !f.Max.IsZero() && fee.GreaterThan(f.Max) {
		fee = f.Max
	}
	return checked(money.FromDecimal(fee, c, money.RoundLine))
}

// checked is m's amount when it is within money.MaxAmount.
func checked(m money.Money, err error) (int64, error) {
	if err == nil {
		err = m.Check()
	}
	if err != nil {
		return 0, err
	}
	return m.Amount, nil
}

// InterestMinor is simple yearly interest at bp basis points on open minor
// units for days days (a 365-day year, as Germany, France, Italy and
// Denmark count late interest), rounded once, half up.
func InterestMinor(open int64, bp, days int, c money.Currency) (int64, error) {
	if open <= 0 || bp <= 0 || days <= 0 {
		return 0, nil
	}
	major := money.Money{Amount: open, Currency: c}.Decimal()
	i := major.Mul(decimal.NewFromInt(int64(bp))).Mul(decimal.NewFromInt(int64(days))).Div(decimal.NewFromInt(10000 * 365))
	return checked(money.FromDecimal(i, c, money.RoundLine))
}

// compensation is the flat compensation for recovery costs of Directive
// 2011/7/EU in the currencies it is fixed in (Denmark: renteloven § 9 b).
var compensation = map[money.Currency]int64{"EUR": 4000, "DKK": 31000}

// CompensationMinor is the flat compensation in c, and whether c has one.
func CompensationMinor(c money.Currency) (int64, bool) {
	v, ok := compensation[c]
	return v, ok
}
