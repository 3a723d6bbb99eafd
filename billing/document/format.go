package document

import (
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
	"faktura/panel/core/money"
)

// Locale formats numbers, money and dates the way one of the five
// languages writes them on an invoice.
type Locale struct {
	Lang    string
	group   string // thousands separator
	decimal string // decimal separator
	date    func(d core.Date) string
}

var monthsEN = [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

var locales = map[string]Locale{
	// 2 November 2026: day-month-year in words, unambiguous to every reader of English.
	"en": {Lang: "en", group: ",", decimal: ".", date: func(d core.Date) string {
		return strconv.Itoa(d.Day) + " " + monthsEN[d.Month-1] + " " + strconv.Itoa(d.Year)
	}},
	"de": {Lang: "de", group: ".", decimal: ",", date: numericDate(".")},
	"fr": {Lang: "fr", group: "\u202f", decimal: ",", date: numericDate("/")},
	"it": {Lang: "it", group: ".", decimal: ",", date: numericDate("/")},
	"da": {Lang: "da", group: ".", decimal: ",", date: numericDate(".")},
}

// numericDate writes day, month and year as digits with sep between.
func numericDate(sep string) func(core.Date) string {
	return func(d core.Date) string { return pad(d.Day) + sep + pad(int(d.Month)) + sep + strconv.Itoa(d.Year) }
}

func pad(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// LocaleFor returns the locale of lang; an unknown language gets English.
func LocaleFor(lang string) Locale {
	if l, ok := locales[lang]; ok {
		return l
	}
	return locales[core.Languages[0]]
}

// Date writes a calendar day.
func (l Locale) Date(d core.Date) string { return l.date(d) }

// Money writes minor units of cur with the currency's decimals and the
// code after a no-break space: "1,234.50 EUR", "1.234,50 EUR".
func (l Locale) Money(minor int64, cur string) string {
	exp := int32(2)
	if c := money.Currency(cur); c.Valid() {
		exp = c.Exponent()
	}
	return l.Number(decimal.New(minor, -exp), exp) + "\u00a0" + cur
}

// UnitPrice writes a unit price with at least the currency's decimals
// and at most the six a price may have: "9.90 EUR", "0.0125 EUR".
func (l Locale) UnitPrice(p decimal.Decimal, cur string) string {
	exp := int32(2)
	if c := money.Currency(cur); c.Valid() {
		exp = c.Exponent()
	}
	places := max(exp, -p.Exponent())
	if p.Equal(p.Truncate(exp)) {
		places = exp
	}
	return l.Number(p, min(places, money.MaxUnitDecimals)) + "\u00a0" + cur
}

// Quantity writes a quantity with only the decimals it has: "1", "2.5".
func (l Locale) Quantity(q decimal.Decimal) string {
	places := max(0, -q.Exponent())
	for places > 0 && q.Equal(q.Truncate(places-1)) {
		places--
	}
	return l.Number(q, places)
}

// Percent writes a rate in percent: "19 %", "5,5 %", with a no-break
// space before the sign.
func (l Locale) Percent(r decimal.Decimal) string { return l.Quantity(r) + "\u00a0%" }

// Number writes d with places decimals, grouped by thousands.
func (l Locale) Number(d decimal.Decimal, places int32) string {
	s := d.StringFixed(places)
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(l.group)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(l.decimal)
		b.WriteString(frac)
	}
	return sign + b.String()
}
