package provisioning

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/outbox"
	"faktura/panel/core/tenancy"
)

// Options tune the service and its worker.
type Options struct {
	Env         Env
	MaxAttempts int           // a job failing this often stops retrying (default 8)
	BackoffBase time.Duration // wait after the first failure, doubled per failure (default 30s)
	BackoffMax  time.Duration // longest wait (default 1h)
	CallTimeout time.Duration // longest driver call (default 2m)
	Lease       time.Duration // how long a claimed job is ours (default CallTimeout + 1m)
}

func (o Options) withDefaults() Options {
	o.MaxAttempts = cmp.Or(o.MaxAttempts, 8)
	o.BackoffBase = cmp.Or(o.BackoffBase, 30*time.Second)
	o.BackoffMax = cmp.Or(o.BackoffMax, time.Hour)
	o.CallTimeout = cmp.Or(o.CallTimeout, 2*time.Minute)
	o.Lease = cmp.Or(o.Lease, o.CallTimeout+time.Minute)
	return o
}

// Service provisions hosting. Methods that read or change tenant data
// take the caller's tenancy.Scope: an object outside it is "not found".
// Whether the caller's role may act at all is the panel's check.
type Service struct {
	db    *db.Handle
	clock core.Clock
	bus   *outbox.Bus
	audit *audit.Log
	opt   Options

	wake    chan struct{}
	mu      sync.Mutex
	drivers map[int64]cachedDriver
}

type cachedDriver struct {
	version time.Time
	d       Driver
}

// New returns the service.
func New(h *db.Handle, clock core.Clock, bus *outbox.Bus, log *audit.Log, o Options) *Service {
	return &Service{db: h, clock: clock, bus: bus, audit: log, opt: o.withDefaults(), drivers: map[int64]cachedDriver{},
		wake: make(chan struct{}, 1)}
}

func (s *Service) now() time.Time { return s.clock.Now().UTC() }

// tx runs fn in a transaction (or the caller's).
func (s *Service) tx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.WithTx(ctx, fn)
}

// publish writes ev to the outbox in ctx's transaction.
func (s *Service) publish(ctx context.Context, actor string, evs ...outbox.Event) error {
	for _, ev := range evs {
		if _, err := s.bus.Publish(ctx, ev, actor); err != nil {
			return err
		}
	}
	return nil
}

// record writes an audit entry for an object of tenant (id, path).
func (s *Service) record(ctx context.Context, action, objType string, id int64, tenantID int64, path string, before, after any) error {
	return s.audit.Record(ctx, audit.Entry{Action: action, ObjectType: objType, ObjectID: strconv.FormatInt(id, 10),
		TenantID: tenantID, TenantPath: path, Before: before, After: after})
}

// actorLabel names who acts in ctx ("user:7", "apikey:3", "system").
func actorLabel(ctx context.Context) string { return audit.Label(ctx) }

// lock adds FOR UPDATE on MariaDB; SQLite serialises writers anyway.
func (s *Service) lock(q *gorm.DB) *gorm.DB {
	if s.db.Dialect == db.MySQL {
		return q.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate})
	}
	return q
}

// first loads one row matching the query into dst, mapping "no row" to a
// not-found error about what.
func first(q *gorm.DB, dst any, what string, id int64) error {
	err := q.Take(dst).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return core.E(core.ErrNotFound, "%s %d not found", what, id)
	}
	if err != nil {
		return fmt.Errorf("load %s %d: %w", what, id, err)
	}
	return nil
}

// tenantRow is the part of a tenant provisioning reads.
type tenantRow struct {
	ID       int64
	Kind     tenancy.Kind
	ParentID *int64
	Path     string
	Name     string
	Status   string
}

func (tenantRow) TableName() string { return "tenants" }

// tenantIn loads a tenant inside scope.
func (s *Service) tenantIn(ctx context.Context, scope tenancy.Scope, id int64) (tenantRow, error) {
	var t tenantRow
	err := first(s.db.Read(ctx).Scopes(scope.Tenants).Where("id = ?", id), &t, "tenant", id)
	return t, err
}

// sellerOf is the tenant that sells to t: its reseller, or the operator.
func sellerOf(t tenantRow) int64 {
	if t.Kind == tenancy.KindClient && t.ParentID != nil {
		return *t.ParentID
	}
	if t.Kind == tenancy.KindReseller {
		return t.ID
	}
	return tenancy.OperatorID
}

// Driver returns the driver of server, built from its settings and kept
// while they do not change.
func (s *Service) Driver(srv Server) (Driver, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.drivers[srv.ID]; ok && c.version.Equal(srv.UpdatedAt) {
		return c.d, nil
	}
	f, ok := factory(srv.Driver)
	if !ok {
		return nil, core.E(core.ErrPrecondition, "server %s: no driver %q in this build", srv.Name, srv.Driver)
	}
	d, err := f(json.RawMessage(srv.Settings), s.opt.Env)
	if err != nil {
		return nil, fmt.Errorf("server %s: %w", srv.Name, err)
	}
	s.drivers[srv.ID] = cachedDriver{version: srv.UpdatedAt, d: d}
	return d, nil
}

// notify wakes a worker in this process without blocking.
func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
