package identity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/audit"
)

// ErrNoSession says the cookie names no live session.
var ErrNoSession = errors.New("no session")

// Session is a signed-in browser. Its ID is the SHA-256 of the cookie's
// token, so a copy of the table signs nobody in.
type Session struct {
	ID         string `gorm:"primaryKey"`
	UserID     int64
	MFAPending bool `gorm:"column:mfa_pending"`
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
}

// TableName is the table's name.
func (Session) TableName() string { return "sessions" }

// touchEvery bounds how often a busy session's last-seen time is written.
const touchEvery = time.Minute

// newSession stores a session for u and returns its token.
func (s *Service) newSession(ctx context.Context, userID int64, mfaPending bool, ip, ua string) (string, error) {
	token := randomToken(32)
	now := s.now()
	if len(ua) > 300 {
		ua = ua[:300]
	}
	row := Session{ID: digest(token), UserID: userID, MFAPending: mfaPending, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.opt.SessionLifetime), IP: ip, UserAgent: ua}
	if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return token, nil
}

// Authenticated is a live session and its user.
type Authenticated struct {
	Session Session
	User    User
	Tenant  Tenant
}

// Caller is the session's user as a caller.
func (a Authenticated) Caller() Caller {
	return Caller{UserID: a.User.ID, Role: a.User.Role, Scope: a.Tenant.Scope(), Label: a.User.Email}
}

// Session returns the live session of token with its user and tenant, and
// notes that it was used. Expired and idle sessions are deleted and give
// ErrNoSession, as do disabled users and closed tenants.
func (s *Service) Session(ctx context.Context, token string) (Authenticated, error) {
	var a Authenticated
	if token == "" {
		return a, ErrNoSession
	}
	err := s.db.Read(ctx).Where("id = ?", digest(token)).Take(&a.Session).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return a, ErrNoSession
	} else if err != nil {
		return a, fmt.Errorf("load session: %w", err)
	}
	now := s.now()
	if now.After(a.Session.ExpiresAt) || now.Sub(a.Session.LastSeenAt) > s.opt.SessionIdle {
		return a, cmp.Or(s.EndSession(ctx, token), ErrNoSession)
	}
	if a.User, err = s.UserByID(ctx, a.Session.UserID); err != nil {
		return a, fmt.Errorf("load session user: %w", err)
	}
	if a.Tenant, err = s.TenantByID(ctx, a.User.TenantID); err != nil {
		return a, fmt.Errorf("load session tenant: %w", err)
	}
	if a.User.Status != UserActive || a.Tenant.Status == StatusClosed {
		return a, cmp.Or(s.EndSession(ctx, token), ErrNoSession)
	}
	if now.Sub(a.Session.LastSeenAt) >= touchEvery {
		if err := s.db.Conn(ctx).Model(&Session{}).Where("id = ?", a.Session.ID).Update("last_seen_at", now).Error; err != nil {
			return a, fmt.Errorf("touch session: %w", err)
		}
	}
	return a, nil
}

// EndSession signs a session out.
func (s *Service) EndSession(ctx context.Context, token string) error {
	return s.db.Conn(ctx).Where("id = ?", digest(token)).Delete(&Session{}).Error
}

// EndAllSessions signs the user out everywhere, this browser included.
func (s *Service) EndAllSessions(ctx context.Context, userID int64) error {
	return s.tx(ctx, func(ctx context.Context) error {
		u, err := s.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		return s.recordSelf(ctx, u, "user.signout_all", nil, nil)
	})
}

// CountSessions counts the user's live sessions.
func (s *Service) CountSessions(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.db.Read(ctx).Model(&Session{}).Where("user_id = ? AND expires_at > ?", userID, s.now()).Count(&n).Error
	return n, err
}

// PruneSessions deletes expired sessions; the daily run calls it.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	now := s.now()
	r := s.db.Conn(ctx).Where("expires_at < ? OR last_seen_at < ?", now, now.Add(-s.opt.SessionIdle)).Delete(&Session{})
	if r.Error != nil {
		return 0, fmt.Errorf("prune sessions: %w", r.Error)
	}
	return r.RowsAffected, nil
}

// PruneStep is the daily-run step that forgets expired sessions, old
// sign-in failures and day-old idempotency records.
type PruneStep struct{ S *Service }

// Name names the step in run summaries.
func (PruneStep) Name() string { return "identity.prune" }

// Run prunes; it is idempotent and ignores the date (it prunes by age).
func (p PruneStep) Run(ctx context.Context, _ core.Date) (map[string]int64, error) {
	sessions, err := p.S.PruneSessions(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := p.S.PruneIdempotencyKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("prune idempotency keys: %w", err)
	}
	r := p.S.db.Conn(ctx).Where("at < ?", p.S.now().Add(-time.Hour)).Delete(&loginFailure{})
	if r.Error != nil {
		return nil, fmt.Errorf("prune sign-in failures: %w", r.Error)
	}
	return map[string]int64{"sessions": sessions, "idempotency_keys": keys, "login_failures": r.RowsAffected}, nil
}

type passwordReset struct {
	TokenHash string `gorm:"primaryKey"`
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (passwordReset) TableName() string { return "password_resets" }

// ResetRequest is what a reset mail needs; Token is empty when the address
// belongs to no active user (the caller then sends nothing but answers the
// same).
type ResetRequest struct {
	Token string
	User  User
}

// RequestReset makes a one-hour, one-use reset token for the address.
// Requests share the sign-in throttle, so nobody can mail-bomb an address.
func (s *Service) RequestReset(ctx context.Context, email, ip string) (ResetRequest, error) {
	account := "reset:" + normalEmail(email)
	if err := s.checkThrottle(ctx, account, ipBucket(ip)); err != nil {
		return ResetRequest{}, err
	}
	if err := s.recordFailure(ctx, account, ipBucket(ip)); err != nil {
		return ResetRequest{}, err
	}
	u, found, err := s.userByEmail(ctx, email)
	if err != nil || !found || u.Status != UserActive {
		return ResetRequest{}, err
	}
	token := randomToken(32)
	now := s.now()
	row := passwordReset{TokenHash: digest(token), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(s.opt.ResetTTL)}
	err = s.tx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Create(&row).Error; err != nil {
			return fmt.Errorf("store reset token: %w", err)
		}
		return s.recordSelf(ctx, u, "user.password_reset_request", nil, nil)
	})
	return ResetRequest{Token: token, User: u}, err
}

// ErrBadResetToken is the answer to an unknown, used or expired token.
var ErrBadResetToken = core.E(core.ErrInvalid, "this reset link is invalid or has expired; ask for a new one")

// CheckResetToken reports whether token can still reset a password.
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	_, err := s.liveReset(ctx, token)
	return err
}

func (s *Service) liveReset(ctx context.Context, token string) (passwordReset, error) {
	var r passwordReset
	err := s.db.Conn(ctx).Where("token_hash = ?", digest(token)).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return r, ErrBadResetToken
	} else if err != nil {
		return r, fmt.Errorf("load reset token: %w", err)
	}
	if r.UsedAt != nil || s.now().After(r.ExpiresAt) {
		return r, ErrBadResetToken
	}
	return r, nil
}

// ResetPassword sets a new password with a reset token, uses the token up
// and signs the user out everywhere.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	return s.tx(ctx, func(ctx context.Context) error {
		r, err := s.liveReset(ctx, token)
		if err != nil {
			return err
		}
		u, err := s.UserByID(ctx, r.UserID)
		if err != nil {
			return err
		}
		if p := checkPassword(password, u.Email); p != "" {
			return core.Invalid("password", "%s", p)
		}
		hash, err := hashPassword(password, s.opt.Argon2)
		if err != nil {
			return err
		}
		now := s.now()
		if res := s.db.Conn(ctx).Model(&passwordReset{}).Where("token_hash = ? AND used_at IS NULL", r.TokenHash).Update("used_at", now); res.Error != nil {
			return fmt.Errorf("use reset token: %w", res.Error)
		} else if res.RowsAffected != 1 {
			return ErrBadResetToken
		}
		if err := s.setPassword(ctx, u, hash, ""); err != nil {
			return err
		}
		ctx = audit.WithActor(ctx, audit.Actor{UserID: u.ID, TenantID: u.TenantID, Label: u.Email, IP: audit.ActorFrom(ctx).IP})
		return s.recordSelf(ctx, u, "user.password_reset", nil, nil)
	})
}
