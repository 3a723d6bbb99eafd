package billing

import (
	"faktura/panel/core/money"
	"faktura/panel/core/settings"
)

// The billing settings. Each resolves through the chain contract ->
// customer -> plan -> seller -> panel; a level without a value defers to
// the next.
var (
	// LeadDays: a contract is invoiced this many days before its due date.
	LeadDays = settings.Int("billing.lead_days", 14, 0, 366)
	// Grouping: one invoice per subproject, or one per customer with a
	// section per subproject. A customer's profile may choose too.
	Grouping = settings.Enum("billing.grouping", GroupSubproject, GroupSubproject, GroupCustomer).At(sellerLevels...)
	// AutoFinalize: the run finalizes what no approval rule holds.
	AutoFinalize = settings.Bool("billing.auto_finalize", true).At(sellerLevels...)
	// ApprovalThreshold holds invoices whose total (minor units) reaches
	// it; 0 turns the rule off.
	ApprovalThreshold = settings.Int("billing.approval_threshold_minor", 0, 0, 1_000_000_000).At(sellerLevels...)
	// ApprovalNewCustomer holds a customer's first invoice from a seller.
	ApprovalNewCustomer = settings.Bool("billing.approval_new_customer", false).At(sellerLevels...)
	// ApprovalManualLines holds invoices with manual lines.
	ApprovalManualLines = settings.Bool("billing.approval_manual_lines", true).At(sellerLevels...)
	// FourEyes: nobody approves an invoice they created.
	FourEyes = settings.Bool("billing.four_eyes", false).At(sellerLevels...)
	// ProrationUpgrade: an upgrade's difference is invoiced now or on the
	// next invoice.
	ProrationUpgrade = settings.Enum("billing.proration_upgrade", ProrateNow, ProrateNow, ProrateNextInvoice)
	// ProrationDowngrade: a downgrade credits the unused difference by a
	// credit note, on the next invoice, or not at all.
	ProrationDowngrade = settings.Enum("billing.proration_downgrade", ProrateCreditNote, ProrateCreditNote, ProrateNextInvoice, ProrateNone)
	// TerminationCredit: termination credits the unused part of invoiced
	// periods.
	TerminationCredit = settings.Bool("billing.termination_credit", false)
	// VIESFallback: how a buyer is taxed while VIES gives no verdict.
	VIESFallback = settings.Enum("billing.vies_fallback", string(FallbackLastValid), string(FallbackLastValid), string(FallbackConsumer)).At(sellerLevels...)
	// DefaultCycle: the cycle of contracts opened from provisioning events.
	DefaultCycle = settings.Enum("billing.default_cycle", string(CycleMonthly), "monthly", "quarterly", "semiannual", "annual", "biennial").At(settings.LevelPanel, settings.LevelSeller, settings.LevelPlan, settings.LevelCustomer)
	// VIESUnconfirmed: what the run does with a business buyer whose VAT
	// id VIES never confirmed and cannot check now: bill it as a consumer
	// (the invoice flagged vat_unverified, for a correcting credit note
	// should VIES later confirm the id), or hold the invoice until VIES
	// answers (the daily run checks again and decides anew).
	VIESUnconfirmed = settings.Enum("billing.vies_unconfirmed", VIESBillConsumer, VIESBillConsumer, VIESHold).At(sellerLevels...)
	// PaymentDays: the payment terms, days from issue to due date, of every
	// invoice (the run's never fall due before their period starts).
	PaymentDays = settings.Int("billing.payment_days", 14, 0, 365).At(sellerLevels...)
	// DefaultCurrency: what a seller bills in when the buyer chose none.
	DefaultCurrency = settings.Key[string]{Name: "billing.currency", Default: "EUR",
		Format: func(s string) string { return s },
		Parse: func(s string) (string, error) {
			c, err := money.ParseCurrency(s)
			return string(c), err
		}, Levels: sellerLevels}
)

// sellerLevels are the levels of keys read per seller and customer (an
// invoice's rules: no plan or contract of its own).
var sellerLevels = []settings.Level{settings.LevelPanel, settings.LevelSeller, settings.LevelCustomer}

// VIESUnconfirmed values.
const (
	VIESBillConsumer = "consumer"
	VIESHold         = "hold"
)

// Grouping values.
const (
	GroupSubproject = "subproject"
	GroupCustomer   = "customer"
)

// Proration choices.
const (
	ProrateNow         = "now"
	ProrateNextInvoice = "next_invoice"
	ProrateCreditNote  = "credit_note"
	ProrateNone        = "none"
)

// SettingDefs lists the billing keys for the settings pages and API, in
// the order they show; the currency's default is the configured one.
func (s *Service) SettingDefs() []settings.Def {
	return []settings.Def{
		PaymentDays.Def(), LeadDays.Def(), DefaultCycle.Def(), DefaultCurrency.Def().WithDefault(s.opt.DefaultCurrency), Grouping.Def(),
		AutoFinalize.Def(), ApprovalThreshold.Def(), ApprovalNewCustomer.Def(), ApprovalManualLines.Def(), FourEyes.Def(),
		ProrationUpgrade.Def(), ProrationDowngrade.Def(), TerminationCredit.Def(), VIESFallback.Def(), VIESUnconfirmed.Def(),
	}
}
