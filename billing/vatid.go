package billing

import (
	"regexp"
	"strings"

	"faktura/panel/core"
)

// vatPatterns are the syntax rules of EU VAT ids, after the VIES prefix,
// per country (as python-stdnum and the member states publish them).
var vatPatterns = map[string]*regexp.Regexp{
	"AT": regexp.MustCompile(`^U\d{8}$`),
	"BE": regexp.MustCompile(`^[01]\d{9}$`),
	"BG": regexp.MustCompile(`^\d{9,10}$`),
	"CY": regexp.MustCompile(`^\d{8}[A-Z]$`),
	"CZ": regexp.MustCompile(`^\d{8,10}$`),
	"DE": regexp.MustCompile(`^\d{9}$`),
	"DK": regexp.MustCompile(`^\d{8}$`),
	"EE": regexp.MustCompile(`^\d{9}$`),
	"EL": regexp.MustCompile(`^\d{9}$`),
	"ES": regexp.MustCompile(`^[A-Z0-9]\d{7}[A-Z0-9]$`),
	"FI": regexp.MustCompile(`^\d{8}$`),
	"FR": regexp.MustCompile(`^[0-9A-HJ-NP-Z]{2}\d{9}$`),
	"HR": regexp.MustCompile(`^\d{11}$`),
	"HU": regexp.MustCompile(`^\d{8}$`),
	"IE": regexp.MustCompile(`^(\d{7}[A-W][A-IW]?|\d[A-Z+*]\d{5}[A-W])$`),
	"IT": regexp.MustCompile(`^\d{11}$`),
	"LT": regexp.MustCompile(`^(\d{9}|\d{12})$`),
	"LU": regexp.MustCompile(`^\d{8}$`),
	"LV": regexp.MustCompile(`^\d{11}$`),
	"MT": regexp.MustCompile(`^\d{8}$`),
	"NL": regexp.MustCompile(`^\d{9}B\d{2}$`),
	"PL": regexp.MustCompile(`^\d{10}$`),
	"PT": regexp.MustCompile(`^\d{9}$`),
	"RO": regexp.MustCompile(`^[1-9]\d{1,9}$`),
	"SE": regexp.MustCompile(`^\d{10}01$`),
	"SI": regexp.MustCompile(`^[1-9]\d{7}$`),
	"SK": regexp.MustCompile(`^[1-9]\d{9}$`),
	"XI": regexp.MustCompile(`^(\d{9}|\d{12}|GD\d{3}|HA\d{3})$`),
}

// vatChecksums check the check digit where our first markets publish one.
var vatChecksums = map[string]func(string) bool{
	"DE": func(n string) bool { // ISO 7064 MOD 11,10
		p := 10
		for _, c := range n[:8] {
			s := (int(c-'0') + p) % 10
			if s == 0 {
				s = 10
			}
			p = (2 * s) % 11
		}
		return (11-p)%10 == int(n[8]-'0')
	},
	"DK": func(n string) bool {
		w := []int{2, 7, 6, 5, 4, 3, 2, 1}
		s := 0
		for i, c := range n {
			s += w[i] * int(c-'0')
		}
		return s%11 == 0
	},
	"IT": func(n string) bool { // Luhn over 11 digits
		s := 0
		for i, c := range n {
			d := int(c - '0')
			if i%2 == 1 {
				d *= 2
				if d > 9 {
					d -= 9
				}
			}
			s += d
		}
		return s%10 == 0
	},
	"FR": func(n string) bool { // numeric key = (12 + 3 * (SIREN mod 97)) mod 97
		if n[0] < '0' || n[0] > '9' || n[1] < '0' || n[1] > '9' {
			return true // new-style alphanumeric keys carry no simple check
		}
		siren := 0
		for _, c := range n[2:] {
			siren = (siren*10 + int(c-'0')) % 97
		}
		return int(n[0]-'0')*10+int(n[1]-'0') == (12+3*siren)%97
	},
}

// viesPrefix is the VIES country code of an ISO country (Greece is EL).
func viesPrefix(country string) string {
	if country == "GR" {
		return "EL"
	}
	return country
}

// NormalizeVATID checks a VAT id's syntax for the buyer's country and
// returns it with its VIES prefix, without spaces, dots or dashes
// ("de 136.695.976" -> "DE136695976"). An empty id stays empty.
func NormalizeVATID(country, id string) (string, error) {
	id = strings.ToUpper(strings.NewReplacer(" ", "", ".", "", "-", "", "\u00a0", "").Replace(id))
	if id == "" {
		return "", nil
	}
	prefix := viesPrefix(country)
	pat, ok := vatPatterns[prefix]
	if !ok {
		return "", core.Invalid("vat_id", "EU VAT ids exist for member states only; the country is %q", country)
	}
	if prefix == "EL" && strings.HasPrefix(id, "GR") {
		return "", core.Invalid("vat_id", "Greek VAT ids use the prefix EL, not GR")
	}
	if len(id) >= 2 && id[:2] != prefix && id[0] >= 'A' && id[0] <= 'Z' && id[1] >= 'A' && id[1] <= 'Z' && vatPatterns[id[:2]] != nil {
		return "", core.Invalid("vat_id", "starts with %s but the country is %s", id[:2], country)
	}
	num := strings.TrimPrefix(id, prefix)
	if !pat.MatchString(num) {
		return "", core.Invalid("vat_id", "%q is not a valid %s VAT id", id, prefix)
	}
	if check := vatChecksums[prefix]; check != nil && !check(num) {
		return "", core.Invalid("vat_id", "%q fails the %s check digit", id, prefix)
	}
	return prefix + num, nil
}
