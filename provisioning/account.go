package provisioning

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
)

// CreateAccountInput opens a hosting account for a tenant in the caller's
// scope. ServerID 0 picks the enabled server with the most room; Domain,
// when given, is added as the account's first domain.
type CreateAccountInput struct {
	TenantID  int64  `json:"tenant_id"`
	PackageID int64  `json:"package_id"`
	ServerID  int64  `json:"server_id"`
	Username  string `json:"username"`
	Domain    string `json:"domain"`
}

// Validate normalises the input and reports every problem.
func (in *CreateAccountInput) Validate() error {
	var v core.ValidationError
	in.Username = strings.TrimSpace(in.Username)
	if in.TenantID <= 0 {
		v.Add("tenant_id", "is required")
	}
	if in.PackageID <= 0 {
		v.Add("package_id", "is required")
	}
	if in.ServerID < 0 {
		v.Add("server_id", "must be a server id, or 0 to pick one")
	}
	v.Check("username", checkUsername(in.Username))
	if strings.TrimSpace(in.Domain) != "" {
		a, _, p := NormalizeDomain(in.Domain)
		if p != "" {
			v.Add("domain", p)
		}
		in.Domain = a
	}
	return v.Err()
}

func (a Account) ref() AccountRef {
	return AccountRef{AccountID: a.ID, TenantID: a.TenantID, SellerID: a.SellerID, Username: a.Username}
}

func (a Account) summary() map[string]any {
	return map[string]any{"username": a.Username, "package_id": a.PackageID, "server_id": a.ServerID,
		"disk_mb": a.DiskMB, "traffic_mb": a.TrafficMB, "state": a.State, "target": a.Target, "suspend_reason": a.SuspendReason}
}

// CreateAccount records a pending account and queues its creation on the
// server (and its first domain's). AccountCreated follows when the server
// has made it.
func (s *Service) CreateAccount(ctx context.Context, scope tenancy.Scope, in CreateAccountInput) (Account, error) {
	if err := in.Validate(); err != nil {
		return Account{}, err
	}
	var a Account
	err := s.tx(ctx, func(ctx context.Context) error {
		t, err := s.tenantIn(ctx, scope, in.TenantID)
		if err != nil || t.Kind == tenancy.KindOperator {
			return core.Invalid("tenant_id", "no such client or reseller in your scope")
		}
		seller := sellerOf(t)
		pkg, err := s.usablePackage(ctx, seller, in.PackageID)
		if err != nil {
			return err
		}
		if err := s.checkResellerRoom(ctx, seller, pkg.DiskMB, pkg.TrafficMB); err != nil {
			return err
		}
		srv, err := s.placeAccount(ctx, in.ServerID)
		if err != nil {
			return err
		}
		if taken, err := s.usernameTaken(ctx, in.Username); err != nil || taken {
			return cmp.Or(err, core.Invalid("username", "is taken"))
		}
		now := s.now()
		key := in.Username
		a = Account{TenantID: t.ID, TenantPath: t.Path, SellerID: seller, PackageID: pkg.ID, ServerID: srv.ID,
			Username: in.Username, UsernameKey: &key, DiskMB: pkg.DiskMB, TrafficMB: pkg.TrafficMB,
			State: StatePending, Target: StateActive, CreatedAt: now, UpdatedAt: now}
		if err := s.db.Conn(ctx).Create(&a).Error; err != nil {
			return fmt.Errorf("create account: %w", err)
		}
		if err := s.record(ctx, "account.create", "account", a.ID, a.TenantID, a.TenantPath, nil, a.summary()); err != nil {
			return err
		}
		if err := s.enqueue(ctx, a, nil, ActionCreate, jobParams{}); err != nil {
			return err
		}
		if in.Domain == "" {
			return nil
		}
		_, err = s.addDomain(ctx, a, nil, in.Domain, "domain")
		return err
	})
	return a, err
}

func (s *Service) usernameTaken(ctx context.Context, u string) (bool, error) {
	var n int64
	err := s.db.Conn(ctx).Model(&Account{}).Where("username_key = ?", u).Count(&n).Error
	return n > 0, err
}

// placeAccount returns the named server, or the enabled server with the
// fewest live accounts below its capacity.
func (s *Service) placeAccount(ctx context.Context, id int64) (Server, error) {
	servers, err := s.serversWithLoad(ctx)
	if err != nil {
		return Server{}, err
	}
	var best *Server
	for i, srv := range servers {
		full := srv.Capacity > 0 && srv.Accounts >= int64(srv.Capacity)
		if id != 0 && srv.ID == id {
			switch {
			case !srv.Enabled:
				return Server{}, core.Invalid("server_id", "server %s is disabled", srv.Name)
			case full:
				return Server{}, core.Invalid("server_id", "server %s is full (%d accounts)", srv.Name, srv.Capacity)
			}
			return srv, nil
		}
		if id == 0 && srv.Enabled && !full && (best == nil || srv.Accounts < best.Accounts) {
			best = &servers[i]
		}
	}
	if id != 0 {
		return Server{}, core.Invalid("server_id", "no such server")
	}
	if best == nil {
		return Server{}, core.Invalid("server_id", "no enabled server has room; add a server or raise a capacity")
	}
	return *best, nil
}

// accountIn loads an account in scope and locks it for the transaction.
func (s *Service) accountIn(ctx context.Context, scope tenancy.Scope, id int64) (Account, error) {
	var a Account
	err := first(s.lock(s.db.Conn(ctx).Scopes(scope.PathColumn("tenant_path")).Where("id = ?", id)), &a, "account", id)
	return a, err
}

// SuspendAccount queues the suspension of an account for reason. An
// account already suspended because its reseller is, or for non-payment,
// takes the new reason: unsuspending the reseller, or the customer
// paying, then leaves it suspended.
func (s *Service) SuspendAccount(ctx context.Context, scope tenancy.Scope, id int64, reason Reason) (Account, error) {
	if !slices.Contains(Reasons, reason) {
		return Account{}, core.Invalid("reason", "must be one of nonpayment, abuse, manual")
	}
	return s.accountChange(ctx, scope, id, func(ctx context.Context, a *Account) error {
		if a.Target == StateSuspended && a.SuspendReason != reason && (a.SuspendReason == ReasonResellerSuspended || a.SuspendReason == ReasonNonpayment) {
			before := a.summary()
			a.SuspendReason, a.UpdatedAt = reason, s.now()
			if err := s.db.Conn(ctx).Model(a).Updates(map[string]any{"suspend_reason": reason, "updated_at": a.UpdatedAt}).Error; err != nil {
				return err
			}
			return s.record(ctx, "account.suspend", "account", a.ID, a.TenantID, a.TenantPath, before, a.summary())
		}
		if a.Target != StateActive || a.State == StateFailed {
			return core.E(core.ErrPrecondition, "account %s is %s; only an active account can be suspended", a.Username, shownState(*a))
		}
		return s.queueSuspend(ctx, *a, reason)
	})
}

// UnsuspendAccount queues the restoration of a suspended account. An
// account suspended with its reseller comes back with the reseller.
func (s *Service) UnsuspendAccount(ctx context.Context, scope tenancy.Scope, id int64) (Account, error) {
	return s.accountChange(ctx, scope, id, func(ctx context.Context, a *Account) error {
		if a.Target != StateSuspended {
			return core.E(core.ErrPrecondition, "account %s is not suspended", a.Username)
		}
		if a.SuspendReason == ReasonResellerSuspended {
			return core.E(core.ErrPrecondition, "account %s is suspended with its reseller; unsuspend the reseller", a.Username)
		}
		return s.queueUnsuspend(ctx, *a)
	})
}

// TerminateAccount queues the removal of an account and its sites from
// the server. Queued changes that have not started are dropped.
func (s *Service) TerminateAccount(ctx context.Context, scope tenancy.Scope, id int64) (Account, error) {
	return s.accountChange(ctx, scope, id, func(ctx context.Context, a *Account) error {
		if a.Target == StateTerminated {
			return core.E(core.ErrPrecondition, "account %s is already terminated", a.Username)
		}
		return s.queueTerminate(ctx, *a)
	})
}

// ChangePackage queues a package change; the new package must be one the
// account's seller offers, and the reseller needs room for any growth.
func (s *Service) ChangePackage(ctx context.Context, scope tenancy.Scope, id, packageID int64) (Account, error) {
	if packageID <= 0 {
		return Account{}, core.Invalid("package_id", "is required")
	}
	return s.accountChange(ctx, scope, id, func(ctx context.Context, a *Account) error {
		if (a.Target != StateActive && a.Target != StateSuspended) || a.State == StateFailed {
			return core.E(core.ErrPrecondition, "account %s is %s", a.Username, shownState(*a))
		}
		pkg, err := s.usablePackage(ctx, a.SellerID, packageID)
		if err != nil {
			return err
		}
		if pkg.ID == a.PackageID {
			return core.Invalid("package_id", "is the account's package already")
		}
		if err := s.checkResellerRoom(ctx, a.SellerID, max(0, pkg.DiskMB-a.DiskMB), max(0, pkg.TrafficMB-a.TrafficMB)); err != nil {
			return err
		}
		return s.enqueue(ctx, *a, nil, ActionChangePackage, jobParams{PackageID: pkg.ID})
	})
}

// ChangePassword queues a new password for the account's system user. The
// password waits in the job only until the driver has set it.
func (s *Service) ChangePassword(ctx context.Context, scope tenancy.Scope, id int64, password string) (Account, error) {
	if len(password) < 12 || len(password) > 128 {
		return Account{}, core.Invalid("password", "must be 12 to 128 characters")
	}
	return s.accountChange(ctx, scope, id, func(ctx context.Context, a *Account) error {
		if (a.Target != StateActive && a.Target != StateSuspended) || a.State == StateFailed {
			return core.E(core.ErrPrecondition, "account %s is %s", a.Username, shownState(*a))
		}
		return s.enqueue(ctx, *a, nil, ActionChangePassword, jobParams{Password: password})
	})
}

// accountChange runs change on a locked account in one transaction and
// returns the account as it then is.
func (s *Service) accountChange(ctx context.Context, scope tenancy.Scope, id int64, change func(ctx context.Context, a *Account) error) (Account, error) {
	var a Account
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if a, err = s.accountIn(ctx, scope, id); err != nil {
			return err
		}
		if err := change(ctx, &a); err != nil {
			return err
		}
		return first(s.db.Conn(ctx).Where("id = ?", id), &a, "account", id)
	})
	return a, err
}

// queueSuspend sets an account's target to suspended and queues the job.
func (s *Service) queueSuspend(ctx context.Context, a Account, reason Reason) error {
	return s.retarget(ctx, a, StateSuspended, reason, ActionSuspend)
}

// queueUnsuspend sets an account's target to active and queues the job.
func (s *Service) queueUnsuspend(ctx context.Context, a Account) error {
	return s.retarget(ctx, a, StateActive, "", ActionUnsuspend)
}

// queueTerminate drops the account's queued jobs that have not started,
// sets its target to terminated and queues the termination.
func (s *Service) queueTerminate(ctx context.Context, a Account) error {
	if err := s.cancelQueued(ctx, a.ID); err != nil {
		return err
	}
	return s.retarget(ctx, a, StateTerminated, a.SuspendReason, ActionTerminate)
}

func (s *Service) retarget(ctx context.Context, a Account, target State, reason Reason, action Action) error {
	before := a.summary()
	a.Target, a.SuspendReason, a.UpdatedAt = target, reason, s.now()
	err := s.db.Conn(ctx).Model(&a).Updates(map[string]any{"target": target, "suspend_reason": reason, "updated_at": a.UpdatedAt}).Error
	if err != nil {
		return fmt.Errorf("update account %d: %w", a.ID, err)
	}
	if err := s.record(ctx, "account."+string(action), "account", a.ID, a.TenantID, a.TenantPath, before, a.summary()); err != nil {
		return err
	}
	return s.enqueue(ctx, a, nil, action, jobParams{Reason: reason})
}

// shownState is the state to name in a refusal: failed wins, then where
// the account is going.
func shownState(a Account) State {
	if a.State == StateFailed {
		return StateFailed
	}
	return a.Target
}
