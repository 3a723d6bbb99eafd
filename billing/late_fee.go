package billing

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/settings"
)

// FlagLateFee marks an invoice that charges late-payment fees: dunning
// does not chase it, and it suspends nothing.
const FlagLateFee = "late_fee"

// LineLateFee is a late fee's line (a reminder fee, interest, the flat
// compensation for recovery costs).
const LineLateFee = "late_fee"

// LateFeeItem is one late-fee line.
type LateFeeItem struct {
	Description string
	AmountMinor int64
}

// IssueLateFee issues, in ctx's transaction, a finalized invoice from
// orig's seller to its buyer with items, due on day. Outside scope, its
// lines are category O with the damages note (a late fee is not the
// consideration for a supply); otherwise they are taxed as the buyer's
// services are. It is flagged late_fee, and its number comes from the
// seller's series like any invoice's.
func (s *Service) IssueLateFee(ctx context.Context, orig Invoice, day Date, items []LateFeeItem, outsideScope bool) (Invoice, error) {
	if len(items) == 0 {
		return Invoice{}, core.Invalid("items", "a late-fee invoice needs a line")
	}
	snap, err := s.settings.Snapshot(ctx, runSettings...)
	if err != nil {
		return Invoice{}, err
	}
	pp, err := s.newPartyCache(snap, day).get(ctx, orig.SellerID, orig.CustomerID)
	if err != nil {
		return Invoice{}, err
	}
	p := *pp
	if outsideScope {
		p.decision = TaxDecision{Category: CategoryOutside, Rate: decimal.Zero, Basis: BasisDamages, Note: "late_fee", VATEX: VATEXOutside}
	}
	d := newDraft(DocInvoice, orig.SellerID, orig.CustomerID, orig.Currency, &p, day, "dunning", s.now())
	d.inv.Subproject, d.inv.Flags = orig.Subproject, FlagLateFee
	for _, it := range items {
		if it.AmountMinor <= 0 {
			return Invoice{}, core.Invalid("items", "a late fee must be positive")
		}
		unit := unitPrice(it.AmountMinor, orig.Currency)
		d.addLine(&p, Line{Kind: LineLateFee, Description: it.Description, Quantity: "1", UnitPrice: unit, NetMinor: it.AmountMinor})
	}
	if err := d.totals(&p); err != nil {
		return Invoice{}, totalsError(err, money.Currency(orig.Currency))
	}
	if err := s.insertDrafts(ctx, []*draft{d}, s.now()); err != nil {
		return Invoice{}, err
	}
	inv := d.inv
	if err := s.finalizeNow(ctx, &inv, ""); err != nil {
		return Invoice{}, err
	}
	return inv, s.record(ctx, "billing.invoice.late_fee", "invoice", inv.ID, inv.CustomerID, inv.CustomerPath, nil,
		map[string]any{"for_invoice": orig.ID, "total_minor": inv.TotalMinor})
}

// AddLateCharge puts a late fee on the next invoice of contract id, once
// under key; it is taxed as that invoice's lines are.
func (s *Service) AddLateCharge(ctx context.Context, contractID int64, desc string, amount int64, day Date, key string) error {
	var c Contract
	if err := s.db.Conn(ctx).Where("id = ?", contractID).Take(&c).Error; err != nil {
		return fmt.Errorf("contract %d: %w", contractID, err)
	}
	return s.addCharge(ctx, c, ChargeOneOff, desc, amount, day, day, key)
}

// InvoiceContracts lists the contracts billed on invoice id's lines.
func (s *Service) InvoiceContracts(ctx context.Context, ids ...int64) (map[int64][]Contract, error) {
	var rows []struct {
		InvoiceID  int64
		ContractID int64
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if err := s.db.Conn(ctx).Table("invoice_lines").Distinct("invoice_id", "contract_id").
		Where("invoice_id IN ? AND contract_id IS NOT NULL", ids).Order("invoice_id, contract_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("contracts of invoices: %w", err)
	}
	var cids []int64
	for _, r := range rows {
		cids = append(cids, r.ContractID)
	}
	var cs []Contract
	if len(cids) > 0 {
		if err := s.db.Conn(ctx).Where("id IN ?", cids).Find(&cs).Error; err != nil {
			return nil, fmt.Errorf("load contracts: %w", err)
		}
	}
	byID := map[int64]Contract{}
	for _, c := range cs {
		byID[c.ID] = c
	}
	out := map[int64][]Contract{}
	for _, r := range rows {
		if c, ok := byID[r.ContractID]; ok {
			out[r.InvoiceID] = append(out[r.InvoiceID], c)
		}
	}
	return out, nil
}

// IsLateFee reports whether inv charges late fees.
func (inv Invoice) IsLateFee() bool {
	return strings.Contains(","+inv.Flags+",", ","+FlagLateFee+",")
}

// SettingsScope is the settings scope of an invoice's rules.
func (inv Invoice) SettingsScope() settings.Scope {
	return settings.Scope{Seller: strconv.FormatInt(inv.SellerID, 10), Customer: strconv.FormatInt(inv.CustomerID, 10)}
}
