package provisioning

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/queue"
	"faktura/panel/core/tenancy"
)

// Action is what a job asks of a driver.
type Action string

// The job actions.
const (
	ActionCreate         Action = "create"
	ActionSuspend        Action = "suspend"
	ActionUnsuspend      Action = "unsuspend"
	ActionTerminate      Action = "terminate"
	ActionChangePackage  Action = "change_package"
	ActionChangePassword Action = "change_password"
	ActionAddSite        Action = "add_site"
	ActionRemoveSite     Action = "remove_site"
)

// Job statuses: pending (queued, or running under a lease), done, failed
// (gave up after MaxAttempts; Retry queues it again) and cancelled
// (dropped by a termination before it started).
const (
	JobPending   = "pending"
	JobDone      = "done"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// jobParams are an action's arguments.
type jobParams struct {
	Reason    Reason `json:"reason,omitempty"`
	PackageID int64  `json:"package_id,omitempty"`
	Password  string `json:"password,omitempty"`
}

// Job is one driver call to make, recorded in the transaction that
// decided it.
type Job struct {
	ID            int64      `json:"id" gorm:"primaryKey"`
	AccountID     int64      `json:"account_id"`
	DomainID      *int64     `json:"domain_id,omitempty"`
	ServerID      int64      `json:"server_id"`
	Action        Action     `json:"action"`
	Params        string     `json:"-"`
	Actor         string     `json:"actor"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	LockedBy      *string    `json:"-"`
	LastError     string     `json:"last_error,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	DoneAt        *time.Time `json:"done_at,omitempty"`
}

// TableName is the table's name.
func (Job) TableName() string { return "provisioning_jobs" }

// QueueID implements queue.Item.
func (j Job) QueueID() int64 { return j.ID }

func (j Job) params() jobParams {
	var p jobParams
	json.Unmarshal([]byte(j.Params), &p)
	return p
}

// enqueue records a job for account a (and domain d) in ctx's transaction
// and wakes the worker after commit.
func (s *Service) enqueue(ctx context.Context, a Account, d *Domain, action Action, p jobParams) error {
	raw, _ := json.Marshal(p)
	now := s.now()
	j := Job{AccountID: a.ID, ServerID: a.ServerID, Action: action, Params: string(raw), Actor: actorLabel(ctx),
		Status: JobPending, NextAttemptAt: now, CreatedAt: now}
	if d != nil {
		j.DomainID = &d.ID
	}
	if err := s.db.Conn(ctx).Create(&j).Error; err != nil {
		return fmt.Errorf("queue %s for account %d: %w", action, a.ID, err)
	}
	db.AfterCommit(ctx, s.notify)
	return nil
}

// cancelQueued drops the account's jobs that are queued or failed but not
// running.
func (s *Service) cancelQueued(ctx context.Context, accountID int64) error {
	return s.db.Conn(ctx).Model(&Job{}).
		Where("account_id = ? AND status IN ? AND locked_by IS NULL", accountID, []string{JobPending, JobFailed}).
		Updates(map[string]any{"status": JobCancelled, "params": "{}", "done_at": s.now()}).Error
}

// Jobs lists an account's latest jobs, newest first.
func (s *Service) Jobs(ctx context.Context, scope tenancy.Scope, accountID int64, limit int) ([]Job, error) {
	var out []Job
	err := s.db.Read(ctx).Where("account_id IN (?)", s.db.Read(ctx).Model(&Account{}).Select("id").
		Scopes(scope.PathColumn("tenant_path")).Where("id = ?", accountID)).
		Order("id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// RetryAccount queues an account's failed jobs again, from the first
// attempt; a failed account or domain goes back to pending.
func (s *Service) RetryAccount(ctx context.Context, scope tenancy.Scope, id int64) (Account, error) {
	return s.accountChange(ctx, scope, id, func(ctx context.Context, a *Account) error {
		n, err := queue.Retry(ctx, s.db, jobQueue, s.now(), "account_id = ?", a.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			return core.E(core.ErrPrecondition, "account %s has no failed change to retry", a.Username)
		}
		if err := s.db.Conn(ctx).Model(&Account{}).Where("id = ? AND state = ?", a.ID, StateFailed).
			Updates(map[string]any{"state": StatePending, "failure": "", "updated_at": s.now()}).Error; err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Model(&Domain{}).Where("account_id = ? AND state = ?", a.ID, StateFailed).
			Updates(map[string]any{"state": StatePending, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return s.record(ctx, "account.retry", "account", a.ID, a.TenantID, a.TenantPath, nil, map[string]any{"jobs": n})
	})
}

// JobBacklog counts jobs by status, for metrics.
func (s *Service) JobBacklog(ctx context.Context) (map[string]int64, error) {
	pending, failed, err := queue.Backlog(ctx, s.db, jobQueue)
	return map[string]int64{JobPending: pending, JobFailed: failed}, err
}
