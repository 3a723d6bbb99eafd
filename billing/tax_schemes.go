package billing

// SmallBusiness is a member state's small-business exemption (Art. 281 to
// 294 of Directive 2006/112/EC, as each state enacted it): the seller
// charges no VAT on its supplies taxed in its own state, and its invoices
// carry the note the national law asks for, as category E.
type SmallBusiness struct {
	Country string
	Name    string // the scheme's national name
	Law     string // the provision the note cites
	Note    string // key of the legal note (taxNotes)
	// VATEX is the scheme's code in the CEF VATEX list, where it has one
	// (France's franchise en base). The list has none for the German,
	// Italian or Danish schemes: their e-invoices give the note as the
	// exemption reason text (BT-120), which BR-E-10 accepts alone.
	VATEX string
}

// smallBusinessSchemes are the schemes a seller may choose. Sources: § 19
// UStG (Germany, as amended from 2025 by the Jahressteuergesetz 2024);
// art. 293 B du Code général des impôts (France); Legge 23 dicembre 2014
// n. 190, art. 1 commi 54-89 (Italy, regime forfettario); momsloven § 48
// (Denmark: no registration below DKK 50,000 a year).
var smallBusinessSchemes = map[string]SmallBusiness{
	"DE": {Country: "DE", Name: "Kleinunternehmerregelung", Law: "§ 19 UStG", Note: "small_business_DE"},
	"FR": {Country: "FR", Name: "Franchise en base de TVA", Law: "art. 293 B du CGI", Note: "small_business_FR", VATEX: "VATEX-FR-FRANCHISE"},
	"IT": {Country: "IT", Name: "Regime forfettario", Law: "art. 1, commi 54-89, L. 190/2014", Note: "small_business_IT"},
	"DK": {Country: "DK", Name: "Momsfritagelse for små virksomheder", Law: "momsloven § 48", Note: "small_business_DK"},
}

// SmallBusinessScheme is the small-business scheme of a seller's country;
// nil where Faktura knows none.
func SmallBusinessScheme(country string) *SmallBusiness {
	if sb, ok := smallBusinessSchemes[country]; ok {
		return &sb
	}
	return nil
}

// OSSThresholdMinor is the Art. 59c(1)(c) threshold, EUR 10,000.00, in
// euro cents: a seller established in one member state whose supplies to
// consumers in other member states stay under it, this calendar year and
// the last, taxes them where it is established.
const OSSThresholdMinor = 1_000_000
