package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/country"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
)

// ProfileInput sets a tenant's billing profile.
type ProfileInput struct {
	LegalName       string `json:"legal_name"`
	Address1        string `json:"address1"`
	Address2        string `json:"address2"`
	PostalCode      string `json:"postal_code"`
	City            string `json:"city"`
	Region          string `json:"region"`
	Country         string `json:"country"`
	Email           string `json:"email"`
	VATID           string `json:"vat_id"`
	RegistrationID  string `json:"registration_id"`
	Currency        string `json:"currency"`
	Language        string `json:"language"`
	InvoiceGrouping string `json:"invoice_grouping"`
	TaxExempt       bool   `json:"tax_exempt"`
	TaxExemptReason string `json:"tax_exempt_reason"`
	TaxExemptCode   string `json:"tax_exempt_code"` // the exemption's VATEX code, for the e-invoice
	Timezone        string `json:"timezone"`
	InvoicePrefix   string `json:"invoice_prefix"`
	CreditPrefix    string `json:"credit_prefix"`
	IBAN            string `json:"iban"` // a seller's account for bank transfers
	BIC             string `json:"bic"`
	TaxNumber       string `json:"tax_number"` // Steuernummer, codice fiscale
	Phone           string `json:"phone"`
	EndpointID      string `json:"endpoint_id"`     // electronic address, scheme:id (Peppol)
	BuyerReference  string `json:"buyer_reference"` // BT-10; the Leitweg-ID of a German public buyer
	EInvoice        string `json:"einvoice"`        // one of EInvoiceFormats
	OrderReference  string `json:"order_reference"` // BT-13, a standing purchase order number
}

var prefixRE = regexp.MustCompile(`^[A-Za-z0-9/_-]{0,12}$`)

var bicRE = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)

// IBANProblem checks an IBAN (no spaces, upper case; empty is none): its
// country, length and ISO 7064 mod-97 check digits. It answers "" for a
// good one.
func IBANProblem(iban string) string {
	if iban == "" {
		return ""
	}
	if len(iban) < 15 || len(iban) > 34 || !country.Valid(iban[:2]) || iban[2] < '0' || iban[2] > '9' || iban[3] < '0' || iban[3] > '9' {
		return "is not an IBAN (a country code, 2 check digits, then the account, 15 to 34 characters)"
	}
	if Mod97(iban[4:]+iban[:4]) != 1 {
		return "has wrong check digits: check it for a typo"
	}
	return ""
}

// Mod97 is the ISO 7064 MOD 97-10 remainder of s, letters counting as
// 10 (A) to 35 (Z); -1 when s holds anything else.
func Mod97(s string) int {
	r := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			r = (r*100 + int(c-'A'+10)) % 97
		default:
			return -1
		}
	}
	return r
}

// exemptCode matches the VATEX codes of the CEF list an exemption (E)
// takes: the Directive's exempting articles with their letters, Art.
// 79(c), and France's franchise en base.
var exemptCode = regexp.MustCompile(`^VATEX-(EU-(132|143|148|151)(-1?[A-Z])?|EU-309|EU-79-C|FR-FRANCHISE)$`)

// Validate normalises the input and reports every problem.
func (in *ProfileInput) Validate() error {
	var v core.ValidationError
	for _, f := range []*string{&in.LegalName, &in.Address1, &in.Address2, &in.PostalCode, &in.City, &in.Region, &in.Email,
		&in.RegistrationID, &in.TaxExemptReason, &in.TaxExemptCode, &in.Timezone, &in.InvoicePrefix, &in.CreditPrefix, &in.InvoiceGrouping, &in.Language} {
		*f = strings.TrimSpace(*f)
	}
	in.Country = country.Normalize(in.Country)
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	switch {
	case in.Country == "":
		v.Add("country", "is required: it decides the VAT")
	case !country.Valid(in.Country):
		v.Addf("country", "%q %s", in.Country, country.Problem(in.Country))
	}
	if in.LegalName == "" || len(in.LegalName) > 200 {
		v.Add("legal_name", "must be 1-200 characters")
	}
	for f, s := range map[string]string{"address1": in.Address1, "address2": in.Address2, "city": in.City, "region": in.Region} {
		if len(s) > 200 {
			v.Add(f, "must be at most 200 characters")
		}
	}
	if len(in.PostalCode) > 20 {
		v.Add("postal_code", "must be at most 20 characters")
	} else if p := PostcodeProblem(in.Country, in.PostalCode); p != "" {
		v.Add("postal_code", p)
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			v.Add("email", "is not an e-mail address")
		}
	}
	if v.Fields["country"] == "" && in.VATID != "" {
		if InEU(in.Country) {
			id, err := NormalizeVATID(in.Country, in.VATID)
			var ve *core.ValidationError
			if errors.As(err, &ve) {
				v.Add("vat_id", ve.Fields["vat_id"])
			}
			in.VATID = id
		} else if in.VATID = strings.TrimSpace(in.VATID); len(in.VATID) > 20 {
			v.Add("vat_id", "must be at most 20 characters")
		}
	}
	if len(in.RegistrationID) > 100 {
		v.Add("registration_id", "must be at most 100 characters")
	}
	if in.Currency != "" {
		if _, err := money.ParseCurrency(in.Currency); err != nil {
			v.Addf("currency", "%q is not an ISO 4217 currency code", in.Currency)
		}
	}
	if in.Language != "" && !core.IsLanguage(in.Language) {
		v.Addf("language", "must be one of %s", strings.Join(core.Languages, ", "))
	}
	if in.InvoiceGrouping != "" && in.InvoiceGrouping != GroupSubproject && in.InvoiceGrouping != GroupCustomer {
		v.Add("invoice_grouping", "must be subproject, customer or empty (the seller's default)")
	}
	if in.TaxExempt && in.TaxExemptReason == "" {
		v.Add("tax_exempt_reason", "is required when the customer is exempt")
	}
	if in.TaxExemptCode = strings.ToUpper(in.TaxExemptCode); in.TaxExemptCode != "" && !exemptCode.MatchString(in.TaxExemptCode) {
		v.Add("tax_exempt_code", "must be a VATEX code for an exemption: VATEX-EU-132, -143, -148, -151 or -309 (with its letter, e.g. VATEX-EU-132-1I), VATEX-EU-79-C or VATEX-FR-FRANCHISE")
	}
	if len(in.TaxExemptReason) > 300 {
		v.Add("tax_exempt_reason", "must be at most 300 characters")
	}
	if _, err := loadZone(in.Timezone); err != nil {
		v.Addf("timezone", "unknown time zone %q (want an IANA name such as Europe/Berlin)", in.Timezone)
	}
	if !prefixRE.MatchString(in.InvoicePrefix) {
		v.Add("invoice_prefix", "must be at most 12 letters, digits, '/', '-' or '_'")
	}
	if !prefixRE.MatchString(in.CreditPrefix) {
		v.Add("credit_prefix", "must be at most 12 letters, digits, '/', '-' or '_'")
	}
	in.IBAN = strings.ToUpper(strings.Join(strings.Fields(in.IBAN), ""))
	in.BIC = strings.ToUpper(strings.TrimSpace(in.BIC))
	v.Check("iban", IBANProblem(in.IBAN))
	in.validateEInvoice(&v)
	if in.BIC != "" && !bicRE.MatchString(in.BIC) {
		v.Add("bic", "is not a BIC (8 or 11 letters and digits, e.g. DEUTDEFF)")
	}
	return v.Err()
}

// tenantRow is what billing reads of a tenant.
type tenantRow struct {
	ID       int64
	Kind     string
	ParentID *int64
	Path     string
	Name     string
	Email    string
	Country  string
	Language string
}

func (s *Service) tenant(ctx context.Context, scope tenancy.Scope, id int64) (tenantRow, error) {
	var t tenantRow
	err := s.db.Read(ctx).Table("tenants").Scopes(scope.Tenants).Where("tenants.id = ?", id).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return t, core.E(core.ErrNotFound, "tenant %d not found", id)
	}
	return t, err
}

// Profile returns a tenant's billing profile (an empty one, with the
// tenant's country and language, when none was saved yet).
func (s *Service) Profile(ctx context.Context, scope tenancy.Scope, tenantID int64) (Profile, error) {
	t, err := s.tenant(ctx, scope, tenantID)
	if err != nil {
		return Profile{}, err
	}
	var p Profile
	err = s.db.Read(ctx).Where("tenant_id = ?", tenantID).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Profile{TenantID: t.ID, TenantPath: t.Path, LegalName: t.Name, Country: t.Country, Language: t.Language, Email: t.Email}, nil
	}
	return p, err
}

// SaveProfile validates and stores a profile, then (after commit, never
// inside the transaction) checks a new or changed EU VAT id against VIES.
func (s *Service) SaveProfile(ctx context.Context, scope tenancy.Scope, tenantID int64, in ProfileInput) (Profile, error) {
	if err := in.Validate(); err != nil {
		return Profile{}, err
	}
	var p Profile
	var recheck bool
	err := s.tx(ctx, func(ctx context.Context) error {
		before, err := s.Profile(ctx, scope, tenantID)
		if err != nil {
			return err
		}
		if tenantID == scope.TenantID && (in.TaxExempt != before.TaxExempt || (in.TaxExempt && in.TaxExemptReason != before.TaxExemptReason)) {
			return core.Invalid("tax_exempt", "is set by your seller, not by you")
		}
		if before.VATID != "" && in.VATID == "" {
			if err := s.reverseChargeProblem(ctx, tenantID, in.Country, "", before.TaxScheme, "vat_id"); err != nil {
				return err
			}
		}
		p = before
		now := s.now()
		if p.CreatedAt.IsZero() {
			p.CreatedAt = now
		}
		p.UpdatedAt = now
		p.LegalName, p.Address1, p.Address2, p.PostalCode, p.City, p.Region = in.LegalName, in.Address1, in.Address2, in.PostalCode, in.City, in.Region
		p.Country, p.Email, p.RegistrationID, p.Currency, p.Language = in.Country, in.Email, in.RegistrationID, in.Currency, in.Language
		p.InvoiceGrouping, p.TaxExempt, p.TaxExemptReason, p.TaxExemptCode, p.Timezone = in.InvoiceGrouping, in.TaxExempt, in.TaxExemptReason, in.TaxExemptCode, in.Timezone
		p.InvoicePrefix, p.CreditPrefix = in.InvoicePrefix, in.CreditPrefix
		p.IBAN, p.BIC = in.IBAN, in.BIC
		p.TaxNumber, p.Phone, p.EndpointID, p.BuyerReference, p.EInvoice = in.TaxNumber, in.Phone, in.EndpointID, in.BuyerReference, in.EInvoice
		p.OrderReference = in.OrderReference
		p.TaxScheme, p.OSSMode = cmp.Or(p.TaxScheme, SchemeStandard), cmp.Or(p.OSSMode, OSSThreshold)
		if in.VATID != p.VATID {
			p.VATID, p.VATCheckedAt, p.VATValidAt, p.VATMessage, p.VATRequestID = in.VATID, nil, nil, "", ""
			p.VATStatus = VATNone
			if p.VATID != "" && InEU(p.Country) {
				p.VATStatus, recheck = VATUnchecked, true
			}
		}
		if err := s.db.Conn(ctx).Save(&p).Error; err != nil {
			return fmt.Errorf("save billing profile %d: %w", tenantID, err)
		}
		return s.record(ctx, "billing.profile.save", "billing_profile", tenantID, tenantID, p.TenantPath, before, p)
	})
	if err != nil {
		return Profile{}, err
	}
	if recheck && s.opt.VIES != nil {
		if err := s.CheckVAT(ctx, tenantID); err != nil {
			return p, err
		}
		return s.Profile(ctx, scope, tenantID)
	}
	return p, nil
}

// requester is the VAT id a check of tenantID's id is made on behalf of:
// its seller's own EU VAT id, so the consultation number VIES gives is
// the seller's; empty when the seller has none.
func (s *Service) requester(ctx context.Context, tenantID int64) string {
	var seller struct {
		VATID   string
		Country string
	}
	err := s.db.Read(ctx).Table("billing_profiles").Select("billing_profiles.vat_id, billing_profiles.country").
		Joins("JOIN tenants ON tenants.parent_id = billing_profiles.tenant_id").Where("tenants.id = ?", tenantID).Scan(&seller).Error
	if err != nil || seller.VATID == "" || !InEU(seller.Country) {
		return ""
	}
	return seller.VATID
}

// CheckVAT asks VIES about a profile's VAT id (outside any transaction)
// and records the answer: valid, invalid, or unavailable with the last
// valid answer kept.
func (s *Service) CheckVAT(ctx context.Context, tenantID int64) error {
	if s.opt.VIES == nil {
		return core.E(core.ErrPrecondition, "no VIES service is configured (billing.vies_url)")
	}
	var p Profile
	if err := s.db.Read(ctx).Where("tenant_id = ?", tenantID).Take(&p).Error; err != nil {
		return fmt.Errorf("load billing profile %d: %w", tenantID, err)
	}
	if p.VATID == "" || !InEU(p.Country) {
		return nil
	}
	res := s.opt.VIES.CheckAs(ctx, p.VATID, cmp.Or(s.requester(ctx, tenantID), s.opt.VIES.Requester))
	now := s.now()
	return s.tx(ctx, func(ctx context.Context) error {
		chk := VIESCheck{VATID: p.VATID, Status: res.Status, Name: res.Name, Address: res.Address, RequestID: res.RequestID, Message: res.Message, CheckedAt: now}
		if err := s.db.Conn(ctx).Create(&chk).Error; err != nil {
			return fmt.Errorf("record VIES answer: %w", err)
		}
		upd := map[string]any{"vat_status": res.Status, "vat_checked_at": now, "vat_message": res.Message}
		if res.Status == VATValid {
			upd["vat_valid_at"], upd["vat_request_id"] = now, res.RequestID
		}
		if res.Status == VATInvalid {
			upd["vat_valid_at"] = nil
		}
		// Only the id that was checked: a profile changed meanwhile keeps
		// its own state.
		return s.db.Conn(ctx).Model(&Profile{}).Where("tenant_id = ? AND vat_id = ?", tenantID, p.VATID).UpdateColumns(upd).Error
	})
}
