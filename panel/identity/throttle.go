package identity

import (
	"context"
	"fmt"
	"time"

	"faktura/panel/core"
)

// ErrTooManyAttempts refuses a sign-in before any password is checked,
// because its account or address failed too often within the window. The
// message is the same whether or not the account exists.
var ErrTooManyAttempts = core.E(core.ErrForbidden, "too many failed sign-in attempts; wait a minute and try again")

// ThrottleLimits bound failed sign-ins per account and per client address
// within Window.
type ThrottleLimits struct {
	PerAccount int
	PerIP      int
	Window     time.Duration
}

func (l ThrottleLimits) withDefaults() ThrottleLimits {
	if l.PerAccount <= 0 {
		l.PerAccount = 5
	}
	if l.PerIP <= 0 {
		l.PerIP = 20
	}
	if l.Window <= 0 {
		l.Window = time.Minute
	}
	return l
}

type loginFailure struct {
	ID     int64 `gorm:"primaryKey"`
	Bucket string
	At     time.Time
}

func (loginFailure) TableName() string { return "login_failures" }

// Buckets: the account bucket is keyed by the submitted address, whether
// or not it belongs to anyone, so throttling reveals nothing.
func accountBucket(email string) string { return "account:" + normalEmail(email) }
func ipBucket(ip string) string         { return "ip:" + ip }

// checkThrottle returns ErrTooManyAttempts when any bucket is full.
func (s *Service) checkThrottle(ctx context.Context, account, ip string) error {
	since := s.now().Add(-s.opt.Throttle.Window)
	for _, b := range []struct {
		bucket string
		limit  int
	}{{account, s.opt.Throttle.PerAccount}, {ip, s.opt.Throttle.PerIP}} {
		var n int64
		if err := s.db.Read(ctx).Model(&loginFailure{}).Where("bucket = ? AND at > ?", b.bucket, since).Count(&n).Error; err != nil {
			return fmt.Errorf("check sign-in throttle: %w", err)
		}
		if n >= int64(b.limit) {
			return ErrTooManyAttempts
		}
	}
	return nil
}

// recordFailure counts a failed attempt in both buckets. The daily
// PruneStep drops failures older than an hour.
func (s *Service) recordFailure(ctx context.Context, account, ip string) error {
	now := s.now()
	rows := []loginFailure{{Bucket: account, At: now}, {Bucket: ip, At: now}}
	if err := s.db.Conn(ctx).Create(&rows).Error; err != nil {
		return fmt.Errorf("record sign-in failure: %w", err)
	}
	return nil
}

// clearFailures forgets an account's failures after it signs in.
func (s *Service) clearFailures(ctx context.Context, account string) error {
	return s.db.Conn(ctx).Where("bucket = ?", account).Delete(&loginFailure{}).Error
}
