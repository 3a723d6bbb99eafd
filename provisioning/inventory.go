package provisioning

import (
	"context"
	"fmt"
	"time"
)

// Item is a live resource as billing's reconciler sees it.
type Item struct {
	Kind      string // account, domain, subdomain, reseller
	ID        int64  // account, domain or reseller account id
	AccountID int64  // the account a domain belongs to (the account itself for accounts)
	TenantID  int64  // who uses it (for a reseller: the reseller's tenant)
	SellerID  int64  // who sells it (0 for a reseller: its parent tenant)
	Package   string // package code (accounts, resellers)
	Name      string
	Account   string // the account's user name
	Since     time.Time
}

// Inventory lists every resource the servers serve: accounts that are
// active or suspended, their live domains and subdomains, and reseller
// accounts not terminated. It reads without a scope: it is system work.
func (s *Service) Inventory(ctx context.Context) ([]Item, error) {
	var out []Item
	var accts []struct {
		ID, TenantID, SellerID int64
		Username, Code         string
		CreatedAt              time.Time
	}
	err := s.db.Read(ctx).Table("accounts").Select("accounts.id, accounts.tenant_id, accounts.seller_id, accounts.username, packages.code, accounts.created_at").
		Joins("JOIN packages ON packages.id = accounts.package_id").Where("accounts.state IN ?", []State{StateActive, StateSuspended}).
		Order("accounts.id").Find(&accts).Error
	if err != nil {
		return nil, fmt.Errorf("inventory accounts: %w", err)
	}
	users := map[int64]int{}
	for _, a := range accts {
		users[a.ID] = len(out)
		out = append(out, Item{Kind: "account", ID: a.ID, AccountID: a.ID, TenantID: a.TenantID, SellerID: a.SellerID, Package: a.Code,
			Name: a.Username, Account: a.Username, Since: a.CreatedAt})
	}
	var ds []Domain
	if err := s.db.Read(ctx).Where("state = ?", StateActive).Order("id").Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("inventory domains: %w", err)
	}
	for _, d := range ds {
		i, ok := users[d.AccountID]
		if !ok {
			continue
		}
		kind := "domain"
		if d.IsSubdomain() {
			kind = "subdomain"
		}
		a := out[i]
		out = append(out, Item{Kind: kind, ID: d.ID, AccountID: d.AccountID, TenantID: a.TenantID, SellerID: a.SellerID,
			Name: d.Name, Account: a.Account, Since: d.CreatedAt})
	}
	var rs []ResellerAccount
	if err := s.db.Read(ctx).Where("state <> ?", StateTerminated).Order("id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("inventory reseller accounts: %w", err)
	}
	for _, r := range rs {
		out = append(out, Item{Kind: "reseller", ID: r.ID, TenantID: r.TenantID, Package: r.Package, Since: r.CreatedAt})
	}
	return out, nil
}
