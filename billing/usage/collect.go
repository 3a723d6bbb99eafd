package usage

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/provisioning"
)

// Servers is what collection needs of provisioning: the servers and their
// drivers.
type Servers interface {
	Servers(ctx context.Context) ([]provisioning.Server, error)
	Driver(srv provisioning.Server) (provisioning.Driver, error)
}

// Collection is where a server's usage collection stands.
type Collection struct {
	ServerID  int64      `json:"server_id" gorm:"primaryKey;autoIncrement:false"`
	Cursor    string     `json:"-" gorm:"column:log_cursor"`
	LastOKAt  *time.Time `json:"last_ok_at,omitempty" gorm:"column:last_ok_at"`
	FailedAt  *time.Time `json:"failed_at,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// TableName implements gorm's Tabler.
func (Collection) TableName() string { return "usage_collections" }

// CollectTimeout is how long one server's collection may take.
const CollectTimeout = 2 * time.Minute

// CollectionOf is a server's collection state; nil when it never ran.
func (s *Service) CollectionOf(ctx context.Context, serverID int64) (*Collection, error) {
	var c Collection
	err := s.db.Read(ctx).Where("server_id = ?", serverID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	return &c, err
}

// CollectAll asks every enabled server whose driver collects usage for
// what its accounts used since the last collection, each within timeout:
// a failing or slow server is recorded as failed and the others go on;
// its next successful collection catches up from its cursor.
func (s *Service) CollectAll(ctx context.Context, hosting Servers, timeout time.Duration) (ok, failed, events int, err error) {
	srvs, err := hosting.Servers(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	for _, srv := range srvs {
		if !srv.Enabled {
			continue
		}
		drv, err := hosting.Driver(srv)
		if err != nil {
			failed++
			s.recordFailure(ctx, srv.ID, err)
			continue
		}
		uc, yes := drv.(provisioning.UsageCollector)
		if !yes {
			continue
		}
		n, err := s.collect(ctx, srv, uc, timeout)
		if err != nil {
			failed++
			s.recordFailure(ctx, srv.ID, err)
			continue
		}
		ok++
		events += n
	}
	return ok, failed, events, nil
}

// collect reads one server outside any transaction, then stores its
// readings and its new cursor in one.
func (s *Service) collect(ctx context.Context, srv provisioning.Server, uc provisioning.UsageCollector, timeout time.Duration) (int, error) {
	st, err := s.CollectionOf(ctx, srv.ID)
	if err != nil {
		return 0, err
	}
	var cursor []byte
	if st != nil && st.Cursor != "" {
		cursor = []byte(st.Cursor)
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	reading, err := uc.CollectUsage(cctx, cursor)
	cancel()
	if err != nil {
		return 0, err
	}
	var accts []struct {
		ID         int64
		Username   string
		SellerID   int64
		TenantID   int64
		TenantPath string
	}
	if err := s.db.Read(ctx).Table("accounts").Select("id, username, seller_id, tenant_id, tenant_path").
		Where("server_id = ?", srv.ID).Order("id").Find(&accts).Error; err != nil {
		return 0, fmt.Errorf("accounts of server %d: %w", srv.ID, err)
	}
	byUser := map[string]int{}
	for i, a := range accts {
		byUser[a.Username] = i // the newest account of a reused name
	}
	meterOf := s.meterLookup(ctx)
	now := s.now()
	source := "server:" + strconv.FormatInt(srv.ID, 10)
	var rows []Event
	add := func(user, code, id string, qty int64, at time.Time) error {
		i, ok := byUser[user]
		if !ok {
			return nil // a directory or log no account owns any more
		}
		a := accts[i]
		m, err := meterOf(a.SellerID, code)
		if err != nil {
			return err
		}
		rows = append(rows, Event{SellerID: a.SellerID, CustomerID: a.TenantID, CustomerPath: a.TenantPath, MeterID: m, SubjectKind: SubjectAccount,
			SubjectID: a.ID, Source: source, EventID: id, Quantity: qty, OccurredAt: at.UTC().Truncate(time.Millisecond), CreatedAt: now})
		return nil
	}
	for _, t := range reading.Traffic {
		sum := sha256.Sum256([]byte(t.Key))
		if err := add(t.Username, MeterTraffic, "traffic:"+hex.EncodeToString(sum[:16]), t.Bytes, t.At); err != nil {
			return 0, err
		}
	}
	for _, d := range reading.Disk {
		if err := add(d.Username, MeterDisk, "disk:"+d.Username+":"+now.Format(time.RFC3339Nano), d.DiskBytes, now); err != nil {
			return 0, err
		}
	}
	n := 0
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if len(rows) > 0 {
			r := s.insertNew(ctx).CreateInBatches(rows, MaxBatch)
			if r.Error != nil {
				return fmt.Errorf("store readings of server %d: %w", srv.ID, r.Error)
			}
			n = int(r.RowsAffected)
		}
		c := Collection{ServerID: srv.ID, Cursor: string(reading.Cursor), LastOKAt: &now, UpdatedAt: now}
		return s.db.Conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "server_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"log_cursor", "last_ok_at", "updated_at"})}).Create(&c).Error
	})
	return n, err
}

// recordFailure notes a server's failed collection for its page; the
// cursor stays, so the next one catches up.
func (s *Service) recordFailure(ctx context.Context, serverID int64, cause error) {
	now := s.now()
	msg := cause.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	c := Collection{ServerID: serverID, FailedAt: &now, LastError: msg, UpdatedAt: now}
	_ = s.db.Conn(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "server_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"failed_at", "last_error", "updated_at"})}).Create(&c).Error
}

// CollectStep is the first step of the daily run: usage from the
// servers, before rating and invoicing.
type CollectStep struct {
	S       *Service
	Hosting Servers
	Timeout time.Duration // per server; CollectTimeout when zero
}

// Name implements automation.Step.
func (CollectStep) Name() string { return "usage.collect" }

// Run implements automation.Step.
func (st CollectStep) Run(ctx context.Context, day core.Date) (map[string]int64, error) {
	ok, failed, n, err := st.S.CollectAll(ctx, st.Hosting, cmp.Or(st.Timeout, CollectTimeout))
	if err != nil {
		return nil, err
	}
	counts, err := st.S.SampleCounts(ctx, day)
	if err != nil {
		return nil, err
	}
	warned, err := st.S.Warn(ctx)
	return map[string]int64{"servers": int64(ok), "failed": int64(failed), "readings": int64(n), "counts": int64(counts), "warnings": int64(warned)}, err
}

// SampleCounts records, once a day, how many domains and subdomains each
// live account has and how many accounts each reseller under contract
// has: the count meters (maximum over the period).
func (s *Service) SampleCounts(ctx context.Context, day core.Date) (int, error) {
	now := s.now()
	var rows []Event
	var accts []struct {
		ID, SellerID, TenantID int64
		TenantPath             string
		Domains, Subdomains    int64
	}
	err := s.db.Read(ctx).Table("accounts a").
		Select("a.id, a.seller_id, a.tenant_id, a.tenant_path, " +
			"COALESCE(SUM(CASE WHEN d.id IS NOT NULL AND d.parent_id IS NULL THEN 1 ELSE 0 END), 0) AS domains, " +
			"COALESCE(SUM(CASE WHEN d.parent_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS subdomains").
		Joins("LEFT JOIN domains d ON d.account_id = a.id AND d.target <> 'removed'").
		Where("a.target <> 'terminated'").Group("a.id, a.seller_id, a.tenant_id, a.tenant_path").Find(&accts).Error
	if err != nil {
		return 0, fmt.Errorf("count domains: %w", err)
	}
	meter := s.meterLookup(ctx)
	add := func(seller, customer int64, path, code, kind string, subject, qty int64) error {
		m, err := meter(seller, code)
		if err != nil {
			return err
		}
		rows = append(rows, Event{SellerID: seller, CustomerID: customer, CustomerPath: path, MeterID: m, SubjectKind: kind, SubjectID: subject,
			Source: "counts", EventID: fmt.Sprintf("%s:%s:%d:%s", code, kind, subject, day), Quantity: qty, OccurredAt: now, CreatedAt: now})
		return nil
	}
	for _, a := range accts {
		if err := add(a.SellerID, a.TenantID, a.TenantPath, MeterDomains, SubjectAccount, a.ID, a.Domains); err != nil {
			return 0, err
		}
		if err := add(a.SellerID, a.TenantID, a.TenantPath, MeterSubdomains, SubjectAccount, a.ID, a.Subdomains); err != nil {
			return 0, err
		}
	}
	var resellers []struct {
		ContractID, SellerID, CustomerID int64
		CustomerPath, ResellerPath       string
	}
	err = s.db.Read(ctx).Table("contracts c").
		Select("c.id AS contract_id, c.seller_id, c.customer_id, c.customer_path, r.tenant_path AS reseller_path").
		Joins("JOIN reseller_accounts r ON r.id = c.subject_id").Where("c.subject_kind = 'reseller' AND c.status = 'active'").Find(&resellers).Error
	if err != nil {
		return 0, fmt.Errorf("reseller contracts: %w", err)
	}
	for _, r := range resellers {
		var n int64
		if err := s.db.Read(ctx).Table("accounts").Where("tenant_path LIKE ? AND target <> 'terminated'", r.ResellerPath+"%").Count(&n).Error; err != nil {
			return 0, err
		}
		if err := add(r.SellerID, r.CustomerID, r.CustomerPath, MeterAccounts, SubjectContract, r.ContractID, n); err != nil {
			return 0, err
		}
	}
	if len(rows) == 0 {
		return 0, nil
	}
	var stored int
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		r := s.insertNew(ctx).CreateInBatches(rows, MaxBatch)
		stored = int(r.RowsAffected)
		return r.Error
	})
	return stored, err
}

// meterLookup finds sellers' built-in meters by code, each once.
func (s *Service) meterLookup(ctx context.Context) func(seller int64, code string) (int64, error) {
	ids := map[[2]any]int64{}
	return func(seller int64, code string) (int64, error) {
		k := [2]any{seller, code}
		if id, ok := ids[k]; ok {
			return id, nil
		}
		if err := s.ensureBuiltIns(ctx, seller); err != nil {
			return 0, err
		}
		var found []int64
		if err := s.db.Read(ctx).Model(&Meter{}).Where("seller_id = ? AND code = ?", seller, code).Pluck("id", &found).Error; err != nil || len(found) == 0 {
			return 0, fmt.Errorf("meter %s of seller %d: %v", code, seller, err)
		}
		ids[k] = found[0]
		return found[0], nil
	}
}
