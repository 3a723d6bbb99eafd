package billing

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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

// claim takes bucket of day's work for holder: a bucket nobody claimed;
// one another run finished before since (when this run looked at the
// state: it may see work the other did not); one whose holder died or
// stopped renewing. A bucket another run claimed after since and
// finished is done: that run read the state under lock later than this
// one planned. (A bucket finished after since counts as done when
// finished is true: for work whose result, not its reads, matters.)
func (s *Service) claim(ctx context.Context, day Date, bucket, holder string, since time.Time, finished bool) (claimState, error) {
	var st claimState
	err := s.tx(ctx, func(ctx context.Context) error {
		now := s.now()
		mine := runClaim{RunDay: day.String(), Bucket: bucket, Holder: holder, ClaimedAt: now, HeartbeatAt: now}
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
		case c.Holder == holder:
			st = claimOwned
			return nil
		case c.DoneAt != nil && (c.ClaimedAt.After(since) || finished && c.DoneAt.After(since)):
			st = claimDone
			return nil
		case c.DoneAt == nil && !lease.Expired(c.Holder, c.HeartbeatAt, now, s.opt.ClaimLease):
			st = claimHeld
			return nil
		}
		res = s.db.Conn(ctx).Model(&runClaim{}).Where("run_day = ? AND bucket = ? AND holder = ? AND heartbeat_at = ?", c.RunDay, bucket, c.Holder, c.HeartbeatAt).
			Updates(map[string]any{"holder": holder, "claimed_at": now, "heartbeat_at": now, "done_at": nil})
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
func (s *Service) renewClaim(ctx context.Context, day Date, bucket, holder string) bool {
	res := s.db.Conn(ctx).Model(&runClaim{}).Where("run_day = ? AND bucket = ? AND holder = ?", day.String(), bucket, holder).
		Update("heartbeat_at", s.now())
	if res.Error != nil {
		s.log.Warn("invoice run: renew claim", "bucket", bucket, "err", res.Error)
		return true // the next renewal or a takeover settles it
	}
	if res.RowsAffected == 1 {
		return true
	}
	// MariaDB counts a row whose value did not change as unaffected: ask.
	var got string
	err := s.db.Conn(ctx).Model(&runClaim{}).Where("run_day = ? AND bucket = ?", day.String(), bucket).Pluck("holder", &got).Error
	return err != nil || got == holder
}

// finishClaim marks a bucket done.
func (s *Service) finishClaim(ctx context.Context, day Date, bucket, holder string) {
	now := s.now()
	err := s.db.Conn(ctx).Model(&runClaim{}).Where("run_day = ? AND bucket = ? AND holder = ?", day.String(), bucket, holder).
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

// releaseClaim gives a bucket up unfinished (its work failed), so another
// run takes it at once.
func (s *Service) releaseClaim(ctx context.Context, day Date, bucket, holder string) {
	if err := s.db.Conn(ctx).Where("run_day = ? AND bucket = ? AND holder = ?", day.String(), bucket, holder).Delete(&runClaim{}).Error; err != nil {
		s.log.Warn("release claim", "bucket", bucket, "err", err)
	}
}

// newHolder names one run of this process: its node and a random token.
func (s *Service) newHolder() string {
	var tok [6]byte
	rand.Read(tok[:])
	return s.opt.Node + "/" + hex.EncodeToString(tok[:])
}
