// Package audit records every state-changing action in the append-only
// audit_log table: who acted (user or API key, and their tenant), on which
// tenant's object, what changed (a before/after summary), from which IP and
// when. Entries are written in the caller's transaction, so an action and
// its entry commit or roll back together. The schema refuses UPDATE and
// DELETE on the table.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// Actor is who performs an action; the HTTP layer and the CLI put it in
// the context.
type Actor struct {
	UserID   int64
	APIKeyID int64
	TenantID int64
	Label    string // e-mail, "api key fk_ab12cd34" or "cli"
	IP       string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx; without one it is the system.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return Actor{Label: "system"}
}

// Entry is one action to record. Tenant is the tenant that owns the object
// (its id and path), which decides who may read the entry.
type Entry struct {
	Action     string
	ObjectType string
	ObjectID   string
	TenantID   int64
	TenantPath string
	Before     any
	After      any
}

// Record is a stored entry.
type Record struct {
	ID            int64     `json:"id" gorm:"primaryKey"`
	At            time.Time `json:"at"`
	ActorUserID   *int64    `json:"actor_user_id,omitempty"`
	ActorAPIKeyID *int64    `json:"actor_api_key_id,omitempty"`
	ActorTenantID *int64    `json:"actor_tenant_id,omitempty"`
	ActorLabel    string    `json:"actor"`
	TenantID      *int64    `json:"tenant_id,omitempty"`
	TenantPath    string    `json:"-"`
	Action        string    `json:"action"`
	ObjectType    string    `json:"object_type"`
	ObjectID      string    `json:"object_id"`
	Summary       string    `json:"summary"`
	IP            string    `json:"ip"`
}

// TableName is the table's name.
func (Record) TableName() string { return "audit_log" }

// Log writes and reads the audit log.
type Log struct {
	db    *db.Handle
	clock core.Clock
}

// New returns the audit log over h.
func New(h *db.Handle, clock core.Clock) *Log { return &Log{db: h, clock: clock} }

// Record appends e, attributed to the actor in ctx, in the caller's
// transaction (or on its own when there is none).
func (l *Log) Record(ctx context.Context, e Entry) error {
	summary, err := json.Marshal(struct {
		Before any `json:"before,omitempty"`
		After  any `json:"after,omitempty"`
	}{e.Before, e.After})
	if err != nil {
		return fmt.Errorf("audit %s: encode summary: %w", e.Action, err)
	}
	a := ActorFrom(ctx)
	path := e.TenantPath
	if path == "" {
		path = tenancy.PathOf("/", tenancy.OperatorID)
	}
	r := Record{
		At: l.clock.Now(), ActorLabel: a.Label, IP: a.IP,
		ActorUserID: nonZero(a.UserID), ActorAPIKeyID: nonZero(a.APIKeyID), ActorTenantID: nonZero(a.TenantID),
		TenantID: nonZero(e.TenantID), TenantPath: path,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, Summary: string(summary),
	}
	if err := l.db.Conn(ctx).Create(&r).Error; err != nil {
		return fmt.Errorf("audit %s: %w", e.Action, err)
	}
	return nil
}

func nonZero(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

// Filter narrows a listing; zero fields match everything.
type Filter struct {
	Action   string // prefix, e.g. "user." or "user.create"
	ActorID  int64
	TenantID int64
	Since    time.Time
	Until    time.Time
	Query    string // substring of the actor label or the object id
}

// List returns up to limit entries of the scope, newest first, older than
// the entry with id before (0: from the newest).
func (l *Log) List(ctx context.Context, scope tenancy.Scope, f Filter, p core.Page) ([]Record, error) {
	like := db.Contains(f.Query)
	q := db.Filter(l.db.Read(ctx).Model(&Record{}).Scopes(scope.PathColumn("tenant_path")),
		db.When(f.Action != "", "action LIKE ?"+db.LikeEscape, db.Prefix(f.Action)),
		db.Eq("actor_user_id", f.ActorID), db.Eq("tenant_id", f.TenantID),
		db.When(!f.Since.IsZero(), "at >= ?", f.Since), db.When(!f.Until.IsZero(), "at < ?", f.Until),
		db.When(f.Query != "", "(actor_label LIKE ?"+db.LikeEscape+" OR object_id LIKE ?"+db.LikeEscape+")", like, like))
	return db.FindPage[Record](q, p, "audit log")
}

// Label names the actor in ctx for records other than the audit log
// (events, jobs, who created a document): "user:7", "apikey:3", or the
// actor's label ("cli", "system").
func Label(ctx context.Context) string {
	a := ActorFrom(ctx)
	switch {
	case a.UserID != 0:
		return "user:" + strconv.FormatInt(a.UserID, 10)
	case a.APIKeyID != 0:
		return "apikey:" + strconv.FormatInt(a.APIKeyID, 10)
	case a.Label != "":
		return a.Label
	}
	return "system"
}
