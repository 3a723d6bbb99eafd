package ledger

import (
	"slices"
	"strconv"
	"strings"
)

// Account is a numbered account of a chart.
type Account struct {
	Number string `json:"number"`
	Label  string `json:"label"`
}

// Chart is a preset chart of accounts: the account for each role, by
// match key. A match key is the role alone (the default), or the role
// and a refinement after "|": a basis and rate ("revenue|domestic:7"), a
// basis ("revenue|reverse_charge"), a product ("revenue|product:12"), a
// gateway ("cash|stripe") or a payment by hand by method
// ("cash|manual:cash"). The most specific key that exists wins.
type Chart struct {
	Name      string
	Label     string
	Accounts  map[string]Account
	Automatic []string // accounts that compute their VAT themselves (DATEV Automatikkonten)
}

// The preset charts: the usual accounts for a hosting company's
// services, which an accountant confirms or overrides per seller.
// Sources: DATEV Kontenrahmen SKR 03 and SKR 04 (Erlöse 19 % and 7 % as
// Automatikkonten 8400/4400 and 8300/4300; sonstige Leistungen an
// Unternehmer im übrigen Gemeinschaftsgebiet 8336/4336; im Drittland
// steuerbar 8338/4338; im anderen EU-Land steuerbar 8339/4339 with its
// Umsatzsteuer 1768/3818; Kleinunternehmer 8195/4185); the French Plan
// comptable général (411 clients, 4191 avances reçues, 44571 TVA
// collectée, 512 banque, 654 pertes sur créances irrécouvrables, 706
// prestations de services, 7638 pénalités de retard).
var charts = []Chart{
	{Name: "skr03", Label: "DATEV SKR 03", Automatic: []string{"8400", "8300"}, Accounts: map[string]Account{
		"receivable":              {"1400", "Forderungen aus Lieferungen und Leistungen"},
		"revenue":                 {"8400", "Erlöse 19 % USt"},
		"revenue|domestic:7":      {"8300", "Erlöse 7 % USt"},
		"revenue|reverse_charge":  {"8336", "Erlöse sonstige Leistungen EU, Steuerschuldnerschaft des Leistungsempfängers"},
		"revenue|oss":             {"8339", "Erlöse im anderen EU-Land steuerbare Leistungen"},
		"revenue|outside_eu":      {"8338", "Erlöse im Drittland steuerbare Leistungen"},
		"revenue|exempt":          {"8100", "Steuerfreie Umsätze"},
		"revenue|small_business":  {"8195", "Erlöse als Kleinunternehmer § 19 UStG"},
		"revenue|damages":         {"2700", "Sonstige Erträge (Mahngebühren)"},
		"vat":                     {"1776", "Umsatzsteuer 19 %"},
		"vat|domestic:7":          {"1771", "Umsatzsteuer 7 %"},
		"vat|oss":                 {"1768", "Umsatzsteuer im anderen EU-Land steuerpflichtige sonstige Leistungen"},
		"cash":                    {"1200", "Bank"},
		"cash|manual:cash":        {"1000", "Kasse"},
		"cash|stripe":             {"1360", "Geldtransit"},
		"cash|paypal":             {"1360", "Geldtransit"},
		"customer_credit":         {"1719", "Erhaltene Anzahlungen"},
		"bad_debt":                {"2400", "Forderungsverluste"},
		"bad_debt|reverse_charge": {"2402", "Forderungsverluste EU-Leistungen"},
	}},
	{Name: "skr04", Label: "DATEV SKR 04", Automatic: []string{"4400", "4300"}, Accounts: map[string]Account{
		"receivable":              {"1200", "Forderungen aus Lieferungen und Leistungen"},
		"revenue":                 {"4400", "Erlöse 19 % USt"},
		"revenue|domestic:7":      {"4300", "Erlöse 7 % USt"},
		"revenue|reverse_charge":  {"4336", "Erlöse sonstige Leistungen EU, Steuerschuldnerschaft des Leistungsempfängers"},
		"revenue|oss":             {"4339", "Erlöse im anderen EU-Land steuerbare Leistungen"},
		"revenue|outside_eu":      {"4338", "Erlöse im Drittland steuerbare Leistungen"},
		"revenue|exempt":          {"4100", "Steuerfreie Umsätze"},
		"revenue|small_business":  {"4185", "Erlöse als Kleinunternehmer § 19 UStG"},
		"revenue|damages":         {"4830", "Sonstige betriebliche Erträge (Mahngebühren)"},
		"vat":                     {"3806", "Umsatzsteuer 19 %"},
		"vat|domestic:7":          {"3801", "Umsatzsteuer 7 %"},
		"vat|oss":                 {"3818", "Umsatzsteuer im anderen EU-Land steuerpflichtige sonstige Leistungen"},
		"cash":                    {"1800", "Bank"},
		"cash|manual:cash":        {"1600", "Kasse"},
		"cash|stripe":             {"1460", "Geldtransit"},
		"cash|paypal":             {"1460", "Geldtransit"},
		"customer_credit":         {"3272", "Erhaltene Anzahlungen"},
		"bad_debt":                {"6930", "Forderungsverluste"},
		"bad_debt|reverse_charge": {"6932", "Forderungsverluste EU-Leistungen"},
	}},
	{Name: "pcg", Label: "Plan comptable général (FR)", Accounts: map[string]Account{
		"receivable":             {"411000", "Clients"},
		"revenue":                {"706000", "Prestations de services"},
		"revenue|reverse_charge": {"706200", "Prestations de services UE (autoliquidation)"},
		"revenue|oss":            {"706300", "Prestations de services UE (guichet unique OSS)"},
		"revenue|outside_eu":     {"706400", "Prestations de services hors UE"},
		"revenue|exempt":         {"706500", "Prestations de services exonérées"},
		"revenue|small_business": {"706500", "Prestations de services (franchise en base)"},
		"revenue|damages":        {"763800", "Pénalités de retard"},
		"vat":                    {"445710", "TVA collectée"},
		"vat|oss":                {"445720", "TVA collectée OSS"},
		"cash":                   {"512000", "Banque"},
		"cash|manual:cash":       {"530000", "Caisse"},
		"cash|stripe":            {"511000", "Valeurs à l'encaissement (Stripe)"},
		"cash|paypal":            {"511100", "Valeurs à l'encaissement (PayPal)"},
		"customer_credit":        {"419100", "Clients - avances et acomptes reçus"},
		"bad_debt":               {"654000", "Pertes sur créances irrécouvrables"},
	}},
	{Name: "generic", Label: "Generic", Accounts: map[string]Account{
		"receivable":             {"1100", "Accounts receivable"},
		"revenue":                {"4000", "Revenue"},
		"revenue|reverse_charge": {"4010", "Revenue, EU reverse charge"},
		"revenue|oss":            {"4020", "Revenue, EU consumers (OSS)"},
		"revenue|outside_eu":     {"4030", "Revenue, outside the EU"},
		"revenue|exempt":         {"4040", "Revenue, exempt"},
		"revenue|small_business": {"4040", "Revenue, exempt (small business)"},
		"revenue|damages":        {"4050", "Late fees"},
		"vat":                    {"2200", "VAT payable"},
		"vat|oss":                {"2210", "VAT payable, OSS"},
		"cash":                   {"1000", "Bank"},
		"cash|manual:cash":       {"1010", "Cash"},
		"cash|stripe":            {"1020", "Stripe clearing"},
		"cash|paypal":            {"1030", "PayPal clearing"},
		"customer_credit":        {"2300", "Customer prepayments"},
		"bad_debt":               {"6900", "Bad debts"},
	}},
	// custom: the seller maps every account itself.
	{Name: "custom", Label: "Custom", Accounts: map[string]Account{}},
}

// Charts lists the presets.
func Charts() []Chart { return slices.Clone(charts) }

// ChartOf returns a preset by name (false when unknown).
func ChartOf(name string) (Chart, bool) {
	i := slices.IndexFunc(charts, func(c Chart) bool { return c.Name == name })
	if i < 0 {
		return Chart{}, false
	}
	return charts[i], true
}

// matchKeys are the keys an account is looked up by, most specific
// first. A supply under the Art. 59c threshold is booked as a domestic
// one unless the chart says otherwise.
func matchKeys(role, taxKey string, product int64, gateway string) []string {
	var out []string
	if product != 0 {
		out = append(out, role+"|product:"+strconv.FormatInt(product, 10))
	}
	if taxKey != "" {
		_, rate, basis := splitKey(taxKey)
		out = append(out, role+"|"+basis+":"+rate, role+"|"+basis)
		if basis == "under_threshold" {
			out = append(out, role+"|domestic:"+rate, role+"|domestic")
		}
	}
	if gateway != "" {
		out = append(out, role+"|"+gateway)
		if g, _, ok := strings.Cut(gateway, ":"); ok {
			out = append(out, role+"|"+g)
		}
	}
	return append(out, role)
}

// Mapping is a seller's chart: its preset and its own accounts over it.
type Mapping struct {
	Chart Chart
	Own   map[string]Account // by match key
}

// Resolve finds the account for a line: the seller's own first, then
// the preset's, most specific key first; ok is false when neither has
// one.
func (m Mapping) Resolve(role, taxKey string, product int64, gateway string) (Account, bool) {
	keys := matchKeys(role, taxKey, product, gateway)
	for _, k := range keys {
		if a, ok := m.Own[k]; ok {
			return a, true
		}
		if a, ok := m.Chart.Accounts[k]; ok {
			return a, true
		}
	}
	return Account{}, false
}

// Automatic reports whether account computes its VAT itself.
func (m Mapping) Automatic(account string) bool { return slices.Contains(m.Chart.Automatic, account) }
