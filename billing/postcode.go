package billing

import (
	"regexp"
	"strings"
)

// postcodeFormats are the postcode formats of the member states and of
// the places next to them that addresses name (the national postal
// operators' formats, as the Universal Postal Union lists them); a
// country without one here takes any postcode.
var postcodeFormats = map[string]struct {
	re      *regexp.Regexp
	example string
}{
	"AT": {regexp.MustCompile(`^\d{4}$`), "1010"},
	"BE": {regexp.MustCompile(`^\d{4}$`), "1000"},
	"BG": {regexp.MustCompile(`^\d{4}$`), "1000"},
	"CY": {regexp.MustCompile(`^\d{4}$`), "1010"},
	"CZ": {regexp.MustCompile(`^\d{3} ?\d{2}$`), "110 00"},
	"DE": {regexp.MustCompile(`^\d{5}$`), "10115"},
	"DK": {regexp.MustCompile(`^(DK-)?\d{4}$`), "2100"},
	"EE": {regexp.MustCompile(`^\d{5}$`), "10111"},
	"ES": {regexp.MustCompile(`^\d{5}$`), "28001"},
	"FI": {regexp.MustCompile(`^(FI-)?\d{5}$`), "00100"},
	"FR": {regexp.MustCompile(`^\d{5}$`), "75001"},
	"GR": {regexp.MustCompile(`^\d{3} ?\d{2}$`), "105 57"},
	"HR": {regexp.MustCompile(`^\d{5}$`), "10000"},
	"HU": {regexp.MustCompile(`^\d{4}$`), "1051"},
	"IE": {regexp.MustCompile(`^([AC-FHKNPRTV-Y]\d{2}|D6W) ?[0-9AC-FHKNPRTV-Y]{4}$`), "D02 X285"},
	"IT": {regexp.MustCompile(`^\d{5}$`), "00184"},
	"LT": {regexp.MustCompile(`^(LT-)?\d{5}$`), "LT-01100"},
	"LU": {regexp.MustCompile(`^(L-)?\d{4}$`), "L-1009"},
	"LV": {regexp.MustCompile(`^(LV-)?\d{4}$`), "LV-1050"},
	"MT": {regexp.MustCompile(`^[A-Z]{3} ?\d{2,4}$`), "VLT 1117"},
	"NL": {regexp.MustCompile(`^\d{4} ?[A-Z]{2}$`), "1012 AB"},
	"PL": {regexp.MustCompile(`^\d{2}-\d{3}$`), "00-950"},
	"PT": {regexp.MustCompile(`^\d{4}-\d{3}$`), "1000-001"},
	"RO": {regexp.MustCompile(`^\d{6}$`), "010011"},
	"SE": {regexp.MustCompile(`^\d{3} ?\d{2}$`), "111 22"},
	"SI": {regexp.MustCompile(`^(SI-)?\d{4}$`), "1000"},
	"SK": {regexp.MustCompile(`^\d{3} ?\d{2}$`), "811 01"},
	"AX": {regexp.MustCompile(`^(AX-)?22\d{3}$`), "AX-22100"},
	"MC": {regexp.MustCompile(`^980\d{2}$`), "98000"},
	"GP": {regexp.MustCompile(`^971\d{2}$`), "97110"},
	"MQ": {regexp.MustCompile(`^972\d{2}$`), "97200"},
	"GF": {regexp.MustCompile(`^973\d{2}$`), "97300"},
	"RE": {regexp.MustCompile(`^974\d{2}$`), "97400"},
	"YT": {regexp.MustCompile(`^976\d{2}$`), "97600"},
	"GB": {regexp.MustCompile(`^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$`), "SW1A 1AA"},
	"XI": {regexp.MustCompile(`^BT\d[A-Z\d]? ?\d[A-Z]{2}$`), "BT1 1AA"},
	"IM": {regexp.MustCompile(`^IM\d{1,2} ?\d[A-Z]{2}$`), "IM1 1AA"},
	"CH": {regexp.MustCompile(`^\d{4}$`), "8001"},
	"NO": {regexp.MustCompile(`^\d{4}$`), "0150"},
	"US": {regexp.MustCompile(`^\d{5}(-\d{4})?$`), "10001"},
}

// PostcodeProblem says what is wrong with a postcode for its country, or
// nothing (an empty postcode, or a country without a known format).
func PostcodeProblem(country, postcode string) string {
	pc := strings.ToUpper(strings.TrimSpace(postcode))
	f, ok := postcodeFormats[strings.ToUpper(country)]
	if pc == "" || !ok || f.re.MatchString(pc) {
		return ""
	}
	return "does not match the postcode format of " + strings.ToUpper(country) + " (e.g. " + f.example + ")"
}
