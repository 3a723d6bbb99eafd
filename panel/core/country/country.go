// Package country validates country codes: ISO 3166-1 alpha-2, plus the
// two codes outside that list that EU VAT uses (XI, Northern Ireland, and
// XK, Kosovo). Every place that accepts a country (tenants, billing
// profiles, the tax rules) asks Valid, so a code such as ZZ is refused at
// the door and never reaches an invoice.
package country

import "strings"

// codes is ISO 3166-1 alpha-2 as officially assigned (249 codes, ISO
// 3166 Maintenance Agency, online browsing platform), followed by the
// user-assigned codes the EU uses.
var codes = map[string]bool{}

const iso3166 = `AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW`

// Extra codes outside ISO 3166-1 that EU VAT needs: XI (Northern Ireland,
// its own VAT prefix since 2021) and XK (Kosovo, the code the European
// Commission uses).
const extra = "XI XK"

func init() {
	for _, c := range strings.Fields(iso3166 + " " + extra) {
		codes[c] = true
	}
}

// Valid reports whether code is an upper-case ISO 3166-1 alpha-2 code or
// one of the extra VAT codes.
func Valid(code string) bool { return codes[code] }

// Normalize trims and upper-cases a submitted code; it does not validate.
func Normalize(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Problem is the field message for a code that is not Valid, or "".
func Problem(code string) string {
	if Valid(code) {
		return ""
	}
	return "is not an ISO 3166 country code (e.g. DE, FR, IT, DK)"
}
