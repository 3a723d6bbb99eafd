package billing_test

import (
	"slices"
	"testing"

	"faktura/billing"
)

// The second source of the standard rates: each member state's rate on
// 1 January 2020 and every change since, as its own legislation and tax
// authority publish them (independent of the Commission's tables the
// code follows).
var ratesOn2020 = map[string]string{
	"AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25", "EE": "20", "ES": "21",
	"FI": "24", "FR": "20", "GR": "24", "HR": "25", "HU": "27", "IE": "23", "IT": "22", "LT": "21", "LU": "17",
	"LV": "21", "MT": "18", "NL": "21", "PL": "23", "PT": "23", "RO": "19", "SE": "25", "SI": "22", "SK": "20",
}

var rateChanges = []struct {
	country, from, before, after, source string
}{
	{"DE", "2020-07-01", "19", "16", "Zweites Corona-Steuerhilfegesetz of 29 June 2020, § 28(1) UStG"},
	{"DE", "2021-01-01", "16", "19", "Zweites Corona-Steuerhilfegesetz: the reduction ends on 31 December 2020"},
	{"IE", "2020-09-01", "23", "21", "Finance (Covid-19 and Miscellaneous Provisions) Act 2020; Revenue eBrief 157/20"},
	{"IE", "2021-03-01", "21", "23", "Finance (Covid-19 and Miscellaneous Provisions) Act 2020: the reduction ends on 28 February 2021"},
	{"LU", "2023-01-01", "17", "16", "Loi du 26 octobre 2022 (Mémorial A n° 534)"},
	{"LU", "2024-01-01", "16", "17", "Loi du 26 octobre 2022: the reduction ends on 31 December 2023"},
	{"EE", "2024-01-01", "20", "22", "Käibemaksuseaduse muutmise seadus (2023), KMS § 15(1)"},
	{"FI", "2024-09-01", "24", "25.5", "Arvonlisäverolaki 1501/1993 § 84 as amended on government proposal HE 13/2024 vp"},
	{"SK", "2025-01-01", "20", "23", "Zákon č. 278/2024 Z. z."},
	{"EE", "2025-07-01", "22", "24", "Käibemaksuseaduse muutmise seadus (2024, with the security tax), KMS § 15(1)"},
	{"RO", "2025-08-01", "19", "21", "Legea nr. 141/2025"},
}

// TestRatesAgainstSecondSource: every member state's rate on 1 January
// 2020 and every change since agree with the second source, on the day
// of the change and the day before, and the code knows no change the
// source does not.
func TestRatesAgainstSecondSource(t *testing.T) {
	if len(ratesOn2020) != 27 {
		t.Fatalf("the source lists %d states", len(ratesOn2020))
	}
	for c, want := range ratesOn2020 {
		if got, ok := billing.StandardRate(c, mustDay(t, "2020-01-01")); !ok || got.String() != want {
			t.Errorf("%s on 1 January 2020: %s (known %v), the source says %s", c, got, ok, want)
		}
	}
	changes := map[string][]string{}
	for _, ch := range rateChanges {
		changes[ch.country] = append(changes[ch.country], ch.from)
		before := billing.AddDays(mustDay(t, ch.from), -1)
		if got, _ := billing.StandardRate(ch.country, before); got.String() != ch.before {
			t.Errorf("%s on %s: %s, %s says %s", ch.country, before, got, ch.source, ch.before)
		}
		if got, _ := billing.StandardRate(ch.country, mustDay(t, ch.from)); got.String() != ch.after {
			t.Errorf("%s on %s: %s, %s says %s", ch.country, ch.from, got, ch.source, ch.after)
		}
	}
	// No other change since 2020: the rate on every first of a month
	// equals the source's.
	for c, start := range ratesOn2020 {
		want := start
		for d := mustDay(t, "2020-01-01"); billing.Before(d, mustDay(t, "2027-01-01")); d = billing.AddDays(d, 1) {
			if slices.Contains(changes[c], d.String()) {
				for _, ch := range rateChanges {
					if ch.country == c && ch.from == d.String() {
						want = ch.after
					}
				}
			}
			if got, _ := billing.StandardRate(c, d); got.String() != want {
				t.Errorf("%s on %s: %s, the source has %s", c, d, got, want)
				break
			}
		}
	}
}
