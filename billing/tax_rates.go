package billing

import "github.com/shopspring/decimal"

// euStates lists the 27 member states by ISO 3166-1 code (Greece is GR
// here; VIES calls it EL).
var euStates = map[string]bool{
	"AT": true, "BE": true, "BG": true, "CY": true, "CZ": true, "DE": true, "DK": true, "EE": true, "ES": true,
	"FI": true, "FR": true, "GR": true, "HR": true, "HU": true, "IE": true, "IT": true, "LT": true, "LU": true,
	"LV": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true, "SE": true, "SI": true, "SK": true,
}

// InEU reports whether country (ISO 3166-1 alpha-2) is a member state.
func InEU(country string) bool { return euStates[country] }

// rate is a standard VAT rate in force from a day on (until the next
// entry for the same country).
type rate struct {
	from    string // YYYY-MM-DD
	percent string
}

// standardRates holds the dated standard rates of the member states,
// oldest first. Electronically supplied services (hosting) take the
// standard rate everywhere.
//
// Source: the European Commission's "VAT rates applied in the Member
// States of the European Union" (DG TAXUD, the editions at 1 January of
// each year from 2020), with its Taxes in Europe database for the dates
// of change. The test checks every rate and change since 2020 against a
// second, independent source: the member states' own acts and tax
// authorities (rate_sources_test.go names each).
var standardRates = map[string][]rate{
	"AT": {{"2016-01-01", "20"}},
	"BE": {{"1996-01-01", "21"}},
	"BG": {{"1999-01-01", "20"}},
	"CY": {{"2014-01-13", "19"}},
	"CZ": {{"2013-01-01", "21"}},
	"DE": {{"2007-01-01", "19"}, {"2020-07-01", "16"}, {"2021-01-01", "19"}},
	"DK": {{"1992-01-01", "25"}},
	"EE": {{"2009-07-01", "20"}, {"2024-01-01", "22"}, {"2025-07-01", "24"}},
	"ES": {{"2012-09-01", "21"}},
	"FI": {{"2013-01-01", "24"}, {"2024-09-01", "25.5"}},
	"FR": {{"2014-01-01", "20"}},
	"GR": {{"2016-06-01", "24"}},
	"HR": {{"2012-03-01", "25"}},
	"HU": {{"2012-01-01", "27"}},
	"IE": {{"2012-01-01", "23"}, {"2020-09-01", "21"}, {"2021-03-01", "23"}},
	"IT": {{"2013-10-01", "22"}},
	"LT": {{"2009-09-01", "21"}},
	"LU": {{"2015-01-01", "17"}, {"2023-01-01", "16"}, {"2024-01-01", "17"}},
	"LV": {{"2011-07-01", "21"}},
	"MT": {{"1995-01-01", "18"}},
	"NL": {{"2012-10-01", "21"}},
	"PL": {{"2011-01-01", "23"}},
	"PT": {{"2011-01-01", "23"}},
	"RO": {{"2017-01-01", "19"}, {"2025-08-01", "21"}},
	"SE": {{"1990-07-01", "25"}},
	"SI": {{"2013-07-01", "22"}},
	"SK": {{"2011-01-01", "20"}, {"2025-01-01", "23"}},
}

// StandardRate is the standard VAT rate of an EU country on day; false
// outside the EU or before the first known rate.
func StandardRate(country string, day Date) (decimal.Decimal, bool) {
	var found string
	for _, r := range standardRates[country] {
		if r.from <= day.String() {
			found = r.percent
		}
	}
	if found == "" {
		return decimal.Decimal{}, false
	}
	return decimal.RequireFromString(found), true
}
