package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

// Subject kinds of contracts.
const (
	SubjectAccount   = "account"
	SubjectDomain    = "domain"
	SubjectSubdomain = "subdomain"
	SubjectReseller  = "reseller"
	SubjectManual    = "manual"
)

// Subject is a billable resource: what a contract bills, who uses it and
// who sells it to them directly.
type Subject struct {
	Kind           string
	ID             int64
	Name           string
	CustomerID     int64
	SellerID       int64
	Product        ProductKind
	Match          string // the package code, or the domain's TLD
	Subproject     string // "account:12", "reseller:4"
	SubprojectName string
}

func openKey(sellerID int64, kind string, id int64) string {
	return fmt.Sprintf("%d:%s:%d", sellerID, kind, id)
}

// Opened is what opening a subject's contracts did.
type Opened struct {
	Contracts []Contract
	Unpriced  []string // "seller 4: no hosting product for package gold in EUR"
}

// openSubject opens a contract for subj with its direct seller, and for
// every reseller in between with that reseller's own seller (wholesale),
// starting on the seller's local day of at. An open contract for the same
// seller and subject makes it a no-op, so a redelivered event or a
// reconcile run opens nothing twice. It runs in the caller's transaction.
func (s *Service) openSubject(ctx context.Context, subj Subject, at time.Time, source string) (Opened, error) {
	var out Opened
	customer, seller := subj.CustomerID, subj.SellerID
	for seller != 0 {
		c, unpriced, err := s.openOne(ctx, subj, seller, customer, at, source)
		if err != nil {
			return out, err
		}
		if c != nil {
			out.Contracts = append(out.Contracts, *c)
		}
		if unpriced != "" {
			out.Unpriced = append(out.Unpriced, unpriced)
		}
		st, err := s.tenant(ctx, allTenants, seller)
		if err != nil {
			return out, err
		}
		if st.Kind != string(tenancy.KindReseller) || st.ParentID == nil {
			break
		}
		customer, seller = seller, *st.ParentID
	}
	return out, nil
}

// allTenants is the operator's scope: system work (event handlers, the
// run, reconcile) sees every tenant.
var allTenants = tenancy.Scope{TenantID: tenancy.OperatorID, Kind: tenancy.KindOperator, Path: tenancy.PathOf("/", tenancy.OperatorID)}

func (s *Service) openOne(ctx context.Context, subj Subject, sellerID, customerID int64, at time.Time, source string) (*Contract, string, error) {
	key := openKey(sellerID, subj.Kind, subj.ID)
	var n int64
	if err := s.db.Conn(ctx).Model(&Contract{}).Where("open_key = ?", key).Count(&n).Error; err != nil {
		return nil, "", fmt.Errorf("look up contract %s: %w", key, err)
	}
	if n > 0 {
		return nil, "", nil
	}
	p, err := s.matchProduct(ctx, sellerID, subj.Product, subj.Match)
	if err != nil {
		return nil, "", err
	}
	if p == nil {
		return nil, fmt.Sprintf("seller %d has no %s product for %q", sellerID, subj.Product, subj.Match), nil
	}
	cust, err := s.tenant(ctx, allTenants, customerID)
	if err != nil {
		return nil, "", err
	}
	sc := settings.Scope{Seller: itoa(sellerID), Plan: itoa(p.ID), Customer: itoa(customerID)}
	cur, err := s.currencyFor(ctx, sellerID, customerID)
	if err != nil {
		return nil, "", err
	}
	want, err := settings.Get(ctx, s.settings, DefaultCycle, sc)
	if err != nil {
		return nil, "", err
	}
	price, ok := p.PriceFor(cur, Cycle(want.Value))
	for _, c := range Cycles {
		if !ok {
			price, ok = p.PriceFor(cur, c)
		}
	}
	if !ok {
		return nil, fmt.Sprintf("product %s of seller %d has no price in %s", p.Code, sellerID, cur), nil
	}
	loc, err := s.sellerZone(ctx, sellerID)
	if err != nil {
		return nil, "", err
	}
	start := LocalDay(at, loc)
	due, anchor, setup, err := s.firstDue(ctx, key, start, p.TrialDays, price.SetupMinor)
	if err != nil {
		return nil, "", err
	}
	included := false
	if p.Included > 0 {
		var used int64
		err := s.db.Conn(ctx).Model(&Contract{}).Where("seller_id = ? AND subproject = ? AND subject_kind = ? AND status = ? AND included = ?",
			sellerID, subj.Subproject, subj.Kind, ContractActive, true).Count(&used).Error
		if err != nil {
			return nil, "", fmt.Errorf("count included %s: %w", subj.Kind, err)
		}
		included = used < int64(p.Included)
	}
	now := s.now()
	c := Contract{SellerID: sellerID, CustomerID: customerID, CustomerPath: cust.Path, Subproject: subj.Subproject, SubprojectName: subj.SubprojectName,
		SubjectKind: subj.Kind, SubjectID: subj.ID, SubjectName: subj.Name, ProductID: p.ID, Currency: cur, Cycle: price.Cycle,
		UnitMinor: price.AmountMinor, SetupMinor: setup, Included: included, AnchorDay: anchor, StartDate: start.String(),
		NextDue: due.String(), Status: ContractActive, OpenKey: &key, SourceEvent: source, CreatedAt: now, UpdatedAt: now}
	if included {
		c.SetupMinor = 0
	}
	if cp, err := s.campaignFor(ctx, sellerID, p.ID, cur, start); err != nil {
		return nil, "", err
	} else if cp != nil && !included {
		c.CouponID, c.DiscountLeft = &cp.ID, discountCycles(cp)
	}
	if err := s.db.Conn(ctx).Create(&c).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return nil, "", nil // opened meanwhile by another delivery
		}
		return nil, "", fmt.Errorf("open contract %s: %w", key, err)
	}
	return &c, "", s.record(ctx, "billing.contract.open", "contract", c.ID, customerID, cust.Path, nil, c)
}

// firstDue is when a new contract for a subject first bills, its anchor
// day and setup fee. A subject billed before (its contract was closed and
// is opened again) goes on where its billed periods end, on the old
// anchor, without a trial or a second setup fee: no period is billed
// twice, and billed_periods' unique key refuses it if anything tried.
func (s *Service) firstDue(ctx context.Context, key string, start Date, trialDays int, setup int64) (Date, int, int64, error) {
	through, anchor, err := s.billedThrough(ctx, key)
	if err != nil || through == "" {
		due := AddDays(start, trialDays)
		return due, due.Day, setup, err
	}
	end, err := ParseDay("period_end", through)
	if err != nil {
		return Date{}, 0, 0, err
	}
	if Before(end, start) {
		return start, start.Day, 0, nil
	}
	if anchor < 1 {
		anchor = end.Day
	}
	return end, anchor, 0, nil
}

// matchProduct finds the seller's active product of kind for match: the
// package code, or for domains the TLD (falling back to a product with no
// TLD, which prices any domain).
func (s *Service) matchProduct(ctx context.Context, sellerID int64, kind ProductKind, match string) (*Product, error) {
	var ps []Product
	q := s.db.Conn(ctx).Where("seller_id = ? AND kind = ? AND active = ?", sellerID, kind, true)
	switch kind {
	case KindDomain, KindSubdomain:
		q = q.Where("match_code IN ?", []string{strings.ToLower(match), ""}).Order("match_code DESC")
	default:
		q = q.Where("match_code = ?", match)
	}
	if err := q.Order("id").Limit(1).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("match %s product: %w", kind, err)
	}
	if len(ps) == 0 {
		return nil, nil
	}
	if err := s.attachPrices(ctx, ps); err != nil {
		return nil, err
	}
	return &ps[0], nil
}

// currencyFor is the customer's chosen currency, else the seller's
// billing.currency setting, else the service default.
func (s *Service) currencyFor(ctx context.Context, sellerID, customerID int64) (string, error) {
	var p Profile
	err := s.db.Conn(ctx).Select("currency").Where("tenant_id = ?", customerID).Take(&p).Error
	if err == nil && p.Currency != "" {
		return p.Currency, nil
	}
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", fmt.Errorf("load currency of %d: %w", customerID, err)
	}
	r, err := settings.Get(ctx, s.settings, DefaultCurrency, settings.Scope{Seller: itoa(sellerID), Customer: itoa(customerID)})
	if err != nil {
		return "", err
	}
	if r.From == settings.FromDefault {
		return s.opt.DefaultCurrency, nil
	}
	return r.Value, nil
}

// sellerZone is the seller's time zone (UTC when its profile names none).
func (s *Service) sellerZone(ctx context.Context, sellerID int64) (*time.Location, error) {
	var p Profile
	err := s.db.Conn(ctx).Select("timezone").Where("tenant_id = ?", sellerID).Take(&p).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("load time zone of seller %d: %w", sellerID, err)
	}
	return loadZone(p.Timezone)
}

// closeContracts ends the open contracts matching where (subject or
// subproject) on the seller's local day of at, crediting the unused part
// of invoiced periods when the termination-credit setting says so.
func (s *Service) closeContracts(ctx context.Context, at time.Time, source string, where string, args ...any) (int, error) {
	var cs []Contract
	if err := s.db.Conn(ctx).Where("status = ?", ContractActive).Where(where, args...).Order("id").Find(&cs).Error; err != nil {
		return 0, fmt.Errorf("find contracts to close: %w", err)
	}
	for _, c := range cs {
		loc, err := s.sellerZone(ctx, c.SellerID)
		if err != nil {
			return 0, err
		}
		day := LocalDay(at, loc)
		if err := s.endContract(ctx, c, day, source); err != nil {
			return 0, err
		}
	}
	return len(cs), nil
}

func (s *Service) endContract(ctx context.Context, c Contract, day Date, source string) error {
	err := s.db.Conn(ctx).Model(&Contract{}).Where("id = ? AND status = ?", c.ID, ContractActive).
		Updates(map[string]any{"status": ContractTerminated, "open_key": nil, "ended_on": day.String(), "updated_at": s.now()}).Error
	if err != nil {
		return fmt.Errorf("close contract %d: %w", c.ID, err)
	}
	credit, err := settings.Get(ctx, s.settings, TerminationCredit, contractScope(c))
	if err != nil {
		return err
	}
	if credit.Value {
		if err := s.prorate(ctx, c, day, func(l Line) int64 { return -l.NetMinor }, ProrateCreditNote, "termination", source); err != nil {
			return err
		}
	}
	if err := s.dropDraftLines(ctx, c.ID, day); err != nil {
		return err
	}
	// Charges still waiting (an upgrade's difference) are owed for the
	// time used: invoice them now rather than never.
	if _, err := s.invoicePending(ctx, c, day); err != nil {
		return err
	}
	return s.record(ctx, "billing.contract.close", "contract", c.ID, c.CustomerID, c.CustomerPath, map[string]any{"status": c.Status},
		map[string]any{"status": ContractTerminated, "ended_on": day.String(), "source": source})
}

func contractScope(c Contract) settings.Scope {
	return settings.Scope{Seller: itoa(c.SellerID), Plan: itoa(c.ProductID), Customer: itoa(c.CustomerID), Contract: itoa(c.ID)}
}

// ContractFilter narrows a contract listing.
type ContractFilter struct {
	Status     string
	CustomerID int64
	Subproject string
}

// Contracts lists the contracts of customers in the caller's subtree
// (what the caller buys and what it sells), newest first.
func (s *Service) Contracts(ctx context.Context, scope tenancy.Scope, f ContractFilter, p core.Page) ([]Contract, error) {
	if !scope.Valid() {
		return nil, nil
	}
	q := db.Filter(s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")),
		db.Eq("status", f.Status), db.Eq("customer_id", f.CustomerID), db.Eq("subproject", f.Subproject))
	return db.FindPage[Contract](q, p, "contracts")
}

// Contract returns one contract in the caller's subtree.
func (s *Service) Contract(ctx context.Context, scope tenancy.Scope, id int64) (Contract, error) {
	var c Contract
	err := s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")).Where("id = ?", id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || !scope.Valid() {
		return c, core.E(core.ErrNotFound, "contract %d not found", id)
	}
	return c, err
}

// TerminateContract ends a contract by hand (a seller's decision; the
// resource stays), as of the seller's today.
func (s *Service) TerminateContract(ctx context.Context, scope tenancy.Scope, id int64) (Contract, error) {
	return s.changeContract(ctx, scope, id, func(ctx context.Context, c *Contract) error {
		if c.Status != ContractActive {
			return core.E(core.ErrPrecondition, "contract %d is %s already", id, c.Status)
		}
		loc, err := s.sellerZone(ctx, c.SellerID)
		if err != nil {
			return err
		}
		if err := s.endContract(ctx, *c, LocalDay(s.now(), loc), actorLabel(ctx)); err != nil {
			return err
		}
		fresh, err := s.Contract(ctx, scope, id)
		*c = fresh
		return err
	})
}

// changeContract runs fn in a transaction on a contract the caller sells,
// loaded and locked for update; it returns the contract as fn left it.
func (s *Service) changeContract(ctx context.Context, scope tenancy.Scope, id int64, fn func(ctx context.Context, c *Contract) error) (Contract, error) {
	return changeLocked(ctx, s, func(ctx context.Context) (Contract, error) { return s.sellerContract(ctx, scope, id) }, fn)
}

// sellerContract loads a contract the caller sells, locked for update.
func (s *Service) sellerContract(ctx context.Context, scope tenancy.Scope, id int64) (Contract, error) {
	c, err := s.Contract(ctx, scope, id)
	if err != nil {
		return c, err
	}
	if c.SellerID != scope.TenantID {
		return c, core.E(core.ErrForbidden, "contract %d is sold by another seller", id)
	}
	return c, s.lockRows(ctx, "contracts", c.ID)
}

// lockRows takes row locks (MariaDB) on the given ids of table; SQLite's
// single writer already serialises.
func (s *Service) lockRows(ctx context.Context, table string, ids ...int64) error {
	if s.db.Dialect != db.MySQL || len(ids) == 0 {
		return nil
	}
	var got []int64
	return s.db.Conn(ctx).Raw("SELECT id FROM "+table+" WHERE id IN ? ORDER BY id FOR UPDATE", ids).Scan(&got).Error
}
