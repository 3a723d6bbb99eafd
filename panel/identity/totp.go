package identity

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"faktura/panel/core"
)

// totpPeriod is the TOTP step (RFC 6238 default, what every app expects).
const totpPeriod = 30

// recoveryCodeCount is how many one-time recovery codes enrolment gives.
const recoveryCodeCount = 10

type recoveryCode struct {
	UserID   int64  `gorm:"primaryKey"`
	CodeHash string `gorm:"primaryKey"`
	UsedAt   *time.Time
}

func (recoveryCode) TableName() string { return "recovery_codes" }

// Enrolment is a pending TOTP secret to show as a QR code and as text.
type Enrolment struct {
	Secret string
	URL    string // otpauth:// URL the QR code encodes
	Key    *otp.Key
}

// BeginTOTP gives the user a new pending secret; it takes effect only once
// ConfirmTOTP sees a code made from it.
func (s *Service) BeginTOTP(ctx context.Context, userID int64) (Enrolment, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return Enrolment{}, err
	}
	if u.TOTPEnabled {
		return Enrolment{}, core.E(core.ErrPrecondition, "two-factor sign-in is already on; turn it off first")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: s.opt.Issuer, AccountName: u.Email, Period: totpPeriod})
	if err != nil {
		return Enrolment{}, fmt.Errorf("generate TOTP secret: %w", err)
	}
	if err := s.db.Conn(ctx).Model(&u).Updates(map[string]any{"totp_secret": key.Secret(), "updated_at": s.now()}).Error; err != nil {
		return Enrolment{}, fmt.Errorf("store TOTP secret: %w", err)
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(), Key: key}, nil
}

// PendingTOTP returns the pending secret of a user who began enrolment.
func (s *Service) PendingTOTP(ctx context.Context, userID int64) (Enrolment, bool, error) {
	u, err := s.UserByID(ctx, userID)
	if err != nil || u.TOTPEnabled || u.TOTPSecret == "" {
		return Enrolment{}, false, err
	}
	q := url.Values{"secret": {u.TOTPSecret}, "issuer": {s.opt.Issuer}, "period": {strconv.Itoa(totpPeriod)},
		"algorithm": {"SHA1"}, "digits": {"6"}}
	ref := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + s.opt.Issuer + ":" + u.Email, RawQuery: q.Encode()}
	key, err := otp.NewKeyFromURL(ref.String())
	if err != nil {
		return Enrolment{}, false, fmt.Errorf("rebuild TOTP key: %w", err)
	}
	return Enrolment{Secret: u.TOTPSecret, URL: key.URL(), Key: key}, true, nil
}

// ConfirmTOTP turns two-factor sign-in on when code matches the pending
// secret, and returns fresh recovery codes (shown once, stored hashed).
func (s *Service) ConfirmTOTP(ctx context.Context, userID int64, code string) ([]string, error) {
	var codes []string
	err := s.tx(ctx, func(ctx context.Context) error {
		u, err := s.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.TOTPEnabled || u.TOTPSecret == "" {
			return core.E(core.ErrPrecondition, "no two-factor enrolment is pending")
		}
		step, ok := s.validTOTP(u, code)
		if !ok {
			return core.Invalid("code", "is wrong; check the time on your device and try the next code")
		}
		now := s.now()
		if err := s.db.Conn(ctx).Model(&u).Updates(map[string]any{"totp_enabled": true, "totp_last_step": step, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("enable TOTP: %w", err)
		}
		if codes, err = s.newRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
		return s.recordSelf(ctx, u, "user.2fa_enable", nil, nil)
	})
	return codes, err
}

// DisableTOTP turns two-factor sign-in off after checking the password,
// unless the operator requires it for the user's role.
func (s *Service) DisableTOTP(ctx context.Context, userID int64, password string) error {
	return s.tx(ctx, func(ctx context.Context) error {
		u, err := s.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if !verifyPassword(password, u.PasswordHash) {
			return core.Invalid("password", "is not your current password")
		}
		t, err := s.TenantByID(ctx, u.TenantID)
		if err != nil {
			return err
		}
		if req, err := s.RequiresTOTP(ctx, t.Kind, u.Role); err != nil {
			return err
		} else if req {
			return core.E(core.ErrForbidden, "two-factor sign-in is required for your role")
		}
		if err := s.db.Conn(ctx).Model(&u).Updates(map[string]any{"totp_enabled": false, "totp_secret": "", "updated_at": s.now()}).Error; err != nil {
			return fmt.Errorf("disable TOTP: %w", err)
		}
		if err := s.db.Conn(ctx).Where("user_id = ?", u.ID).Delete(&recoveryCode{}).Error; err != nil {
			return fmt.Errorf("drop recovery codes: %w", err)
		}
		return s.recordSelf(ctx, u, "user.2fa_disable", nil, nil)
	})
}

// validTOTP checks code against u's secret one step either side of now,
// and returns its step. A step at or before the last one used is refused,
// so a code works once.
func (s *Service) validTOTP(u User, code string) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 || u.TOTPSecret == "" {
		return 0, false
	}
	now := s.now()
	for _, d := range []int64{0, -1, 1} {
		at := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(u.TOTPSecret, at, totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		step := at.Unix() / totpPeriod
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > u.TOTPLastStep {
			return step, true
		}
	}
	return 0, false
}

// checkSecondFactor accepts a TOTP code or an unused recovery code and
// records its use.
func (s *Service) checkSecondFactor(ctx context.Context, u User, code string) (bool, error) {
	if step, ok := s.validTOTP(u, code); ok {
		r := s.db.Conn(ctx).Model(&User{}).Where("id = ? AND totp_last_step < ?", u.ID, step).Update("totp_last_step", step)
		return r.RowsAffected == 1, r.Error
	}
	norm := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(code), "-", ""))
	if len(norm) != 10 {
		return false, nil
	}
	r := s.db.Conn(ctx).Model(&recoveryCode{}).Where("user_id = ? AND code_hash = ? AND used_at IS NULL", u.ID, digest(norm)).
		Update("used_at", s.now())
	return r.RowsAffected == 1, r.Error
}

// newRecoveryCodes replaces the user's recovery codes.
func (s *Service) newRecoveryCodes(ctx context.Context, userID int64) ([]string, error) {
	if err := s.db.Conn(ctx).Where("user_id = ?", userID).Delete(&recoveryCode{}).Error; err != nil {
		return nil, fmt.Errorf("drop recovery codes: %w", err)
	}
	codes := make([]string, recoveryCodeCount)
	rows := make([]recoveryCode, recoveryCodeCount)
	for i := range codes {
		c := randomToken(10)[:10]
		codes[i] = c[:5] + "-" + c[5:]
		rows[i] = recoveryCode{UserID: userID, CodeHash: digest(c)}
	}
	if err := s.db.Conn(ctx).Create(&rows).Error; err != nil {
		return nil, fmt.Errorf("store recovery codes: %w", err)
	}
	return codes, nil
}

// RecoveryCodesLeft counts the user's unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.db.Read(ctx).Model(&recoveryCode{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&n).Error
	return n, err
}
