package billing

import "time"

// Profile is a tenant's billing data: as a buyer (address, VAT id with its
// VIES state, currency, language, grouping, exemption) and, for the
// operator and resellers, as a seller (time zone, number prefixes).
type Profile struct {
	TenantID        int64      `gorm:"primaryKey;autoIncrement:false" json:"tenant_id"`
	TenantPath      string     `json:"-"`
	LegalName       string     `json:"legal_name"`
	Address1        string     `json:"address1"`
	Address2        string     `json:"address2"`
	PostalCode      string     `json:"postal_code"`
	City            string     `json:"city"`
	Region          string     `json:"region"`
	Country         string     `json:"country"`
	Email           string     `json:"email"`
	VATID           string     `gorm:"column:vat_id" json:"vat_id"`
	VATStatus       VATStatus  `gorm:"column:vat_status" json:"vat_status"`
	VATCheckedAt    *time.Time `gorm:"column:vat_checked_at" json:"vat_checked_at,omitempty"`
	VATValidAt      *time.Time `gorm:"column:vat_valid_at" json:"vat_valid_at,omitempty"`
	VATMessage      string     `gorm:"column:vat_message" json:"vat_message,omitempty"`
	VATRequestID    string     `gorm:"column:vat_request_id" json:"vat_request_id,omitempty"`
	RegistrationID  string     `json:"registration_id"`
	Currency        string     `json:"currency"`
	Language        string     `json:"language"`
	InvoiceGrouping string     `json:"invoice_grouping"`
	TaxExempt       bool       `json:"tax_exempt"`
	TaxExemptReason string     `json:"tax_exempt_reason"`
	TaxExemptCode   string     `json:"tax_exempt_code"` // its VATEX code (e.g. VATEX-EU-132-1I)
	Timezone        string     `json:"timezone"`
	InvoicePrefix   string     `json:"invoice_prefix"`
	CreditPrefix    string     `json:"credit_prefix"`
	IBAN            string     `gorm:"column:iban" json:"iban,omitempty"` // the seller's account for bank transfers
	BIC             string     `gorm:"column:bic" json:"bic,omitempty"`
	TaxNumber       string     `json:"tax_number"` // Steuernummer, codice fiscale
	Phone           string     `json:"phone"`
	EndpointID      string     `gorm:"column:endpoint_id" json:"endpoint_id"` // electronic address, scheme:id
	BuyerReference  string     `json:"buyer_reference"`                       // BT-10, a Leitweg-ID for German public buyers
	EInvoice        string     `gorm:"column:einvoice" json:"einvoice"`       // the e-invoice the buyer wants (EInvoiceFormats)
	OrderReference  string     `json:"order_reference"`                       // BT-13, the buyer's standing purchase order
	TaxScheme       string     `json:"tax_scheme"`                            // a seller's: SchemeStandard or SchemeSmallBusiness
	OSSMode         string     `gorm:"column:oss_mode" json:"oss_mode"`       // a seller's: OSSThreshold or OSSDestination (opted in)
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
}

// TableName implements gorm's Tabler.
func (Profile) TableName() string { return "billing_profiles" }

// ProductKind is what a product sells.
type ProductKind string

// Product kinds: the provisioned resources billing follows, and one-off
// items.
const (
	KindHosting   ProductKind = "hosting"   // a hosting account; match_code is the package code
	KindDomain    ProductKind = "domain"    // a domain add-on; match_code is a TLD or empty for any
	KindSubdomain ProductKind = "subdomain" // a subdomain add-on
	KindReseller  ProductKind = "reseller"  // a reseller account; match_code is the reseller package
	KindOneOff    ProductKind = "oneoff"    // billed once
)

// Product is an item of a seller's catalog.
type Product struct {
	ID        int64       `json:"id"`
	SellerID  int64       `json:"seller_id"`
	Code      string      `json:"code"`
	Name      string      `json:"name"`
	Kind      ProductKind `json:"kind"`
	MatchCode string      `json:"match_code"`
	Included  int         `json:"included"` // add-ons: this many per account are free
	TrialDays int         `json:"trial_days"`
	Active    bool        `json:"active"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	Prices    []Price     `gorm:"-" json:"prices"`
}

// Price is a product's price in one currency and cycle.
type Price struct {
	ID          int64  `json:"-"`
	ProductID   int64  `json:"-"`
	Currency    string `json:"currency"`
	Cycle       Cycle  `json:"cycle"`
	AmountMinor int64  `json:"amount_minor"`
	SetupMinor  int64  `json:"setup_minor"`
}

// Coupon is a discount: percent or a fixed amount, for some cycles or for
// ever, on chosen products. An automatic coupon is a campaign: it applies
// to every contract opened while it runs.
type Coupon struct {
	ID          int64     `json:"id"`
	SellerID    int64     `json:"seller_id"`
	Code        string    `json:"code"`
	Name        string    `json:"name"`
	Kind        string    `json:"kind"` // percent or fixed
	Percent     string    `json:"percent"`
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
	Cycles      int       `json:"cycles"` // 0: for ever
	ProductIDs  string    `json:"product_ids"`
	Automatic   bool      `json:"automatic"`
	ValidFrom   string    `json:"valid_from"`
	ValidTo     string    `json:"valid_to"`
	Active      bool      `json:"active"`
	CreatedAt   time.Time `json:"created_at"`
}

// Contract statuses.
const (
	ContractActive     = "active"
	ContractTerminated = "terminated"
)

// Contract is one billed subject (an account, an add-on, a reseller
// account, a one-off item) between a seller and a customer: the product
// and its price as they were when it opened, the cycle, the anchor day and
// the next due date.
type Contract struct {
	ID             int64     `json:"id"`
	SellerID       int64     `json:"seller_id"`
	CustomerID     int64     `json:"customer_id"`
	CustomerPath   string    `json:"-"`
	Subproject     string    `json:"subproject"`
	SubprojectName string    `json:"subproject_name"`
	SubjectKind    string    `json:"subject_kind"`
	SubjectID      int64     `json:"subject_id"`
	SubjectName    string    `json:"subject_name"`
	ProductID      int64     `json:"product_id"`
	Currency       string    `json:"currency"`
	Cycle          Cycle     `json:"cycle"`
	UnitMinor      int64     `json:"unit_minor"`
	SetupMinor     int64     `json:"setup_minor"` // setup fee still to invoice
	Included       bool      `json:"included"`    // free within the package: never invoiced
	AnchorDay      int       `json:"anchor_day"`
	StartDate      string    `json:"start_date"`
	NextDue        string    `json:"next_due"`
	Status         string    `json:"status"`
	CouponID       *int64    `json:"coupon_id,omitempty"`
	DiscountLeft   int       `json:"discount_left"` // cycles of discount left; -1 for ever
	OpenKey        *string   `json:"-"`
	SourceEvent    string    `json:"source_event,omitempty"`
	EndedOn        string    `json:"ended_on,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Charge kinds.
const (
	ChargeProration = "proration"
	ChargeCredit    = "credit"
	ChargeUsage     = "usage" // usage above what a period includes, rated once per contract, meter and period
	ChargeOneOff    = "oneoff"
)

// Charge is an amount waiting for a contract's next invoice: an upgrade's
// prorated difference, a downgrade credit (negative), a one-off item.
type Charge struct {
	ID          int64     `json:"id"`
	ContractID  int64     `json:"contract_id"`
	Kind        string    `json:"kind"`
	Description string    `json:"description"`
	AmountMinor int64     `json:"amount_minor"`
	Currency    string    `json:"currency"`
	PeriodStart string    `json:"period_start"`
	PeriodEnd   string    `json:"period_end"`
	ChargeKey   string    `json:"-"`
	Quantity    string    `json:"quantity,omitempty"`   // a usage line's quantity; 1 when empty
	Unit        string    `json:"unit,omitempty"`       // what it counts (GB)
	UnitPrice   string    `json:"unit_price,omitempty"` // its unit price; the amount when empty
	InvoiceID   *int64    `json:"invoice_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// TableName implements gorm's Tabler.
func (Charge) TableName() string { return "contract_charges" }

// Series is a seller's gapless counter for one document kind and year.
type Series struct {
	ID       int64
	SellerID int64
	Kind     string
	Year     int
	Prefix   string
	NextSeq  int64
}

// TableName implements gorm's Tabler.
func (Series) TableName() string { return "number_series" }

// VIESCheck is one answer of VIES (or its absence), kept as evidence.
type VIESCheck struct {
	ID        int64
	VATID     string `gorm:"column:vat_id"`
	Status    VATStatus
	Name      string
	Address   string
	RequestID string
	Message   string
	CheckedAt time.Time
}

// TableName implements gorm's Tabler.
func (VIESCheck) TableName() string { return "vies_checks" }
