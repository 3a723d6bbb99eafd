package billing

import (
	"cmp"
	"slices"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
	"faktura/panel/core/country"
	"faktura/panel/core/money"
)

// Category is the EN 16931 VAT category code (UNTDID 5305).
type Category string

// The categories the rules produce.
const (
	CategoryStandard      Category = "S"  // taxed at a rate
	CategoryReverseCharge Category = "AE" // the buyer accounts for VAT
	CategoryExempt        Category = "E"  // exempt, with the reason
	CategoryOutside       Category = "O"  // outside the scope of EU VAT
)

// VATStatus is what VIES last said about a buyer's VAT id.
type VATStatus string

// VAT id check states.
const (
	VATNone        VATStatus = ""            // no VAT id given
	VATUnchecked   VATStatus = "unchecked"   // given, not checked yet
	VATValid       VATStatus = "valid"       // VIES confirmed it
	VATInvalid     VATStatus = "invalid"     // VIES rejected it
	VATUnavailable VATStatus = "unavailable" // VIES gave no verdict
)

// ViesFallback says how the run treats a buyer whose VAT id VIES could
// not check: by the last valid answer, or as a consumer.
type ViesFallback string

// Fallbacks.
const (
	FallbackLastValid ViesFallback = "last_valid"
	FallbackConsumer  ViesFallback = "consumer"
)

// The seller tax schemes.
const (
	SchemeStandard      = "standard"       // charges VAT
	SchemeSmallBusiness = "small_business" // a national small-business exemption (Art. 281-294 of the Directive)
)

// The ways a seller taxes its cross-border supplies to consumers.
const (
	OSSThreshold   = "threshold"   // Art. 59c: its own rate until its EU-wide tally passes EUR 10,000
	OSSDestination = "destination" // opted in: the customer's country's rate from the first supply
)

// TaxSeller is the seller side of a tax decision.
type TaxSeller struct {
	Country string
	VATID   string
	Scheme  string // SchemeStandard (or empty) or SchemeSmallBusiness
	// Destination taxes a supply to a consumer in another member state
	// where the consumer is (Art. 58): the seller opted in, or its Art. 59c
	// tally passed the threshold this or last year. Otherwise the supply
	// is made where the seller is established (Art. 59c(1)).
	Destination bool
}

// TaxBuyer is the buyer side: its address (country, postcode, region:
// the territory of the supply), VAT id with its check, registration,
// exemption.
type TaxBuyer struct {
	Country      string
	PostalCode   string
	Region       string
	VATID        string
	Registration string // a company registration: a business, for the article of a supply outside the EU
	VAT          VATStatus
	LastValid    bool // an earlier VIES answer confirmed this id
	Exempt       bool
	ExemptReason string
	ExemptCode   string // the exemption's VATEX code
}

// TaxDecision is the category, rate and legal note of a supply.
type TaxDecision struct {
	Category Category        `json:"category"`
	Rate     decimal.Decimal `json:"rate"` // percent
	Basis    string          `json:"basis"`
	Note     string          `json:"note_key,omitempty"`
	Reason   string          `json:"reason,omitempty"` // exemption reason
	Flag     string          `json:"flag,omitempty"`   // vat_unverified when VIES gave no verdict
	// VATEX is the exemption reason code (CEF VATEX list) of an AE, E or
	// O decision, for the e-invoice's BT-121.
	VATEX string `json:"vatex,omitempty"`
}

// The VATEX codes the rules give.
const (
	VATEXReverseCharge = "VATEX-EU-AE"
	VATEXOutside       = "VATEX-EU-O"
)

// Bases of a decision, for reports and the OSS return.
const (
	BasisDomestic      = "domestic"
	BasisReverseCharge = "reverse_charge"
	BasisOSS           = "oss"
	BasisOutsideEU     = "outside_eu"
	BasisExempt        = "exempt"
	BasisDamages       = "damages" // late fees and interest: outside the scope of VAT
	// BasisUnderThreshold is a supply to a consumer in another member
	// state taxed where the seller is, its Art. 59c tally being under the
	// threshold. With BasisOSS, it is what the tally counts.
	BasisUnderThreshold = "under_threshold"
	BasisSmallBusiness  = "small_business" // exempt under the seller's national small-business scheme
)

// CrossBorderB2C reports whether a basis is a supply to a consumer in
// another member state: what the Art. 59c tally counts.
func CrossBorderB2C(basis string) bool { return basis == BasisOSS || basis == BasisUnderThreshold }

// FlagVATUnverified marks an invoice taxed without a VIES verdict.
const FlagVATUnverified = "vat_unverified"

// DecideTax applies the EU rules for electronically supplied services on
// day to the territory of the buyer's address (PlaceOf): a special
// territory outside the EU VAT area (Art. 6) -> outside scope (O, note);
// domestic -> the seller's standard rate, or the region's (S), or for a
// small-business seller its national exemption (E); EU business with a
// VIES-valid id -> reverse charge (AE, note); EU consumer -> the buyer's
// country's (or region's) rate (S, OSS) once the seller is past the Art.
// 59c threshold or opted in, the seller's own treatment before; outside
// the EU -> outside scope (O, Art. 44 for a business, Art. 58 for a
// consumer). A VAT id counts only where VIES confirmed it for a member
// state: a Northern Ireland (XI) number or a non-EU one never makes a
// service AE.
func DecideTax(seller TaxSeller, buyer TaxBuyer, day Date, fb ViesFallback) (TaxDecision, error) {
	var v core.ValidationError
	switch {
	case seller.Country == "":
		v.Add("seller.country", "the seller has no country in its billing profile")
	case !country.Valid(seller.Country):
		v.Addf("seller.country", "the seller's country %q %s", seller.Country, country.Problem(seller.Country))
	}
	switch {
	case buyer.Country == "":
		v.Add("country", "the buyer has no country in its billing profile")
	case !country.Valid(buyer.Country):
		v.Addf("country", "the buyer's country %q %s", buyer.Country, country.Problem(buyer.Country))
	}
	if seller.Scheme == SchemeSmallBusiness && SmallBusinessScheme(seller.Country) == nil {
		v.Addf("seller.tax_scheme", "no small-business scheme is known for %s", seller.Country)
	}
	if err := v.Err(); err != nil {
		return TaxDecision{}, err
	}
	if buyer.Exempt {
		return TaxDecision{Category: CategoryExempt, Rate: decimal.Zero, Basis: BasisExempt, Note: "exempt", Reason: buyer.ExemptReason, VATEX: buyer.ExemptCode}, nil
	}
	place := PlaceOf(buyer.Country, buyer.PostalCode, buyer.Region, seller.Country)
	business := buyer.VATID != "" || buyer.Registration != ""
	if t := place.Territory; t != nil && t.Outside {
		note := "territory"
		if t.ForSellerIn != "" {
			note = "territory_national" // a national rule: French Guiana and Mayotte for a French seller
		}
		return TaxDecision{Category: CategoryOutside, Rate: decimal.Zero, Basis: BasisOutsideEU, Note: note, Reason: t.Name + " (" + t.Article + ")", VATEX: VATEXOutside}, nil
	}
	switch {
	case !InEU(seller.Country) || !InEU(place.Country) && place.Country != seller.Country:
		if business {
			return TaxDecision{Category: CategoryOutside, Rate: decimal.Zero, Basis: BasisOutsideEU, Note: "outside_eu", VATEX: VATEXOutside}, nil
		}
		return TaxDecision{Category: CategoryOutside, Rate: decimal.Zero, Basis: BasisOutsideEU, Note: "outside_eu_consumer", VATEX: VATEXOutside}, nil
	case place.Country == seller.Country:
		return origin(seller, place, day, BasisDomestic, "")
	}
	flag := ""
	switch buyer.VAT {
	case VATValid:
		return reverseCharge(""), nil
	case VATUnavailable, VATUnchecked:
		if fb == FallbackLastValid && buyer.LastValid {
			return reverseCharge(FlagVATUnverified), nil
		}
		flag = FlagVATUnverified
	}
	if !seller.Destination {
		return origin(seller, place, day, BasisUnderThreshold, flag) // Art. 59c(1): taxed where the seller is
	}
	return regional(standard(place.Country, day, BasisOSS, flag))(place, day)
}

// origin is a supply taxed where the seller is established: its small-
// business exemption, or its standard rate (the region's, for a domestic
// supply to the Azores, Madeira or a French overseas department).
func origin(seller TaxSeller, place Place, day Date, basis, flag string) (TaxDecision, error) {
	if seller.Scheme == SchemeSmallBusiness {
		sb := SmallBusinessScheme(seller.Country)
		if basis == BasisDomestic {
			basis = BasisSmallBusiness
		}
		return TaxDecision{Category: CategoryExempt, Rate: decimal.Zero, Basis: basis, Note: sb.Note, VATEX: sb.VATEX, Flag: flag}, nil
	}
	d, err := standard(seller.Country, day, basis, flag)
	if basis != BasisDomestic {
		return d, err
	}
	return regional(d, err)(place, day)
}

// regional replaces a standard decision's rate by the region's own, where
// the place has one (the Azores, Madeira, the French overseas
// departments for a French seller).
func regional(d TaxDecision, err error) func(Place, Date) (TaxDecision, error) {
	return func(p Place, day Date) (TaxDecision, error) {
		if err != nil {
			return d, err
		}
		if r, ok := p.Territory.RegionalRate(day); ok {
			d.Rate = r
		}
		return d, nil
	}
}

func reverseCharge(flag string) TaxDecision {
	return TaxDecision{Category: CategoryReverseCharge, Rate: decimal.Zero, Basis: BasisReverseCharge, Note: "reverse_charge", Flag: flag, VATEX: VATEXReverseCharge}
}

func standard(country string, day Date, basis, flag string) (TaxDecision, error) {
	r, ok := StandardRate(country, day)
	if !ok {
		return TaxDecision{}, core.E(core.ErrPrecondition, "no VAT rate for %s on %s", country, day)
	}
	return TaxDecision{Category: CategoryStandard, Rate: r, Basis: basis, Flag: flag}, nil
}

// TaxLine is the VAT of one category and rate on an invoice.
type TaxLine struct {
	Category Category `json:"category"`
	Rate     string   `json:"rate"`
	Base     int64    `json:"base_minor"`
	Tax      int64    `json:"tax_minor"`
	Note     string   `json:"note,omitempty"`
}

// VATAmount is the one place VAT is rounded: base times rate percent,
// half away from zero, to the currency's minor unit (EN 16931 BR-CO-17).
func VATAmount(base money.Money, ratePercent decimal.Decimal) (money.Money, error) {
	return base.Mul(ratePercent.Div(decimal.NewFromInt(100)), money.RoundHalfUp)
}

// TaxedLine is what TaxBreakdown needs of an invoice line: its rounded
// net amount and its category and rate.
type TaxedLine struct {
	Net      int64
	Category Category
	Rate     decimal.Decimal
}

// TaxBreakdown sums line net amounts per (category, rate) and computes
// the VAT of each sum, never of single lines.
func TaxBreakdown(cur money.Currency, lines []TaxedLine) ([]TaxLine, error) {
	type key struct {
		cat  Category
		rate string
	}
	sums := map[key]int64{}
	for _, l := range lines {
		k := key{l.Category, l.Rate.String()}
		s, err := money.Add64(sums[k], l.Net)
		if err != nil {
			return nil, err
		}
		sums[k] = s
	}
	out := make([]TaxLine, 0, len(sums))
	for k, base := range sums {
		vat, err := VATAmount(money.Money{Amount: base, Currency: cur}, decimal.RequireFromString(k.rate))
		if err != nil {
			return nil, err
		}
		out = append(out, TaxLine{Category: k.cat, Rate: k.rate, Base: base, Tax: vat.Amount})
	}
	slices.SortFunc(out, func(a, b TaxLine) int {
		return cmp.Or(cmp.Compare(a.Category, b.Category), cmp.Compare(a.Rate, b.Rate))
	})
	return out, nil
}
