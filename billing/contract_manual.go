package billing

import (
	"context"
	"fmt"
	"strings"

	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
)

// ContractInput opens a contract by hand: a one-off item, or a service
// billed without a provisioned resource.
type ContractInput struct {
	CustomerID int64  `json:"customer_id"`
	ProductID  int64  `json:"product_id"`
	Cycle      Cycle  `json:"cycle"`
	Currency   string `json:"currency"`
	Name       string `json:"name"`
	Start      string `json:"start"` // YYYY-MM-DD; default today in the seller's zone
}

// CreateContract opens a manual contract for a customer the caller sells
// to, at the catalog price for the currency and cycle.
func (s *Service) CreateContract(ctx context.Context, scope tenancy.Scope, in ContractInput) (Contract, error) {
	if err := requireSeller(scope); err != nil {
		return Contract{}, err
	}
	var v core.ValidationError
	in.Name = strings.TrimSpace(in.Name)
	cur, err := money.ParseCurrency(in.Currency)
	if err != nil {
		v.Addf("currency", "%q is not an ISO 4217 currency code", in.Currency)
	}
	if !in.Cycle.Valid() {
		v.Add("cycle", "must be one of monthly, quarterly, semiannual, annual, biennial, once")
	}
	if len(in.Name) > 300 {
		v.Add("name", "must be at most 300 characters")
	}
	var start Date
	if in.Start != "" {
		if start, err = ParseDay("start", in.Start); err != nil {
			v.Add("start", "want a date as YYYY-MM-DD")
		}
	}
	if err := v.Err(); err != nil {
		return Contract{}, err
	}
	var c Contract
	err = s.tx(ctx, func(ctx context.Context) error {
		cust, err := s.tenant(ctx, scope, in.CustomerID)
		if err != nil || cust.ParentID == nil || *cust.ParentID != scope.TenantID {
			return core.Invalid("customer_id", "customer %d does not buy from you", in.CustomerID)
		}
		p, err := s.Product(ctx, scope, in.ProductID)
		if err != nil || p.SellerID != scope.TenantID {
			return core.Invalid("product_id", "no product %d in your catalog", in.ProductID)
		}
		pr, ok := p.PriceFor(string(cur), in.Cycle)
		if !ok {
			return core.Invalid("cycle", "product %s has no %s price in %s", p.Code, in.Cycle, cur)
		}
		if in.Start == "" {
			loc, err := s.sellerZone(ctx, scope.TenantID)
			if err != nil {
				return err
			}
			start = LocalDay(s.now(), loc)
		}
		due := AddDays(start, p.TrialDays)
		now := s.now()
		c = Contract{SellerID: scope.TenantID, CustomerID: cust.ID, CustomerPath: cust.Path, SubjectKind: SubjectManual, SubjectName: in.Name,
			ProductID: p.ID, Currency: string(cur), Cycle: in.Cycle, UnitMinor: pr.AmountMinor, SetupMinor: pr.SetupMinor, AnchorDay: due.Day,
			StartDate: start.String(), NextDue: due.String(), Status: ContractActive, SourceEvent: actorLabel(ctx), CreatedAt: now, UpdatedAt: now}
		if err := s.db.Conn(ctx).Create(&c).Error; err != nil {
			return fmt.Errorf("create contract: %w", err)
		}
		c.Subproject = fmt.Sprintf("contract:%d", c.ID)
		c.SubjectID = c.ID
		if err := s.db.Conn(ctx).Model(&Contract{}).Where("id = ?", c.ID).UpdateColumns(map[string]any{"subproject": c.Subproject, "subject_id": c.ID}).Error; err != nil {
			return fmt.Errorf("create contract: %w", err)
		}
		return s.record(ctx, "billing.contract.create", "contract", c.ID, cust.ID, cust.Path, nil, c)
	})
	return c, err
}
