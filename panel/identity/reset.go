package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/audit"
)

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
