package identity

import (
	"context"
	"fmt"
	"strconv"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

// ErrBadCredentials is the one answer to a wrong e-mail, a wrong password
// or a disabled account, so none of them can be told apart.
var ErrBadCredentials = core.E(core.ErrForbidden, "the e-mail address or password is wrong")

// ErrBadCode is the answer to a wrong second factor.
var ErrBadCode = core.E(core.ErrInvalid, "the code is wrong or was already used")

// LoginResult is a new session. When MFAPending is true the session only
// allows the second step.
type LoginResult struct {
	Token      string
	User       User
	MFAPending bool
}

// Login checks a password and opens a session. The throttle is checked
// first: once an account or address has failed too often within the
// window, the attempt is refused before the password is looked at.
func (s *Service) Login(ctx context.Context, email, password, ip, ua string) (LoginResult, error) {
	account := accountBucket(email)
	if err := s.checkThrottle(ctx, account, ipBucket(ip)); err != nil {
		return LoginResult{}, err
	}
	u, found, err := s.userByEmail(ctx, email)
	if err != nil {
		return LoginResult{}, fmt.Errorf("load user: %w", err)
	}
	hash := s.dummy
	if found {
		hash = u.PasswordHash
	}
	ok := verifyPassword(password, hash) && found && u.Status == UserActive
	if ok {
		t, err := s.TenantByID(ctx, u.TenantID)
		if err != nil {
			return LoginResult{}, err
		}
		ok = t.Status != StatusClosed
	}
	if !ok {
		if err := s.recordFailure(ctx, account, ipBucket(ip)); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, ErrBadCredentials
	}
	var res LoginResult
	err = s.tx(ctx, func(ctx context.Context) error {
		if err := s.clearFailures(ctx, account); err != nil {
			return err
		}
		res = LoginResult{User: u, MFAPending: u.TOTPEnabled}
		if res.Token, err = s.newSession(ctx, u.ID, u.TOTPEnabled, ip, ua); err != nil {
			return err
		}
		ctx = audit.WithActor(ctx, audit.Actor{UserID: u.ID, TenantID: u.TenantID, Label: u.Email, IP: ip})
		return s.recordSelf(ctx, u, "user.login", nil, map[string]any{"second_factor_pending": u.TOTPEnabled})
	})
	return res, err
}

// CompleteLogin checks the second factor (a TOTP code or an unused
// recovery code) of a session waiting for it, and replaces the session by
// a new one: the session id changes whenever its privileges do.
func (s *Service) CompleteLogin(ctx context.Context, token, code, ip, ua string) (string, error) {
	a, err := s.Session(ctx, token)
	if err != nil {
		return "", err
	}
	if !a.Session.MFAPending {
		return "", core.E(core.ErrPrecondition, "this session needs no second factor")
	}
	account := "mfa:" + strconv.FormatInt(a.User.ID, 10)
	if err := s.checkThrottle(ctx, account, ipBucket(ip)); err != nil {
		return "", err
	}
	var next string
	err = s.tx(ctx, func(ctx context.Context) error {
		ok, err := s.checkSecondFactor(ctx, a.User, code)
		if err != nil || !ok {
			return err
		}
		if err := s.EndSession(ctx, token); err != nil {
			return err
		}
		if next, err = s.newSession(ctx, a.User.ID, false, ip, ua); err != nil {
			return err
		}
		ctx = audit.WithActor(ctx, audit.Actor{UserID: a.User.ID, TenantID: a.User.TenantID, Label: a.User.Email, IP: ip})
		return s.recordSelf(ctx, a.User, "user.login_second_factor", nil, nil)
	})
	if err != nil {
		return "", err
	}
	if next == "" {
		if err := s.recordFailure(ctx, account, ipBucket(ip)); err != nil {
			return "", err
		}
		return "", ErrBadCode
	}
	return next, nil
}

// require2FA is the operator's setting that a role must use a second
// factor, one key per tenant kind and role.
func require2FA(k tenancy.Kind, r Role) settings.Key[bool] {
	return settings.Bool("auth.require_2fa."+string(k)+"."+string(r), false)
}

// RequiresTOTP reports whether the operator requires a second factor of
// u's role.
func (s *Service) RequiresTOTP(ctx context.Context, kind tenancy.Kind, r Role) (bool, error) {
	v, err := settings.Get(ctx, s.settings, require2FA(kind, r), settings.Scope{})
	return v.Value, err
}

// RoleRule is one line of the two-factor policy.
type RoleRule struct {
	Kind     tenancy.Kind `json:"kind"`
	Role     Role         `json:"role"`
	Required bool         `json:"required"`
}

// TwoFactorPolicy lists every role and whether it must use a second factor.
func (s *Service) TwoFactorPolicy(ctx context.Context) ([]RoleRule, error) {
	var out []RoleRule
	for _, k := range []tenancy.Kind{tenancy.KindOperator, tenancy.KindReseller, tenancy.KindClient} {
		for _, r := range RolesFor(k) {
			req, err := s.RequiresTOTP(ctx, k, r)
			if err != nil {
				return nil, err
			}
			out = append(out, RoleRule{k, r, req})
		}
	}
	return out, nil
}

// SetTwoFactorPolicy stores the operator's policy.
func (s *Service) SetTwoFactorPolicy(ctx context.Context, c Caller, rules []RoleRule) error {
	if err := c.Require(PermSecurity); err != nil {
		return err
	}
	if c.Scope.Kind != tenancy.KindOperator {
		return core.E(core.ErrForbidden, "only the operator sets the two-factor policy")
	}
	for _, r := range rules {
		if !ValidRole(r.Kind, r.Role) {
			return core.Invalid("rules", "no role %s for a %s", r.Role, r.Kind)
		}
	}
	return s.tx(ctx, func(ctx context.Context) error {
		before, err := s.TwoFactorPolicy(ctx)
		if err != nil {
			return err
		}
		for _, r := range rules {
			if err := settings.Set(ctx, s.settings, require2FA(r.Kind, r.Role), settings.LevelPanel, "", r.Required); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, audit.Entry{Action: "security.two_factor_policy", ObjectType: "settings", Before: before, After: rules})
	})
}
