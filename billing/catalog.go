package billing

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
)

// PriceInput is one price of a product. The amount is given in minor units
// (amount_minor) or as a decimal in major units (amount, e.g. "9.99").
type PriceInput struct {
	Currency    string `json:"currency"`
	Cycle       Cycle  `json:"cycle"`
	AmountMinor *int64 `json:"amount_minor,omitempty"`
	Amount      string `json:"amount,omitempty"`
	SetupMinor  *int64 `json:"setup_minor,omitempty"`
	Setup       string `json:"setup,omitempty"`
}

// ProductInput creates or replaces a product and its prices.
type ProductInput struct {
	Code      string       `json:"code"`
	Name      string       `json:"name"`
	Kind      ProductKind  `json:"kind"`
	MatchCode string       `json:"match_code"`
	Included  int          `json:"included"`
	TrialDays int          `json:"trial_days"`
	Active    *bool        `json:"active,omitempty"`
	Prices    []PriceInput `json:"prices"`
}

var codeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,49}$`)

// ProductKinds lists the kinds of product, for forms.
var ProductKinds = []ProductKind{KindHosting, KindDomain, KindSubdomain, KindReseller, KindOneOff}

// minorOf reads an amount given as minor units or as a major-unit decimal
// with at most the currency's decimals.
func minorOf(minor *int64, major string, cur money.Currency) (int64, string) {
	if major = strings.TrimSpace(major); major != "" {
		d, err := decimal.NewFromString(strings.ReplaceAll(major, ",", "."))
		if err != nil {
			return 0, fmt.Sprintf("%q is not a number", major)
		}
		if !cur.Valid() {
			return 0, "needs a valid currency"
		}
		if d.Exponent() < -cur.Exponent() {
			return 0, fmt.Sprintf("has more than %d decimals for %s", cur.Exponent(), cur)
		}
		if d.Abs().GreaterThan(money.MaxMajor(cur)) {
			return 0, "must be at most " + money.MaxOf(cur)
		}
		m, err := money.FromDecimal(d, cur, money.RoundLine)
		if err != nil {
			return 0, err.Error()
		}
		return m.Amount, ""
	}
	if minor == nil {
		return 0, "is required"
	}
	if *minor > money.MaxAmount || *minor < -money.MaxAmount {
		return 0, "must be at most " + money.MaxOf(cur)
	}
	return *minor, ""
}

// Validate normalises the input and reports every problem.
func (in *ProductInput) Validate() error {
	var v core.ValidationError
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	in.MatchCode = strings.ToLower(strings.TrimSpace(in.MatchCode))
	if !codeRE.MatchString(in.Code) {
		v.Add("code", "must be 1-50 lower-case letters, digits, '.', '-' or '_'")
	}
	if in.Name == "" || len(in.Name) > 200 {
		v.Add("name", "must be 1-200 characters")
	}
	if !slices.Contains(ProductKinds, in.Kind) {
		v.Add("kind", "must be one of hosting, domain, subdomain, reseller, oneoff")
	}
	if len(in.MatchCode) > 63 {
		v.Add("match_code", "must be at most 63 characters")
	}
	if (in.Kind == KindHosting || in.Kind == KindReseller) && in.MatchCode == "" {
		v.Add("match_code", "is required: the package code this product bills")
	}
	if in.Included < 0 || in.Included > 10000 {
		v.Add("included", "must be 0 to 10000")
	}
	if in.TrialDays < 0 || in.TrialDays > 365 {
		v.Add("trial_days", "must be 0 to 365")
	}
	if len(in.Prices) == 0 {
		v.Add("prices", "at least one price is required")
	}
	seen := map[string]bool{}
	for i := range in.Prices {
		p := &in.Prices[i]
		f := "prices." + strconv.Itoa(i) + "."
		cur, err := money.ParseCurrency(p.Currency)
		if err != nil {
			v.Addf(f+"currency", "%q is not an ISO 4217 currency code", p.Currency)
		}
		p.Currency = string(cur)
		switch {
		case !p.Cycle.Valid():
			v.Add(f+"cycle", "must be one of monthly, quarterly, semiannual, annual, biennial, once")
		case (in.Kind == KindOneOff) != (p.Cycle == CycleOnce):
			v.Add(f+"cycle", "one-off products take the cycle once, and only they")
		}
		amount, problem := minorOf(p.AmountMinor, p.Amount, cur)
		if problem != "" {
			v.Add(f+"amount", problem)
		} else if amount < 0 {
			v.Add(f+"amount", "must not be negative")
		}
		p.AmountMinor, p.Amount = &amount, ""
		setup, problem := int64(0), ""
		if p.SetupMinor != nil || p.Setup != "" {
			setup, problem = minorOf(p.SetupMinor, p.Setup, cur)
		}
		if problem != "" {
			v.Add(f+"setup", problem)
		} else if setup < 0 {
			v.Add(f+"setup", "must not be negative")
		}
		p.SetupMinor, p.Setup = &setup, ""
		key := p.Currency + "/" + string(p.Cycle)
		if seen[key] {
			v.Addf(f+"cycle", "%s %s is priced twice", p.Currency, p.Cycle)
		}
		seen[key] = true
	}
	return v.Err()
}

// CreateProduct adds a product to the caller's catalog (the operator's
// is the wholesale catalog for resellers and the retail one for its own
// clients; a reseller's is the retail catalog for its clients).
func (s *Service) CreateProduct(ctx context.Context, scope tenancy.Scope, in ProductInput) (Product, error) {
	if err := requireSeller(scope); err != nil {
		return Product{}, err
	}
	if err := in.Validate(); err != nil {
		return Product{}, err
	}
	now := s.now()
	p := Product{SellerID: scope.TenantID, Code: in.Code, Name: in.Name, Kind: in.Kind, MatchCode: in.MatchCode,
		Included: in.Included, TrialDays: in.TrialDays, Active: in.Active == nil || *in.Active, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Create(&p).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return core.Invalid("code", "your catalog has a product %s already", in.Code)
			}
			return fmt.Errorf("create product: %w", err)
		}
		if err := s.writePrices(ctx, &p, in.Prices); err != nil {
			return err
		}
		return s.record(ctx, "billing.product.create", "product", p.ID, scope.TenantID, scope.Path, nil, p)
	})
	return p, err
}

// UpdateProduct replaces a product's fields and prices. Open contracts
// keep the price they were opened with.
func (s *Service) UpdateProduct(ctx context.Context, scope tenancy.Scope, id int64, in ProductInput) (Product, error) {
	if err := requireSeller(scope); err != nil {
		return Product{}, err
	}
	if err := in.Validate(); err != nil {
		return Product{}, err
	}
	var p Product
	err := s.tx(ctx, func(ctx context.Context) error {
		before, err := s.Product(ctx, scope, id)
		if err != nil {
			return err
		}
		if before.SellerID != scope.TenantID {
			return core.E(core.ErrForbidden, "product %d belongs to another seller's catalog", id)
		}
		p = before
		p.Code, p.Name, p.Kind, p.MatchCode, p.Included, p.TrialDays = in.Code, in.Name, in.Kind, in.MatchCode, in.Included, in.TrialDays
		if in.Active != nil {
			p.Active = *in.Active
		}
		p.UpdatedAt = s.now()
		err = s.db.Conn(ctx).Model(&Product{}).Where("id = ?", id).Updates(map[string]any{"code": p.Code, "name": p.Name, "kind": p.Kind,
			"match_code": p.MatchCode, "included": p.Included, "trial_days": p.TrialDays, "active": p.Active, "updated_at": p.UpdatedAt}).Error
		if db.IsUniqueViolation(err) {
			return core.Invalid("code", "your catalog has a product %s already", in.Code)
		} else if err != nil {
			return fmt.Errorf("update product %d: %w", id, err)
		}
		if err := s.db.Conn(ctx).Where("product_id = ?", id).Delete(&Price{}).Error; err != nil {
			return fmt.Errorf("replace prices of product %d: %w", id, err)
		}
		if err := s.writePrices(ctx, &p, in.Prices); err != nil {
			return err
		}
		return s.record(ctx, "billing.product.update", "product", id, scope.TenantID, scope.Path, before, p)
	})
	return p, err
}

func (s *Service) writePrices(ctx context.Context, p *Product, in []PriceInput) error {
	p.Prices = p.Prices[:0]
	for _, pi := range in {
		p.Prices = append(p.Prices, Price{ProductID: p.ID, Currency: pi.Currency, Cycle: pi.Cycle, AmountMinor: *pi.AmountMinor, SetupMinor: *pi.SetupMinor})
	}
	if err := s.db.Conn(ctx).Create(&p.Prices).Error; err != nil {
		return fmt.Errorf("write prices of product %d: %w", p.ID, err)
	}
	return nil
}

// catalogSellers are the catalogs a tenant sees: its own and its direct
// seller's. A reseller's client never sees the operator's wholesale
// prices.
func catalogSellers(scope tenancy.Scope) []int64 {
	ids := tenancy.Ancestors(scope.Path)
	return ids[max(0, len(ids)-2):]
}

// Products lists the catalogs the caller sees: its own, then the one it
// buys from.
func (s *Service) Products(ctx context.Context, scope tenancy.Scope) ([]Product, error) {
	if !scope.Valid() {
		return nil, nil
	}
	var out []Product
	if err := s.db.Read(ctx).Where("seller_id IN ?", catalogSellers(scope)).Order("seller_id DESC, kind, code").Limit(2000).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	return out, s.attachPrices(ctx, out)
}

func (s *Service) attachPrices(ctx context.Context, ps []Product) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	var prices []Price
	if err := s.db.Read(ctx).Where("product_id IN ?", ids).Order("currency, id").Find(&prices).Error; err != nil {
		return fmt.Errorf("list prices: %w", err)
	}
	byProduct := map[int64][]Price{}
	for _, pr := range prices {
		byProduct[pr.ProductID] = append(byProduct[pr.ProductID], pr)
	}
	for i := range ps {
		ps[i].Prices = byProduct[ps[i].ID]
	}
	return nil
}

// Product returns one product the caller sees, with its prices.
func (s *Service) Product(ctx context.Context, scope tenancy.Scope, id int64) (Product, error) {
	var p Product
	if !scope.Valid() {
		return p, core.E(core.ErrNotFound, "product %d not found", id)
	}
	err := s.db.Read(ctx).Where("id = ? AND seller_id IN ?", id, catalogSellers(scope)).Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, core.E(core.ErrNotFound, "product %d not found", id)
	} else if err != nil {
		return p, fmt.Errorf("load product %d: %w", id, err)
	}
	ps := []Product{p}
	err = s.attachPrices(ctx, ps)
	return ps[0], err
}

// PriceFor returns the product's price in cur and cycle.
func (p Product) PriceFor(cur string, c Cycle) (Price, bool) {
	for _, pr := range p.Prices {
		if pr.Currency == cur && pr.Cycle == c {
			return pr, true
		}
	}
	return Price{}, false
}

// ParseAmount reads a major-unit decimal ("12.50" or "12,50") into minor
// units of cur; it refuses more decimals than the currency has. The
// problem, when there is one, is a field message.
func ParseAmount(major, cur string) (int64, string) {
	if strings.TrimSpace(major) == "" {
		return 0, "is required"
	}
	return minorOf(nil, major, money.Currency(strings.ToUpper(strings.TrimSpace(cur))))
}
