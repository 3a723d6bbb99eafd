package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core/lease"
)

// runClaim is a run's claim on a bucket of a day's units.
type runClaim struct {
	RunDay      string `gorm:"primaryKey"`
	Bucket      string `gorm:"primaryKey"`
	Holder      string
	ClaimedAt   time.Time
	HeartbeatAt time.Time
	DoneAt      *time.Time
}

// TableName implements gorm's Tabler.
func (runClaim) TableName() string { return "billing_run_claims" }

type claimState int

const (
	claimOwned claimState = iota // this run works the bucket
	claimHeld                    // another live run works it
	claimDone                    // another run worked it after this run planned
)

// claim takes bucket for r: a bucket nobody claimed; one another run
// finished before r planned (r may see due contracts it did not); one
// whose holder died or stopped renewing. A bucket another run finished
// after r planned is done: that run read the contracts under lock later
// than r's plan did.
func (s *Service) claim(ctx context.Context, r *run, bucket string) (claimState, error) {
	var st claimState
	err := s.tx(ctx, func(ctx context.Context) error {
		now := s.now()
		mine := runClaim{RunDay: r.day.String(), Bucket: bucket, Holder: r.holder, ClaimedAt: now, HeartbeatAt: now}
		res := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&mine)
		if res.Error != nil {
			return fmt.Errorf("claim bucket %s: %w", bucket, res.Error)
		}
		if res.RowsAffected == 1 {
			st = claimOwned
			return nil
		}
		var c runClaim
		err := s.db.Conn(ctx).Where("run_day = ? AND bucket = ?", mine.RunDay, bucket).Take(&c).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			st = claimHeld // pruned meanwhile: look again
			return nil
		}
		if err != nil {
			return fmt.Errorf("read claim on bucket %s: %w", bucket, err)
		}
		switch {
		case c.Holder == r.holder:
			st = claimOwned
			return nil
		case c.DoneAt != nil && c.ClaimedAt.After(r.planAt):
			st = claimDone
			return nil
		case c.DoneAt == nil && !lease.Expired(c.Holder, c.HeartbeatAt, now, s.opt.ClaimLease):
			st = claimHeld
			return nil
		}
		res = s.db.Conn(ctx).Model(&runClaim{}).Where("run_day = ? AND bucket = ? AND holder = ? AND heartbeat_at = ?", c.RunDay, bucket, c.Holder, c.HeartbeatAt).
			Updates(map[string]any{"holder": r.holder, "claimed_at": now, "heartbeat_at": now, "done_at": nil})
		if res.Error != nil {
			return fmt.Errorf("take over bucket %s: %w", bucket, res.Error)
		}
		st = claimHeld
		if res.RowsAffected == 1 {
			st = claimOwned
			if c.DoneAt == nil {
				s.log.Warn("invoice run: took over a lapsed claim", "bucket", bucket, "from", c.Holder, "last_seen", c.HeartbeatAt)
			}
		}
		return nil
	})
	return st, err
}

// renewClaim is the heartbeat after each chunk; false when another run
// took the bucket over.
func (s *Service) renewClaim(ctx context.Context, r *run, bucket string) bool {
	res := s.db.Conn(ctx).Model(&runClaim{}).Where("run_day = ? AND bucket = ? AND holder = ?", r.day.String(), bucket, r.holder).
		Update("heartbeat_at", s.now())
	if res.Error != nil {
		s.log.Warn("invoice run: renew claim", "bucket", bucket, "err", res.Error)
		return true // the next renewal or a takeover settles it
	}
	if res.RowsAffected == 1 {
		return true
	}
	// MariaDB counts a row whose value did not change as unaffected: ask.
	var holder string
	err := s.db.Conn(ctx).Model(&runClaim{}).Where("run_day = ? AND bucket = ?", r.day.String(), bucket).Pluck("holder", &holder).Error
	return err != nil || holder == r.holder
}

// finishClaim marks a bucket done.
func (s *Service) finishClaim(ctx context.Context, r *run, bucket string) {
	now := s.now()
	err := s.db.Conn(ctx).Model(&runClaim{}).Where("run_day = ? AND bucket = ? AND holder = ?", r.day.String(), bucket, r.holder).
		Updates(map[string]any{"heartbeat_at": now, "done_at": now}).Error
	if err != nil {
		s.log.Warn("invoice run: finish claim", "bucket", bucket, "err", err)
	}
}

// pruneClaims forgets claims of runs more than a week before day.
func (s *Service) pruneClaims(ctx context.Context, day Date) error {
	if err := s.db.Conn(ctx).Where("run_day < ?", AddDays(day, -7).String()).Delete(&runClaim{}).Error; err != nil {
		return fmt.Errorf("prune run claims: %w", err)
	}
	return nil
}
