package provisioning

import (
	"context"
	"strings"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// AccountFilter narrows an account listing.
type AccountFilter struct {
	Query    string // part of the user name or of a domain
	State    State
	TenantID int64
}

// Accounts lists the accounts in scope, newest first, after the cursor
// (an id; 0 for the first page).
func (s *Service) Accounts(ctx context.Context, scope tenancy.Scope, f AccountFilter, p core.Page) ([]Account, error) {
	t := strings.TrimSpace(strings.ToLower(f.Query))
	like := db.Contains(t)
	q := db.Filter(s.db.Read(ctx).Scopes(scope.PathColumn("tenant_path")),
		db.When(t != "", "(username LIKE ?"+db.LikeEscape+" OR id IN (SELECT account_id FROM domains WHERE name LIKE ?"+db.LikeEscape+"))", like, like),
		db.Eq("state", f.State), db.When(f.TenantID > 0, "tenant_id = ?", f.TenantID))
	return db.FindPage[Account](q, p, "accounts")
}

// GetAccount loads one account in scope.
func (s *Service) GetAccount(ctx context.Context, scope tenancy.Scope, id int64) (Account, error) {
	var a Account
	err := first(s.db.Read(ctx).Scopes(scope.PathColumn("tenant_path")).Where("id = ?", id), &a, "account", id)
	return a, err
}
