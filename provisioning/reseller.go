package provisioning

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// ResellerInput opens a reseller account or changes its limits (0 means
// no limit).
type ResellerInput struct {
	TenantID   int64  `json:"tenant_id"`
	Package    string `json:"package"`
	MaxClients int    `json:"max_clients"`
	DiskMB     int64  `json:"disk_mb"`
	TrafficMB  int64  `json:"traffic_mb"`
}

// Validate normalises the input and reports every problem.
func (in *ResellerInput) Validate() error {
	var v core.ValidationError
	in.Package = strings.ToLower(strings.TrimSpace(in.Package))
	if in.TenantID <= 0 {
		v.Add("tenant_id", "must name a reseller")
	}
	if !codeRE.MatchString(in.Package) {
		v.Add("package", "must be 1-50 lower-case letters, digits, '-' or '_'")
	}
	if in.MaxClients < 0 {
		v.Add("max_clients", "must be 0 (no limit) or more")
	}
	if in.DiskMB < 0 {
		v.Add("disk_mb", "must be 0 (no limit) or more")
	}
	if in.TrafficMB < 0 {
		v.Add("traffic_mb", "must be 0 (no limit) or more")
	}
	return v.Err()
}

func (r ResellerAccount) ref() ResellerRef {
	return ResellerRef{ResellerID: r.TenantID, AccountID: r.ID, Package: r.Package}
}

func (r ResellerAccount) summary() map[string]any {
	return map[string]any{"package": r.Package, "max_clients": r.MaxClients, "disk_mb": r.DiskMB,
		"traffic_mb": r.TrafficMB, "state": r.State, "suspend_reason": r.SuspendReason}
}

// CreateReseller opens the reseller account of a reseller tenant in scope
// and publishes ResellerCreated.
func (s *Service) CreateReseller(ctx context.Context, scope tenancy.Scope, in ResellerInput) (ResellerAccount, error) {
	if err := in.Validate(); err != nil {
		return ResellerAccount{}, err
	}
	var r ResellerAccount
	err := s.tx(ctx, func(ctx context.Context) error {
		t, err := s.tenantIn(ctx, scope, in.TenantID)
		if err != nil || t.Kind != tenancy.KindReseller {
			return core.Invalid("tenant_id", "no such reseller in your scope")
		}
		var n int64
		if err := s.db.Conn(ctx).Model(&ResellerAccount{}).Where("tenant_id = ?", t.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return core.Invalid("tenant_id", "this reseller already has a reseller account")
		}
		now := s.now()
		r = ResellerAccount{TenantID: t.ID, TenantPath: t.Path, Package: in.Package, MaxClients: in.MaxClients,
			DiskMB: in.DiskMB, TrafficMB: in.TrafficMB, State: StateActive, CreatedAt: now, UpdatedAt: now}
		if err := s.db.Conn(ctx).Create(&r).Error; err != nil {
			return fmt.Errorf("create reseller account: %w", err)
		}
		if err := s.record(ctx, "reseller.create", "reseller_account", r.ID, t.ID, t.Path, nil, r.summary()); err != nil {
			return err
		}
		return s.publish(ctx, actorLabel(ctx), ResellerCreated{r.ref()})
	})
	return r, err
}

// UpdateReseller changes a reseller's package and limits; a limit may not
// go below what the reseller already uses.
func (s *Service) UpdateReseller(ctx context.Context, scope tenancy.Scope, id int64, in ResellerInput) (ResellerAccount, error) {
	if err := in.Validate(); err != nil {
		return ResellerAccount{}, err
	}
	var r ResellerAccount
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if r, err = s.resellerIn(ctx, scope, id, true); err != nil {
			return err
		}
		if r.State == StateTerminated {
			return core.E(core.ErrPrecondition, "reseller account %d is terminated", id)
		}
		use, err := s.resellerUse(ctx, r)
		if err != nil {
			return err
		}
		var v core.ValidationError
		if in.MaxClients > 0 && int64(in.MaxClients) < use.clients {
			v.Addf("max_clients", "is below the %d clients the reseller has", use.clients)
		}
		if in.DiskMB > 0 && in.DiskMB < use.diskMB {
			v.Addf("disk_mb", "is below the %d MB its accounts already have", use.diskMB)
		}
		if in.TrafficMB > 0 && in.TrafficMB < use.trafficMB {
			v.Addf("traffic_mb", "is below the %d MB its accounts already have", use.trafficMB)
		}
		if err := v.Err(); err != nil {
			return err
		}
		before := r.summary()
		r.Package, r.MaxClients, r.DiskMB, r.TrafficMB, r.UpdatedAt = in.Package, in.MaxClients, in.DiskMB, in.TrafficMB, s.now()
		err = s.db.Conn(ctx).Model(&ResellerAccount{}).Where("id = ?", id).Updates(map[string]any{"package": r.Package,
			"max_clients": r.MaxClients, "disk_mb": r.DiskMB, "traffic_mb": r.TrafficMB, "updated_at": r.UpdatedAt}).Error
		if err != nil {
			return fmt.Errorf("update reseller account %d: %w", id, err)
		}
		return s.record(ctx, "reseller.update", "reseller_account", r.ID, r.TenantID, r.TenantPath, before, r.summary())
	})
	return r, err
}

// resellerIn loads a reseller account whose reseller is in scope, locking
// it when forUpdate.
func (s *Service) resellerIn(ctx context.Context, scope tenancy.Scope, id int64, forUpdate bool) (ResellerAccount, error) {
	var r ResellerAccount
	q := s.db.Conn(ctx).Scopes(scope.PathColumn("tenant_path")).Where("id = ?", id)
	if forUpdate {
		q = s.lock(q)
	}
	err := first(q, &r, "reseller account", id)
	return r, err
}

type resellerUse struct{ clients, diskMB, trafficMB int64 }

// resellerUse counts the clients of r and the quotas of the live accounts
// in its subtree.
func (s *Service) resellerUse(ctx context.Context, r ResellerAccount) (resellerUse, error) {
	var u resellerUse
	if err := s.db.Conn(ctx).Table("tenants").Where("parent_id = ? AND kind = ?", r.TenantID, tenancy.KindClient).Count(&u.clients).Error; err != nil {
		return u, err
	}
	row := struct{ Disk, Traffic int64 }{}
	err := s.db.Conn(ctx).Model(&Account{}).Select("COALESCE(SUM(disk_mb), 0) AS disk, COALESCE(SUM(traffic_mb), 0) AS traffic").
		Where("tenant_path LIKE ?"+db.LikeEscape+" AND target <> ? AND state <> ?", db.Prefix(r.TenantPath), StateTerminated, StateFailed).
		Scan(&row).Error
	u.diskMB, u.trafficMB = row.Disk, row.Traffic
	return u, err
}

// CheckNewClient is called in the transaction that creates a client under
// seller: a reseller with a reseller account must be active and below its
// client limit. It locks the reseller account, so two concurrent creations
// cannot both take the last place.
func (s *Service) CheckNewClient(ctx context.Context, sellerID int64) error {
	var rs []ResellerAccount
	if err := s.lock(s.db.Conn(ctx).Where("tenant_id = ?", sellerID)).Find(&rs).Error; err != nil {
		return fmt.Errorf("load reseller account: %w", err)
	}
	if len(rs) == 0 {
		return nil
	}
	r := rs[0]
	if r.State != StateActive {
		return core.Invalid("parent_id", "the reseller account is %s", r.State)
	}
	if r.MaxClients == 0 {
		return nil
	}
	use, err := s.resellerUse(ctx, r)
	if err != nil {
		return err
	}
	if use.clients >= int64(r.MaxClients) {
		return core.Invalid("parent_id", "the reseller has reached its limit of %d clients", r.MaxClients)
	}
	return nil
}

// checkResellerRoom is called when an account of seller is created or
// grows by (disk, traffic) MB: a reseller's hosting needs an active
// reseller account with room left. It locks the reseller account.
func (s *Service) checkResellerRoom(ctx context.Context, sellerID, disk, traffic int64) error {
	if sellerID == tenancy.OperatorID {
		return nil
	}
	var rs []ResellerAccount
	if err := s.lock(s.db.Conn(ctx).Where("tenant_id = ?", sellerID)).Find(&rs).Error; err != nil {
		return fmt.Errorf("load reseller account: %w", err)
	}
	if len(rs) == 0 {
		return core.Invalid("tenant_id", "the reseller has no reseller account, so it cannot host accounts")
	}
	r := rs[0]
	if r.State != StateActive {
		return core.Invalid("tenant_id", "the reseller account is %s", r.State)
	}
	use, err := s.resellerUse(ctx, r)
	if err != nil {
		return err
	}
	var v core.ValidationError
	if r.DiskMB > 0 && use.diskMB+disk > r.DiskMB {
		v.Addf("package_id", "needs %d MB of disk; the reseller has %d of %d MB left", disk, r.DiskMB-use.diskMB, r.DiskMB)
	}
	if r.TrafficMB > 0 && use.trafficMB+traffic > r.TrafficMB {
		v.Addf("package_id", "needs %d MB of traffic; the reseller has %d of %d MB left", traffic, r.TrafficMB-use.trafficMB, r.TrafficMB)
	}
	return v.Err()
}

// SuspendReseller suspends a reseller account and queues the suspension,
// with reason reseller_suspended, of every account in its subtree that is
// not already suspended (or on its way to be).
func (s *Service) SuspendReseller(ctx context.Context, scope tenancy.Scope, id int64, reason Reason) (ResellerAccount, error) {
	if !slices.Contains(Reasons, reason) {
		return ResellerAccount{}, core.Invalid("reason", "must be one of nonpayment, abuse, manual")
	}
	return s.resellerTransition(ctx, scope, id, StateActive, StateSuspended, reason, func(ctx context.Context, r ResellerAccount) error {
		accts, err := s.subtreeAccounts(ctx, r.TenantPath, "target = ? AND state <> ?", StateActive, StateFailed)
		if err != nil {
			return err
		}
		for _, a := range accts {
			if err := s.queueSuspend(ctx, a, ReasonResellerSuspended); err != nil {
				return err
			}
		}
		return s.publish(ctx, actorLabel(ctx), ResellerSuspended{r.ref(), reason})
	})
}

// UnsuspendReseller restores a reseller account and queues the
// unsuspension of exactly the accounts its suspension suspended; an
// account suspended for another reason stays suspended.
func (s *Service) UnsuspendReseller(ctx context.Context, scope tenancy.Scope, id int64) (ResellerAccount, error) {
	return s.resellerTransition(ctx, scope, id, StateSuspended, StateActive, "", func(ctx context.Context, r ResellerAccount) error {
		accts, err := s.subtreeAccounts(ctx, r.TenantPath, "target = ? AND suspend_reason = ?", StateSuspended, ReasonResellerSuspended)
		if err != nil {
			return err
		}
		for _, a := range accts {
			if err := s.queueUnsuspend(ctx, a); err != nil {
				return err
			}
		}
		return s.publish(ctx, actorLabel(ctx), ResellerUnsuspended{r.ref()})
	})
}

// TerminateReseller closes a reseller account and queues the termination
// of every live account in its subtree.
func (s *Service) TerminateReseller(ctx context.Context, scope tenancy.Scope, id int64) (ResellerAccount, error) {
	return s.resellerTransition(ctx, scope, id, "", StateTerminated, "", func(ctx context.Context, r ResellerAccount) error {
		accts, err := s.subtreeAccounts(ctx, r.TenantPath, "target <> ?", StateTerminated)
		if err != nil {
			return err
		}
		for _, a := range accts {
			if err := s.queueTerminate(ctx, a); err != nil {
				return err
			}
		}
		return s.publish(ctx, actorLabel(ctx), ResellerTerminated{r.ref()})
	})
}

// resellerTransition moves a reseller account from `from` (any live state
// when empty) to `to` in one transaction with its effects.
func (s *Service) resellerTransition(ctx context.Context, scope tenancy.Scope, id int64, from, to State, reason Reason, effects func(context.Context, ResellerAccount) error) (ResellerAccount, error) {
	var r ResellerAccount
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if r, err = s.resellerIn(ctx, scope, id, true); err != nil {
			return err
		}
		if (from != "" && r.State != from) || r.State == StateTerminated {
			return core.E(core.ErrPrecondition, "reseller account %d is %s", id, r.State)
		}
		before := r.summary()
		r.State, r.SuspendReason, r.UpdatedAt = to, reason, s.now()
		if err := s.db.Conn(ctx).Model(&r).Updates(map[string]any{"state": r.State, "suspend_reason": r.SuspendReason, "updated_at": r.UpdatedAt}).Error; err != nil {
			return fmt.Errorf("update reseller account %d: %w", id, err)
		}
		if err := s.record(ctx, "reseller."+transitionVerb(to), "reseller_account", r.ID, r.TenantID, r.TenantPath, before, r.summary()); err != nil {
			return err
		}
		return effects(ctx, r)
	})
	return r, err
}

func transitionVerb(to State) string {
	switch to {
	case StateSuspended:
		return "suspend"
	case StateActive:
		return "unsuspend"
	}
	return "terminate"
}

// subtreeAccounts loads (and locks) the accounts under path that match the
// condition.
func (s *Service) subtreeAccounts(ctx context.Context, path, cond string, args ...any) ([]Account, error) {
	var out []Account
	q := s.db.Conn(ctx).Where("tenant_path LIKE ?"+db.LikeEscape, db.Prefix(path)).Where(cond, args...).Order("id")
	if err := s.lock(q).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("load accounts under %s: %w", path, err)
	}
	return out, nil
}

// ListResellers lists the reseller accounts in scope, with their tenants'
// names.
func (s *Service) ListResellers(ctx context.Context, scope tenancy.Scope) ([]ResellerAccount, error) {
	var out []ResellerAccount
	if err := s.db.Read(ctx).Scopes(scope.PathColumn("tenant_path")).Order("id").Limit(1000).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list reseller accounts: %w", err)
	}
	return out, s.nameResellers(ctx, out)
}

// GetReseller loads one reseller account in scope.
func (s *Service) GetReseller(ctx context.Context, scope tenancy.Scope, id int64) (ResellerAccount, error) {
	r, err := s.resellerIn(ctx, scope, id, false)
	if err != nil {
		return r, err
	}
	rs := []ResellerAccount{r}
	err = s.nameResellers(ctx, rs)
	return rs[0], err
}

func (s *Service) nameResellers(ctx context.Context, rs []ResellerAccount) error {
	for i := range rs {
		var name string
		if err := s.db.Read(ctx).Table("tenants").Select("name").Where("id = ?", rs[i].TenantID).Scan(&name).Error; err != nil {
			return err
		}
		rs[i].TenantName = name
	}
	return nil
}
