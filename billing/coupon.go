package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
)

// Coupon kinds.
const (
	CouponPercent = "percent"
	CouponFixed   = "fixed"
)

// CouponInput creates a coupon or a campaign (automatic).
type CouponInput struct {
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	Kind        string  `json:"kind"`
	Percent     string  `json:"percent"`
	AmountMinor int64   `json:"amount_minor"`
	Currency    string  `json:"currency"`
	Cycles      int     `json:"cycles"`
	ProductIDs  []int64 `json:"product_ids"`
	Automatic   bool    `json:"automatic"`
	ValidFrom   string  `json:"valid_from"`
	ValidTo     string  `json:"valid_to"`
}

// Validate normalises the input and reports every problem.
func (in *CouponInput) Validate() error {
	var v core.ValidationError
	in.Code = strings.ToUpper(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	if len(in.Code) == 0 || len(in.Code) > 50 || strings.ContainsAny(in.Code, " \t\n") {
		v.Add("code", "must be 1-50 characters without spaces")
	}
	if len(in.Name) > 200 {
		v.Add("name", "must be at most 200 characters")
	}
	switch in.Kind {
	case CouponPercent:
		p, err := decimal.NewFromString(strings.TrimSpace(in.Percent))
		if err != nil || !p.IsPositive() || p.GreaterThan(decimal.NewFromInt(100)) {
			v.Add("percent", "must be a number above 0 and at most 100")
		} else {
			in.Percent = p.String()
		}
		in.AmountMinor, in.Currency = 0, ""
	case CouponFixed:
		c, err := money.ParseCurrency(in.Currency)
		if err != nil {
			v.Addf("currency", "%q is not an ISO 4217 currency code", in.Currency)
		}
		switch {
		case in.AmountMinor <= 0:
			v.Add("amount_minor", "must be above 0")
		case in.AmountMinor > money.MaxAmount:
			v.Addf("amount_minor", "must be at most %s", money.MaxOf(c))
		}
		in.Currency, in.Percent = string(c), "0"
	default:
		v.Add("kind", "must be percent or fixed")
	}
	if in.Cycles < 0 || in.Cycles > 1000 {
		v.Add("cycles", "must be 0 (for ever) to 1000")
	}
	for f, d := range map[string]*string{"valid_from": &in.ValidFrom, "valid_to": &in.ValidTo} {
		if *d = strings.TrimSpace(*d); *d != "" {
			if _, err := ParseDay(f, *d); err != nil {
				v.Add(f, "want a date as YYYY-MM-DD")
			}
		}
	}
	if in.ValidFrom != "" && in.ValidTo != "" && in.ValidTo < in.ValidFrom {
		v.Add("valid_to", "is before valid_from")
	}
	return v.Err()
}

// CreateCoupon adds a coupon to the caller's catalog; its products must be
// the caller's own.
func (s *Service) CreateCoupon(ctx context.Context, scope tenancy.Scope, in CouponInput) (Coupon, error) {
	if err := requireSeller(scope); err != nil {
		return Coupon{}, err
	}
	if err := in.Validate(); err != nil {
		return Coupon{}, err
	}
	ids := make([]string, 0, len(in.ProductIDs))
	if len(in.ProductIDs) > 0 {
		var n int64
		if err := s.db.Read(ctx).Model(&Product{}).Where("seller_id = ? AND id IN ?", scope.TenantID, in.ProductIDs).Count(&n).Error; err != nil {
			return Coupon{}, fmt.Errorf("check coupon products: %w", err)
		}
		if int(n) != len(slices.Compact(slices.Sorted(slices.Values(in.ProductIDs)))) {
			return Coupon{}, core.Invalid("product_ids", "must name products of your own catalog")
		}
		for _, id := range in.ProductIDs {
			ids = append(ids, itoa(id))
		}
	}
	c := Coupon{SellerID: scope.TenantID, Code: in.Code, Name: in.Name, Kind: in.Kind, Percent: in.Percent, AmountMinor: in.AmountMinor,
		Currency: in.Currency, Cycles: in.Cycles, ProductIDs: strings.Join(ids, ","), Automatic: in.Automatic,
		ValidFrom: in.ValidFrom, ValidTo: in.ValidTo, Active: true, CreatedAt: s.now()}
	err := s.tx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Create(&c).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return core.Invalid("code", "you have a coupon %s already", in.Code)
			}
			return fmt.Errorf("create coupon: %w", err)
		}
		return s.record(ctx, "billing.coupon.create", "coupon", c.ID, scope.TenantID, scope.Path, nil, c)
	})
	return c, err
}

// Coupons lists the caller's own coupons.
func (s *Service) Coupons(ctx context.Context, scope tenancy.Scope) ([]Coupon, error) {
	var out []Coupon
	if !isSeller(scope) {
		return nil, nil
	}
	err := s.db.Read(ctx).Where("seller_id = ?", scope.TenantID).Order("id DESC").Limit(1000).Find(&out).Error
	return out, err
}

// appliesTo reports whether the coupon may discount product on day.
func (cp *Coupon) appliesTo(productID int64, cur string, day Date) bool {
	if !cp.Active || (cp.ValidFrom != "" && day.String() < cp.ValidFrom) || (cp.ValidTo != "" && day.String() > cp.ValidTo) {
		return false
	}
	if cp.Kind == CouponFixed && cp.Currency != cur {
		return false
	}
	return cp.ProductIDs == "" || slices.Contains(strings.Split(cp.ProductIDs, ","), itoa(productID))
}

func discountCycles(cp *Coupon) int {
	if cp.Cycles == 0 {
		return -1
	}
	return cp.Cycles
}

// campaignFor finds the newest automatic coupon of the seller that covers
// the product on day.
func (s *Service) campaignFor(ctx context.Context, sellerID, productID int64, cur string, day Date) (*Coupon, error) {
	var cs []Coupon
	if err := s.db.Conn(ctx).Where("seller_id = ? AND automatic = ? AND active = ?", sellerID, true, true).Order("id DESC").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("find campaigns: %w", err)
	}
	for i := range cs {
		if cs[i].appliesTo(productID, cur, day) {
			return &cs[i], nil
		}
	}
	return nil, nil
}

// discountFor is the discount on one period's price: the percentage
// rounded once, half away from zero, or the fixed amount capped at the
// price.
func discountFor(cp *Coupon, unit money.Money) (int64, error) {
	if cp.Kind == CouponFixed {
		return min(cp.AmountMinor, unit.Amount), nil
	}
	d, err := unit.Mul(decimal.RequireFromString(cp.Percent).Div(decimal.NewFromInt(100)), money.RoundHalfUp)
	return d.Amount, err
}

// ApplyCoupon attaches a coupon code to a contract the caller sells; it
// discounts the next invoiced periods.
func (s *Service) ApplyCoupon(ctx context.Context, scope tenancy.Scope, contractID int64, code string) (Contract, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return Contract{}, core.Invalid("code", "is required")
	}
	return s.changeContract(ctx, scope, contractID, func(ctx context.Context, c *Contract) error {
		if c.Status != ContractActive {
			return core.E(core.ErrPrecondition, "contract %d is %s", contractID, c.Status)
		}
		var cp Coupon
		if err := s.db.Conn(ctx).Where("seller_id = ? AND code = ?", c.SellerID, code).Take(&cp).Error; err != nil {
			return core.Invalid("code", "no coupon %s in your catalog", code)
		}
		day, err := ParseDay("next_due", c.NextDue)
		if err != nil {
			return err
		}
		if !cp.appliesTo(c.ProductID, c.Currency, day) {
			return core.Invalid("code", "coupon %s does not apply to this contract's product, currency or dates", code)
		}
		left := discountCycles(&cp)
		if err := s.db.Conn(ctx).Model(&Contract{}).Where("id = ?", c.ID).
			Updates(map[string]any{"coupon_id": cp.ID, "discount_left": left, "updated_at": s.now()}).Error; err != nil {
			return fmt.Errorf("apply coupon: %w", err)
		}
		c.CouponID, c.DiscountLeft = &cp.ID, left
		return s.record(ctx, "billing.contract.coupon", "contract", c.ID, c.CustomerID, c.CustomerPath, nil, map[string]string{"coupon": code})
	})
}
