package billing

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

// LineInput is a manual line of a draft.
type LineInput struct {
	Description string `json:"description"`
	Quantity    string `json:"quantity"`
	UnitPrice   string `json:"unit_price"` // major units, up to 6 decimals
}

// InvoiceInput creates a manual draft for a customer the caller sells to.
type InvoiceInput struct {
	CustomerID int64       `json:"customer_id"`
	Currency   string      `json:"currency"`
	Lines      []LineInput `json:"lines"`
}

// CreateInvoice creates a manual draft; manual lines may need approval
// when it is finalized.
func (s *Service) CreateInvoice(ctx context.Context, scope tenancy.Scope, in InvoiceInput) (Invoice, error) {
	if err := requireSeller(scope); err != nil {
		return Invoice{}, err
	}
	var v core.ValidationError
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		v.Addf("currency", "%q is not an ISO 4217 currency code", in.Currency)
	}
	if len(in.Lines) == 0 {
		v.Add("lines", "at least one line is required")
	}
	for i := range in.Lines {
		var le *core.ValidationError
		if errors.As(in.Lines[i].Validate(fmt.Sprintf("lines.%d.", i)), &le) {
			for f, p := range le.Fields {
				v.Add(f, p)
			}
		}
	}
	if err := v.Err(); err != nil {
		return Invoice{}, err
	}
	var inv Invoice
	err = s.tx(ctx, func(ctx context.Context) error {
		cust, err := s.tenant(ctx, scope, in.CustomerID)
		if err != nil {
			return core.Invalid("customer_id", "no customer %d among yours", in.CustomerID)
		}
		if cust.ParentID == nil || *cust.ParentID != scope.TenantID {
			return core.Invalid("customer_id", "customer %d does not buy from you", in.CustomerID)
		}
		loc, err := s.sellerZone(ctx, scope.TenantID)
		if err != nil {
			return err
		}
		day := LocalDay(s.now(), loc)
		snap, err := s.settings.Snapshot(ctx, runSettings...)
		if err != nil {
			return err
		}
		pc := s.newPartyCache(snap, day)
		p, err := pc.get(ctx, scope.TenantID, in.CustomerID)
		if err != nil {
			return err
		}
		d := newDraft(DocInvoice, scope.TenantID, in.CustomerID, string(cur), p, day, actorLabel(ctx), s.now())
		terms, err := settings.Get(ctx, s.settings, PaymentDays, settings.Scope{Seller: itoa(scope.TenantID), Customer: itoa(in.CustomerID)})
		if err != nil {
			return err
		}
		d.inv.DueDate = AddDays(day, terms.Value).String()
		for i, li := range in.Lines {
			l, err := manualLine(li, cur, fmt.Sprintf("lines.%d.", i))
			if err != nil {
				return err
			}
			d.addLine(p, l)
		}
		d.manual = true
		if err := d.totals(p); err != nil {
			return totalsError(err, cur)
		}
		if err := s.applyThreshold(ctx, pc, []*draft{d}); err != nil {
			return err
		}
		if err := s.insertDrafts(ctx, []*draft{d}, s.now()); err != nil {
			return err
		}
		inv = d.inv
		return s.record(ctx, "billing.invoice.create", "invoice", inv.ID, inv.CustomerID, inv.CustomerPath, nil, map[string]any{"total_minor": inv.TotalMinor})
	})
	return inv, err
}

// manualLine prices a manual line: quantity times unit price, rounded
// once to the currency's minor unit. A line beyond money.MaxAmount is a
// field error under prefix.
func manualLine(li LineInput, cur money.Currency, prefix string) (Line, error) {
	price, qty := decimal.RequireFromString(li.UnitPrice), decimal.RequireFromString(li.Quantity)
	if price.GreaterThan(money.MaxMajor(cur)) {
		return Line{}, core.Invalid(prefix+"unit_price", "must be at most %s", money.MaxOf(cur))
	}
	net, err := money.LineAmount(price, qty, cur, money.RoundLine)
	if err == nil {
		err = net.Check()
	}
	if err != nil {
		return Line{}, core.Invalid(prefix+"quantity", "times the unit price makes the line more than %s", money.MaxOf(cur))
	}
	return Line{Kind: LineManual, Description: li.Description, Quantity: li.Quantity, UnitPrice: li.UnitPrice, NetMinor: net.Amount}, nil
}

// totalsError turns a document total beyond money.MaxAmount into a field
// error on its lines.
func totalsError(err error, cur money.Currency) error {
	if errors.Is(err, money.ErrOverflow) {
		return core.Invalid("lines", "the invoice would total more than %s", money.MaxOf(cur))
	}
	return err
}

// AddLine appends a manual line to a draft. A finalized document refuses
// with ErrFrozen.
func (s *Service) AddLine(ctx context.Context, scope tenancy.Scope, id int64, li LineInput) (Invoice, error) {
	if err := li.Validate(""); err != nil {
		return Invoice{}, err
	}
	return s.changeInvoice(ctx, scope, id, func(ctx context.Context, inv *Invoice) error {
		if err := inv.editable(); err != nil {
			return err
		}
		l, err := manualLine(li, money.Currency(inv.Currency), "")
		if err != nil {
			return err
		}
		cat, rate := CategoryStandard, "0"
		if len(inv.Lines) > 0 {
			cat, rate = inv.Lines[0].TaxCategory, inv.Lines[0].TaxRate
		}
		l.InvoiceID, l.Position, l.TaxCategory, l.TaxRate, l.CreatedAt = id, len(inv.Lines)+1, cat, rate, s.now()
		if err := s.db.Conn(ctx).Create(&l).Error; err != nil {
			return fmt.Errorf("add line to invoice %d: %w", id, err)
		}
		if inv.Status == InvoiceStatusAwaitingApproval {
			// A changed document goes back to draft: the approval was for
			// other contents.
			if err := s.move(ctx, inv, InvoiceStatusDraft, map[string]any{"hold_reason": ""}); err != nil {
				return err
			}
		}
		if err := s.recompute(ctx, id); err != nil {
			return totalsError(err, money.Currency(inv.Currency))
		}
		if err := s.record(ctx, "billing.invoice.line", "invoice", id, inv.CustomerID, inv.CustomerPath, nil, li); err != nil {
			return err
		}
		fresh, err := s.Invoice(ctx, scope, id)
		*inv = fresh
		return err
	})
}

// DeleteDraft removes a draft that was never finalized.
func (s *Service) DeleteDraft(ctx context.Context, scope tenancy.Scope, id int64) error {
	_, err := s.changeInvoice(ctx, scope, id, func(ctx context.Context, inv *Invoice) error {
		if err := inv.editable(); err != nil {
			return err
		}
		if err := s.deleteDocument(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, "billing.invoice.delete", "invoice", id, inv.CustomerID, inv.CustomerPath, *inv, nil)
	})
	return err
}

// deleteDocument removes an unfinalized document and frees the periods
// and charges it held, so the next run invoices them again.
func (s *Service) deleteDocument(ctx context.Context, id int64) error {
	var periods []struct {
		ContractID  int64
		PeriodStart string
	}
	err := s.db.Conn(ctx).Table("invoice_lines").Select("contract_id, MIN(period_start) AS period_start").
		Where("invoice_id = ? AND kind = ? AND contract_id IS NOT NULL", id, LineRecurring).Group("contract_id").Find(&periods).Error
	if err != nil {
		return fmt.Errorf("periods of invoice %d: %w", id, err)
	}
	for _, p := range periods {
		err := s.db.Conn(ctx).Model(&Contract{}).Where("id = ? AND status = ? AND next_due > ?", p.ContractID, ContractActive, p.PeriodStart).
			Updates(map[string]any{"next_due": p.PeriodStart, "updated_at": s.now()}).Error
		if err != nil {
			return fmt.Errorf("rewind contract %d: %w", p.ContractID, err)
		}
	}
	if err := s.db.Conn(ctx).Model(&Charge{}).Where("invoice_id = ?", id).Update("invoice_id", nil).Error; err != nil {
		return fmt.Errorf("release charges of invoice %d: %w", id, err)
	}
	var lines []Line
	if err := s.db.Conn(ctx).Where("invoice_id = ?", id).Find(&lines).Error; err != nil {
		return fmt.Errorf("lines of invoice %d: %w", id, err)
	}
	if err := s.releaseLines(ctx, lines); err != nil {
		return err
	}
	if err := s.db.Conn(ctx).Where("invoice_id = ?", id).Delete(&Line{}).Error; err != nil {
		return fmt.Errorf("delete lines of invoice %d: %w", id, err)
	}
	return s.db.Conn(ctx).Delete(&Invoice{}, id).Error
}

// recompute refreshes an unfinalized document's totals from its lines,
// deleting it when no line is left.
func (s *Service) recompute(ctx context.Context, id int64) error {
	var inv Invoice
	if err := s.db.Conn(ctx).Where("id = ?", id).Take(&inv).Error; err != nil {
		return fmt.Errorf("load invoice %d: %w", id, err)
	}
	if inv.Frozen() {
		return ErrFrozen
	}
	if err := s.db.Conn(ctx).Where("invoice_id = ?", id).Order("position").Find(&inv.Lines).Error; err != nil {
		return err
	}
	if len(inv.Lines) == 0 {
		return s.deleteDocument(ctx, id)
	}
	var sum TaxSummary
	if err := jsonUnmarshal(inv.Taxes, &sum); err != nil {
		return err
	}
	var seller Party
	if inv.Seller != "" {
		if err := jsonUnmarshal(inv.Seller, &seller); err != nil {
			return err
		}
	}
	d := &draft{inv: inv, lines: inv.Lines}
	if err := d.totals(&parties{seller: seller, decision: sum.Decision}); err != nil {
		return err
	}
	return s.db.Conn(ctx).Model(&Invoice{}).Where("id = ?", id).Updates(map[string]any{"net_minor": d.inv.NetMinor,
		"tax_minor": d.inv.TaxMinor, "total_minor": d.inv.TotalMinor, "taxes": d.inv.Taxes, "updated_at": s.now()}).Error
}
