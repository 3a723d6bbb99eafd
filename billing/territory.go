package billing

import (
	"slices"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"
)

// The territory of a supply: where the buyer's address puts it for VAT,
// which is not always the country its code spells.
//
// Sources: Council Directive 2006/112/EC, Art. 6 (territories of member
// states excluded from the EU VAT area) and Art. 7 (Monaco, the Isle of
// Man and the sovereign base areas treated as France, the United Kingdom
// and Cyprus); the postcode ranges as the national postal operators
// publish them (Deutsche Post, Correos, Posti, ELTA, Poste Italiane, La
// Poste, CTT); the regional rates of the Azores and Madeira from
// Portugal's Código do IVA, art. 18(3), and of the French overseas
// departments from the Code général des impôts, art. 294 and 296.

// Territory is a special territory: a place a member state's address
// can be in whose VAT treatment differs from the state's.
type Territory struct {
	Code    string // a short name, e.g. "ES-CN"
	Name    string
	State   string   // the member state whose addresses it uses (ISO 3166-1)
	Codes   []string // country codes an address may spell it with (AX for Åland)
	From    string   // postcodes (digits only, compared as numbers of the same length) from ...
	To      string   // ... to, inclusive
	Regions []string // region names that mean it, lower case
	// Outside: outside the EU VAT area (Art. 6): supplies to it are
	// outside the scope of EU VAT.
	Outside bool
	// Rates: a regional standard rate in force from a day on (Azores,
	// Madeira, the French overseas departments for a French seller).
	Rates []rate
	// ForSellerIn: the treatment applies only to sellers of this state
	// (empty: to all); NotForSellerIn: to all but them (who follow a
	// national rule of their own, listed with ForSellerIn).
	ForSellerIn    string
	NotForSellerIn string
	Article        string
}

// territories is the one table of special territories.
var territories = []Territory{
	{Code: "DE-HEL", Name: "Heligoland", State: "DE", From: "27498", To: "27498", Regions: []string{"helgoland", "heligoland"}, Outside: true, Article: "Art. 6(2)(d)"},
	{Code: "DE-BUS", Name: "Büsingen am Hochrhein", State: "DE", From: "78266", To: "78266", Regions: []string{"büsingen", "busingen"}, Outside: true, Article: "Art. 6(2)(d)"},
	{Code: "ES-CN", Name: "Canary Islands", State: "ES", From: "35000", To: "35999", Regions: []string{"canarias", "canary islands", "las palmas", "santa cruz de tenerife"}, Outside: true, Article: "Art. 6(1)(b)"},
	{Code: "ES-CN", Name: "Canary Islands", State: "ES", From: "38000", To: "38999", Outside: true, Article: "Art. 6(1)(b)"},
	{Code: "ES-CE", Name: "Ceuta", State: "ES", From: "51000", To: "51999", Regions: []string{"ceuta"}, Outside: true, Article: "Art. 6(2)(f)"},
	{Code: "ES-ML", Name: "Melilla", State: "ES", From: "52000", To: "52999", Regions: []string{"melilla"}, Outside: true, Article: "Art. 6(2)(f)"},
	{Code: "FI-01", Name: "Åland Islands", State: "FI", Codes: []string{"AX"}, From: "22000", To: "22999", Regions: []string{"åland", "aland", "ahvenanmaa"}, Outside: true, Article: "Art. 6(1)(d)"},
	{Code: "GR-69", Name: "Mount Athos", State: "GR", From: "63086", To: "63087", Regions: []string{"mount athos", "agio oros", "άγιο όρος"}, Outside: true, Article: "Art. 6(1)(a)"},
	{Code: "IT-LIV", Name: "Livigno", State: "IT", From: "23041", To: "23041", Regions: []string{"livigno"}, Outside: true, Article: "Art. 6(2)(e)"},
	{Code: "IT-CAM", Name: "Campione d'Italia", State: "IT", From: "22060", To: "22061", Regions: []string{"campione d'italia"}, Outside: true, Article: "Art. 6(2)(e)"},
	// The French overseas departments (Art. 349 TFEU) are outside the EU
	// VAT area for a seller outside France; in France, Guadeloupe,
	// Martinique and Réunion tax at 8.5 % (CGI art. 296), French Guiana
	// and Mayotte not at all (CGI art. 294).
	{Code: "FR-GP", Name: "Guadeloupe", State: "FR", Codes: []string{"GP"}, NotForSellerIn: "FR", From: "97100", To: "97199", Outside: true, Article: "Art. 6(1)(c)"},
	{Code: "FR-MQ", Name: "Martinique", State: "FR", Codes: []string{"MQ"}, NotForSellerIn: "FR", From: "97200", To: "97299", Outside: true, Article: "Art. 6(1)(c)"},
	{Code: "FR-GF", Name: "French Guiana", State: "FR", Codes: []string{"GF"}, NotForSellerIn: "FR", From: "97300", To: "97399", Outside: true, Article: "Art. 6(1)(c)"},
	{Code: "FR-RE", Name: "Réunion", State: "FR", Codes: []string{"RE"}, NotForSellerIn: "FR", From: "97400", To: "97499", Outside: true, Article: "Art. 6(1)(c)"},
	{Code: "FR-YT", Name: "Mayotte", State: "FR", Codes: []string{"YT"}, NotForSellerIn: "FR", From: "97600", To: "97699", Outside: true, Article: "Art. 6(1)(c)"},
	{Code: "FR-GP", Name: "Guadeloupe", State: "FR", Codes: []string{"GP"}, From: "97100", To: "97199", ForSellerIn: "FR", Rates: []rate{{"2000-04-01", "8.5"}}, Article: "CGI art. 296"},
	{Code: "FR-MQ", Name: "Martinique", State: "FR", Codes: []string{"MQ"}, From: "97200", To: "97299", ForSellerIn: "FR", Rates: []rate{{"2000-04-01", "8.5"}}, Article: "CGI art. 296"},
	{Code: "FR-RE", Name: "Réunion", State: "FR", Codes: []string{"RE"}, From: "97400", To: "97499", ForSellerIn: "FR", Rates: []rate{{"2000-04-01", "8.5"}}, Article: "CGI art. 296"},
	{Code: "FR-GF", Name: "French Guiana", State: "FR", Codes: []string{"GF"}, From: "97300", To: "97399", ForSellerIn: "FR", Outside: true, Article: "CGI art. 294"},
	{Code: "FR-YT", Name: "Mayotte", State: "FR", Codes: []string{"YT"}, From: "97600", To: "97699", ForSellerIn: "FR", Outside: true, Article: "CGI art. 294"},
	// Portugal's autonomous regions tax at their own rates.
	{Code: "PT-20", Name: "Azores", State: "PT", From: "9500", To: "9999", Regions: []string{"açores", "acores", "azores"}, Rates: []rate{{"2014-01-01", "18"}, {"2021-07-01", "16"}}, Article: "CIVA art. 18(3)"},
	{Code: "PT-30", Name: "Madeira", State: "PT", From: "9000", To: "9499", Regions: []string{"madeira"}, Rates: []rate{{"2012-04-01", "22"}}, Article: "CIVA art. 18(3)"},
}

// treatedAs is Art. 7: territories outside the EU treated as a member
// state (Monaco as France, the sovereign base areas as Cyprus) or as a
// third country (the Isle of Man as the United Kingdom).
var treatedAs = map[string]string{"MC": "FR", "IM": "GB"}

// sovereignBases are the region names of the United Kingdom's sovereign
// base areas on Cyprus, treated as Cyprus (Art. 7(1)).
var sovereignBases = []string{"akrotiri", "dhekelia", "episkopi"}

// Place is where an address puts a supply for VAT.
type Place struct {
	Country   string     // the state whose rules apply: the address's, or the one Art. 7 names
	Territory *Territory // a special territory, when the address is in one
}

// PlaceOf resolves an address (country, postcode, region) for a seller
// established in sellerCountry: Art. 7's territories become the state
// they are treated as, and a special territory is found by its own
// country code, its postcode range or its region name, however the
// address spells the country.
func PlaceOf(country, postcode, region, sellerCountry string) Place {
	country = strings.ToUpper(strings.TrimSpace(country))
	reg := strings.ToLower(strings.TrimSpace(region))
	if as, ok := treatedAs[country]; ok {
		return Place{Country: as}
	}
	if country == "GB" || country == "CY" {
		for _, b := range sovereignBases {
			if strings.Contains(reg, b) {
				return Place{Country: "CY"}
			}
		}
	}
	digits := postcodeDigits(postcode)
	for i := range territories {
		t := &territories[i]
		if t.ForSellerIn != "" && t.ForSellerIn != sellerCountry || t.NotForSellerIn == sellerCountry {
			continue
		}
		if country != t.State && !slices.Contains(t.Codes, country) {
			continue
		}
		n := len(t.From)
		byPostcode := len(digits) >= n && digits[:n] >= t.From && digits[:n] <= t.To
		if slices.Contains(t.Codes, country) || byPostcode || slices.Contains(t.Regions, reg) {
			return Place{Country: t.State, Territory: t}
		}
	}
	return Place{Country: country}
}

// postcodeDigits is the postcode's digits as the territory table compares
// them (a Portuguese "9500-321" is 9500321, a Finnish "AX-22100" 22100).
func postcodeDigits(postcode string) string {
	var b strings.Builder
	for _, r := range postcode {
		if unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// RegionalRate is t's standard rate on day, if it has its own.
func (t *Territory) RegionalRate(day Date) (decimal.Decimal, bool) {
	if t == nil || len(t.Rates) == 0 {
		return decimal.Decimal{}, false
	}
	var found string
	for _, r := range t.Rates {
		if r.from <= day.String() {
			found = r.percent
		}
	}
	if found == "" {
		return decimal.Decimal{}, false
	}
	return decimal.RequireFromString(found), true
}
