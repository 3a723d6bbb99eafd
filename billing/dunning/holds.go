package dunning

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/tenancy"
)

// HoldInput puts a customer (all its invoices from the caller) or one
// invoice on hold: no dunning step runs for it until the end day has
// passed.
type HoldInput struct {
	CustomerID int64  `json:"customer_id"`
	InvoiceID  int64  `json:"invoice_id"`
	Reason     string `json:"reason"`
	Until      string `json:"until"` // YYYY-MM-DD, the last day of the hold
}

// MaxHoldDays bounds how far ahead a hold may end.
const MaxHoldDays = 366

// requireSeller refuses a caller that sells to nobody.
func requireSeller(scope tenancy.Scope) error {
	if !scope.Valid() || (scope.Kind != tenancy.KindOperator && scope.Kind != tenancy.KindReseller) {
		return core.E(core.ErrForbidden, "only the operator and resellers chase their invoices")
	}
	return nil
}

// PutHold records a hold, checking every field: a customer of the
// caller's or an invoice of the caller's, a reason, and an end day from
// today to a year ahead. Nothing is saved when one is wrong.
func (s *Service) PutHold(ctx context.Context, scope tenancy.Scope, in HoldInput) (Hold, error) {
	if err := requireSeller(scope); err != nil {
		return Hold{}, err
	}
	var v core.ValidationError
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Reason == "":
		v.Add("reason", "is required: say why dunning pauses")
	case utf8.RuneCountInString(in.Reason) > 500:
		v.Add("reason", "must be at most 500 characters")
	}
	today := core.DateOf(s.clock.Now().UTC())
	var until core.Date
	if strings.TrimSpace(in.Until) == "" {
		v.Add("until", "is required: a hold ends on a day (YYYY-MM-DD)")
	} else if d, err := core.ParseDate("until", strings.TrimSpace(in.Until)); err != nil {
		v.Addf("until", "want a date as YYYY-MM-DD, got %q", in.Until)
	} else if billing.Before(d, today) {
		v.Addf("until", "%s is in the past", d)
	} else if billing.DaysBetween(today, d) > MaxHoldDays {
		v.Addf("until", "must be within %d days", MaxHoldDays)
	} else {
		until = d
	}
	if in.CustomerID <= 0 && in.InvoiceID <= 0 {
		v.Add("customer_id", "is required (or an invoice_id)")
	}
	if in.CustomerID < 0 {
		v.Add("customer_id", "must be a customer id")
	}
	if in.InvoiceID < 0 {
		v.Add("invoice_id", "must be an invoice id")
	}
	if err := v.Err(); err != nil {
		return Hold{}, err
	}
	var h Hold
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if in.InvoiceID > 0 {
			inv, err := s.billing.Invoice(ctx, scope, in.InvoiceID)
			if err != nil || inv.SellerID != scope.TenantID || inv.Kind != billing.DocInvoice {
				return core.Invalid("invoice_id", "no invoice %d of yours", in.InvoiceID)
			}
			if in.CustomerID > 0 && in.CustomerID != inv.CustomerID {
				return core.Invalid("customer_id", "invoice %d is not this customer's", in.InvoiceID)
			}
			in.CustomerID = inv.CustomerID
		}
		var cust struct {
			ID       int64
			Path     string
			ParentID *int64
		}
		err := s.db.Conn(ctx).Table("tenants").Select("id, path, parent_id").Where("id = ?", in.CustomerID).Take(&cust).Error
		if err != nil || cust.ParentID == nil || *cust.ParentID != scope.TenantID {
			return core.Invalid("customer_id", "no customer %d buys from you", in.CustomerID)
		}
		h = Hold{SellerID: scope.TenantID, CustomerID: cust.ID, CustomerPath: cust.Path, InvoiceID: in.InvoiceID, Reason: in.Reason,
			UntilDay: until.String(), CreatedBy: audit.Label(ctx), CreatedAt: s.now()}
		if err := s.db.Conn(ctx).Create(&h).Error; err != nil {
			return fmt.Errorf("save hold: %w", err)
		}
		return s.record(ctx, "billing.dunning.hold", "customer", h.CustomerID, h.CustomerID, h.CustomerPath,
			map[string]any{"hold": h.ID, "invoice_id": h.InvoiceID, "reason": h.Reason, "until": h.UntilDay})
	})
	return h, err
}

// EndHold ends a hold of the caller's now.
func (s *Service) EndHold(ctx context.Context, scope tenancy.Scope, id int64) error {
	if err := requireSeller(scope); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		var h Hold
		if err := s.db.Conn(ctx).Where("id = ? AND seller_id = ? AND released_at IS NULL", id, scope.TenantID).Take(&h).Error; err != nil {
			return core.E(core.ErrNotFound, "no hold %d", id)
		}
		now := s.now()
		if err := s.db.Conn(ctx).Model(&h).Updates(map[string]any{"released_at": now, "released_by": audit.Label(ctx)}).Error; err != nil {
			return err
		}
		return s.record(ctx, "billing.dunning.hold_end", "customer", h.CustomerID, h.CustomerID, h.CustomerPath, map[string]any{"hold": h.ID})
	})
}

// Holds lists the caller's holds in force on day.
func (s *Service) Holds(ctx context.Context, scope tenancy.Scope, day core.Date) ([]Hold, error) {
	if err := requireSeller(scope); err != nil {
		return nil, err
	}
	var hs []Hold
	if err := s.db.Read(ctx).Where("seller_id = ? AND released_at IS NULL AND until_day >= ?", scope.TenantID, day.String()).Order("id").Find(&hs).Error; err != nil {
		return nil, err
	}
	names, err := s.names(ctx, customersOf(hs))
	for i := range hs {
		hs[i].CustomerName = names[hs[i].CustomerID]
	}
	return hs, err
}

func customersOf(hs []Hold) []int64 {
	var ids []int64
	for _, h := range hs {
		ids = append(ids, h.CustomerID)
	}
	return ids
}

// names maps tenant ids to their names.
func (s *Service) names(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64
		Name string
	}
	if err := s.db.Read(ctx).Table("tenants").Select("id, name").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}
