package provisioning

import (
	"context"
	"fmt"
	"slices"

	"faktura/panel/core/tenancy"
)

// What billing's collections ask of provisioning: suspend, restore and
// terminate what unpaid contracts bill. Each method works in the caller's
// transaction and only queues the server work, so no server is called
// while billing holds its rows; a server that fails delays its own jobs,
// never the others'.

var operatorScope = tenancy.Scope{TenantID: tenancy.OperatorID, Kind: tenancy.KindOperator, Path: tenancy.PathOf("/", tenancy.OperatorID)}

// Hosting resources a nonpayment action acts on.
const (
	HeldAccount  = "account"
	HeldReseller = "reseller"
	// ResellerTenant is a subject naming a reseller tenant (its ID is
	// the tenant's): the reseller account of a reseller whose wholesale
	// invoices stay unpaid, whose clients follow it.
	ResellerTenant = "reseller_tenant"
)

// SuspendForNonpayment suspends, with reason nonpayment, the accounts and
// reseller accounts behind subjects (billing's subjects: an account, a
// domain or subdomain of one, a reseller account). Only active ones are
// suspended, each once; an account suspended with its reseller takes the
// reason nonpayment, so the reseller's return leaves it suspended. It
// returns what it suspended (Kind account or reseller, ID, Name).
func (s *Service) SuspendForNonpayment(ctx context.Context, subjects []Item) ([]Item, error) {
	return s.eachHeld(ctx, subjects, func(ctx context.Context, a Account) (bool, error) {
		switch {
		case a.Target == StateSuspended && a.SuspendReason == ReasonResellerSuspended:
			before := a.summary()
			a.SuspendReason, a.UpdatedAt = ReasonNonpayment, s.now()
			if err := s.db.Conn(ctx).Model(&a).Updates(map[string]any{"suspend_reason": a.SuspendReason, "updated_at": a.UpdatedAt}).Error; err != nil {
				return false, fmt.Errorf("update account %d: %w", a.ID, err)
			}
			return true, s.record(ctx, "account.suspend", "account", a.ID, a.TenantID, a.TenantPath, before, a.summary())
		case a.Target == StateActive && a.State != StateFailed:
			return true, s.queueSuspend(ctx, a, ReasonNonpayment)
		}
		return false, nil
	}, func(ctx context.Context, r ResellerAccount) (bool, error) {
		if r.State != StateActive {
			return false, nil
		}
		_, err := s.SuspendReseller(ctx, operatorScope, r.ID, ReasonNonpayment)
		return true, err
	})
}

// eachHeld applies onAccount and onReseller, in one transaction, to the
// locked accounts and reseller accounts behind subjects, and returns
// those they acted on.
func (s *Service) eachHeld(ctx context.Context, subjects []Item, onAccount func(context.Context, Account) (bool, error),
	onReseller func(context.Context, ResellerAccount) (bool, error)) ([]Item, error) {
	accts, resellers, err := s.heldOf(ctx, subjects)
	if err != nil {
		return nil, err
	}
	var out []Item
	err = s.tx(ctx, func(ctx context.Context) error {
		out = nil
		for _, id := range accts {
			a, err := s.accountIn(ctx, operatorScope, id)
			if err != nil {
				return err
			}
			if acted, err := onAccount(ctx, a); err != nil || !acted {
				if err != nil {
					return err
				}
				continue
			}
			out = append(out, Item{Kind: HeldAccount, ID: a.ID, AccountID: a.ID, TenantID: a.TenantID, SellerID: a.SellerID, Name: a.Username})
		}
		for _, id := range resellers {
			r, err := s.resellerIn(ctx, operatorScope, id, true)
			if err != nil {
				return err
			}
			if acted, err := onReseller(ctx, r); err != nil || !acted {
				if err != nil {
					return err
				}
				continue
			}
			out = append(out, Item{Kind: HeldReseller, ID: r.ID, TenantID: r.TenantID, Name: s.tenantName(ctx, r.TenantID, r.Package)})
		}
		return nil
	})
	return out, err
}

// ReleaseNonpayment restores an account or reseller account that
// SuspendForNonpayment suspended, if it is still suspended for
// nonpayment; one suspended since for abuse or by hand stays suspended
// (false). A reseller's return brings back the accounts its suspension
// suspended.
func (s *Service) ReleaseNonpayment(ctx context.Context, held Item) (bool, error) {
	released := false
	err := s.tx(ctx, func(ctx context.Context) error {
		switch held.Kind {
		case HeldAccount:
			a, err := s.accountIn(ctx, operatorScope, held.ID)
			if err != nil {
				return err
			}
			if a.Target != StateSuspended || a.SuspendReason != ReasonNonpayment {
				return nil
			}
			released = true
			return s.queueUnsuspend(ctx, a)
		case HeldReseller:
			r, err := s.resellerIn(ctx, operatorScope, held.ID, true)
			if err != nil {
				return err
			}
			if r.State != StateSuspended || r.SuspendReason != ReasonNonpayment {
				return nil
			}
			released = true
			_, err = s.UnsuspendReseller(ctx, operatorScope, held.ID)
			return err
		}
		return fmt.Errorf("release %s %d: not an account or a reseller account", held.Kind, held.ID)
	})
	return released, err
}

// TerminateForNonpayment terminates the accounts and reseller accounts
// behind subjects that are not terminated yet, and returns them.
func (s *Service) TerminateForNonpayment(ctx context.Context, subjects []Item) ([]Item, error) {
	return s.eachHeld(ctx, subjects, func(ctx context.Context, a Account) (bool, error) {
		if a.Target == StateTerminated {
			return false, nil
		}
		return true, s.queueTerminate(ctx, a)
	}, func(ctx context.Context, r ResellerAccount) (bool, error) {
		if r.State == StateTerminated {
			return false, nil
		}
		_, err := s.TerminateReseller(ctx, operatorScope, r.ID)
		return true, err
	})
}

// NonpaymentStates reports, for accounts suspended for non-payment, where
// each stands on its server: the account's state and target and the last
// error of its newest job (a server that failed to suspend it).
func (s *Service) NonpaymentStates(ctx context.Context, accountIDs []int64) (map[int64]HeldState, error) {
	out := map[int64]HeldState{}
	if len(accountIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		ID            int64
		Username      string
		State, Target State
		SuspendReason Reason
		ServerName    string
	}
	if err := s.db.Read(ctx).Table("accounts").Select("accounts.id, accounts.username, accounts.state, accounts.target, accounts.suspend_reason, servers.name AS server_name").
		Joins("JOIN servers ON servers.id = accounts.server_id").Where("accounts.id IN ?", accountIDs).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("accounts held for non-payment: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = HeldState{Username: r.Username, State: r.State, Target: r.Target, Reason: r.SuspendReason, Server: r.ServerName}
	}
	var jobs []Job
	if err := s.db.Read(ctx).Where("account_id IN ? AND status IN ?", accountIDs, []string{JobPending, JobFailed}).Order("id").Find(&jobs).Error; err != nil {
		return nil, fmt.Errorf("jobs of accounts held for non-payment: %w", err)
	}
	for _, j := range jobs {
		h := out[j.AccountID]
		if j.LastError != "" {
			h.Error = j.LastError
		}
		out[j.AccountID] = h
	}
	return out, nil
}

// HeldState is where an account held for non-payment stands.
type HeldState struct {
	Username string `json:"username"`
	State    State  `json:"state"`
	Target   State  `json:"target"`
	Reason   Reason `json:"suspend_reason"`
	Server   string `json:"server"`
	Error    string `json:"error,omitempty"` // the server's answer to the last attempt, while it fails
}

// tenantName is tenant id's name, or fallback.
func (s *Service) tenantName(ctx context.Context, id int64, fallback string) string {
	var name string
	if err := s.db.Conn(ctx).Table("tenants").Select("name").Where("id = ?", id).Scan(&name).Error; err != nil || name == "" {
		return fallback
	}
	return name
}

// heldOf maps billing's subjects to account ids and reseller account ids,
// each once, in order.
func (s *Service) heldOf(ctx context.Context, subjects []Item) (accts, resellers []int64, err error) {
	var domains, tenants []int64
	for _, sub := range subjects {
		switch sub.Kind {
		case "account":
			accts = append(accts, sub.ID)
		case "domain", "subdomain":
			domains = append(domains, sub.ID)
		case "reseller":
			resellers = append(resellers, sub.ID)
		case ResellerTenant:
			tenants = append(tenants, sub.ID)
		}
	}
	if len(tenants) > 0 {
		var ids []int64
		if err := s.db.Conn(ctx).Model(&ResellerAccount{}).Where("tenant_id IN ? AND state <> ?", tenants, StateTerminated).Pluck("id", &ids).Error; err != nil {
			return nil, nil, fmt.Errorf("reseller accounts of tenants: %w", err)
		}
		resellers = append(resellers, ids...)
	}
	if len(domains) > 0 {
		var ids []int64
		if err := s.db.Conn(ctx).Model(&Domain{}).Where("id IN ?", domains).Pluck("account_id", &ids).Error; err != nil {
			return nil, nil, fmt.Errorf("accounts of domains: %w", err)
		}
		accts = append(accts, ids...)
	}
	slices.Sort(accts)
	slices.Sort(resellers)
	return slices.Compact(accts), slices.Compact(resellers), nil
}
