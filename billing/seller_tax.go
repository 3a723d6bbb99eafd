package billing

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
)

// SellerTaxInput sets how a seller (the operator or a reseller) taxes its
// supplies.
type SellerTaxInput struct {
	Scheme  string `json:"tax_scheme"` // SchemeStandard or SchemeSmallBusiness
	OSSMode string `json:"oss_mode"`   // OSSThreshold or OSSDestination
}

// SellerTax is a seller's tax page: its scheme, its option, its Art. 59c
// tally and the invoices a rate change has overtaken.
type SellerTax struct {
	SellerID      int64          `json:"seller_id"`
	Country       string         `json:"country"`
	VATID         string         `json:"vat_id"`
	Scheme        string         `json:"tax_scheme"`
	OSSMode       string         `json:"oss_mode"`
	SmallBusiness *SmallBusiness `json:"small_business,omitempty"` // the scheme of the seller's country, if any
	Tally         OSSTally       `json:"tally"`
	Destination   bool           `json:"destination"` // supplies to consumers in other member states are taxed where they are
	RateChanges   []RateChange   `json:"rate_changes"`
}

// Schemes lists the tax schemes a seller may choose.
var Schemes = []string{SchemeStandard, SchemeSmallBusiness}

// OSSModes lists the ways a seller may tax supplies to consumers in other
// member states.
var OSSModes = []string{OSSThreshold, OSSDestination}

// sellerRow loads a seller tenant the scope sees; a client is no seller.
func (s *Service) sellerRow(ctx context.Context, scope tenancy.Scope, id int64) (tenantRow, error) {
	t, err := s.tenant(ctx, scope, id)
	if err != nil {
		return t, err
	}
	if t.Kind != "operator" && t.Kind != "reseller" {
		return t, core.E(core.ErrNotFound, "tenant %d is not a seller: only the operator and resellers have tax settings", id)
	}
	return t, nil
}

// SellerTax returns a seller's tax settings with its tally for the year
// of day and the invoices whose rate a change overtook.
func (s *Service) SellerTax(ctx context.Context, scope tenancy.Scope, sellerID int64, day Date) (SellerTax, error) {
	if _, err := s.sellerRow(ctx, scope, sellerID); err != nil {
		return SellerTax{}, err
	}
	p, err := s.Profile(ctx, scope, sellerID)
	if err != nil {
		return SellerTax{}, err
	}
	out := SellerTax{SellerID: sellerID, Country: p.Country, VATID: p.VATID, Scheme: cmp.Or(p.TaxScheme, SchemeStandard),
		OSSMode: cmp.Or(p.OSSMode, OSSThreshold), SmallBusiness: SmallBusinessScheme(p.Country)}
	if out.Tally, err = s.readTally(ctx, sellerID, day.Year); err != nil {
		return out, err
	}
	out.Destination = out.Tally.Destination()
	if out.RateChanges, err = s.RateChanges(ctx, scope, sellerID, day); err != nil {
		return out, err
	}
	return out, nil
}

// Validate reports every problem of the input for a seller in country.
func (in *SellerTaxInput) Validate(country string) error {
	in.Scheme, in.OSSMode = strings.TrimSpace(in.Scheme), strings.TrimSpace(in.OSSMode)
	var v core.ValidationError
	switch {
	case !slices.Contains(Schemes, in.Scheme):
		v.Addf("tax_scheme", "must be one of %s", strings.Join(Schemes, ", "))
	case in.Scheme == SchemeSmallBusiness && SmallBusinessScheme(country) == nil:
		var known []string
		for _, c := range slices.Sorted(maps.Keys(smallBusinessSchemes)) {
			known = append(known, c+" ("+smallBusinessSchemes[c].Law+")")
		}
		v.Addf("tax_scheme", "no small-business scheme is known for a seller in %q: Faktura knows %s", country, strings.Join(known, ", "))
	}
	switch {
	case !slices.Contains(OSSModes, in.OSSMode):
		v.Addf("oss_mode", "must be one of %s", strings.Join(OSSModes, ", "))
	case in.OSSMode == OSSDestination && !InEU(country):
		v.Addf("oss_mode", "the Art. 59c threshold and its option are for a seller established in a member state; %q is not one", country)
	}
	return v.Err()
}

// reverseChargeBuyers counts a seller's customers in other member states
// whose VAT id VIES confirmed: those it invoices under reverse charge.
func (s *Service) reverseChargeBuyers(ctx context.Context, sellerID int64, country string) (int64, error) {
	var n int64
	err := s.db.Conn(ctx).Table("billing_profiles").Joins("JOIN tenants ON tenants.id = billing_profiles.tenant_id").
		Where("tenants.parent_id = ? AND billing_profiles.vat_status = ? AND billing_profiles.country <> ?", sellerID, VATValid, country).Count(&n).Error
	if err != nil {
		return 0, fmt.Errorf("reverse-charge customers of seller %d: %w", sellerID, err)
	}
	return n, nil
}

// reverseChargeProblem is the field error of a small-business seller
// without a VAT id of its own that has customers in other member states
// under reverse charge: Art. 214(1)(e) of the Directive identifies such a
// seller for VAT, and the invoice must carry its id (Art. 226(3), BR-AE-02).
func (s *Service) reverseChargeProblem(ctx context.Context, sellerID int64, country, vatID, scheme, field string) error {
	if scheme != SchemeSmallBusiness || vatID != "" {
		return nil
	}
	n, err := s.reverseChargeBuyers(ctx, sellerID, country)
	if err != nil || n == 0 {
		return err
	}
	return core.Invalid(field, "a small-business seller that bills business customers in other member states under reverse charge (%d here) needs a VAT id of its own (Art. 214(1)(e) of Directive 2006/112/EC), printed on those invoices: set the VAT id in the billing profile first", n)
}

// SaveSellerTax validates and stores a seller's tax settings.
func (s *Service) SaveSellerTax(ctx context.Context, scope tenancy.Scope, sellerID int64, in SellerTaxInput) (SellerTax, error) {
	if _, err := s.sellerRow(ctx, scope, sellerID); err != nil {
		return SellerTax{}, err
	}
	err := s.tx(ctx, func(ctx context.Context) error {
		p, err := s.Profile(ctx, scope, sellerID)
		if err != nil {
			return err
		}
		if p.CreatedAt.IsZero() {
			return core.Invalid("country", "the seller has no billing profile yet: save its country and address first")
		}
		if err := in.Validate(p.Country); err != nil {
			return err
		}
		if in.Scheme == SchemeSmallBusiness && p.VATID == "" && p.TaxNumber == "" && (p.Country != "DK" || p.RegistrationID == "") {
			return core.Invalid("tax_scheme", "a small-business seller's invoices must carry its tax number (in Denmark its CVR number) or VAT id (Art. 226(3) of Directive 2006/112/EC; EN 16931 BR-E-02): set one in the billing profile first")
		}
		if err := s.reverseChargeProblem(ctx, sellerID, p.Country, p.VATID, in.Scheme, "tax_scheme"); err != nil {
			return err
		}
		before := map[string]string{"tax_scheme": p.TaxScheme, "oss_mode": p.OSSMode}
		err = s.db.Conn(ctx).Model(&Profile{}).Where("tenant_id = ?", sellerID).
			Updates(map[string]any{"tax_scheme": in.Scheme, "oss_mode": in.OSSMode, "updated_at": s.now()}).Error
		if err != nil {
			return fmt.Errorf("save tax settings of seller %d: %w", sellerID, err)
		}
		return s.record(ctx, "billing.seller_tax.save", "billing_profile", sellerID, sellerID, p.TenantPath, before,
			map[string]string{"tax_scheme": in.Scheme, "oss_mode": in.OSSMode})
	})
	if err != nil {
		return SellerTax{}, err
	}
	day, err := s.SellerDay(ctx, sellerID)
	if err != nil {
		return SellerTax{}, err
	}
	return s.SellerTax(ctx, scope, sellerID, day)
}

// SellerDay is today in the seller's time zone.
func (s *Service) SellerDay(ctx context.Context, sellerID int64) (Date, error) {
	loc, err := s.sellerZone(ctx, sellerID)
	if err != nil {
		return Date{}, err
	}
	return LocalDay(s.now(), loc), nil
}
