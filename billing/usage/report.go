package usage

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
)

// Day is one day of a usage chart.
type Day struct {
	Date    string `json:"date"`
	Traffic int64  `json:"traffic_bytes"` // sent that day
	Disk    int64  `json:"disk_bytes"`    // the last sample that day (0 without one)
	HasDisk bool   `json:"has_disk"`
}

// AccountReport is an account's usage in the current month against its
// package quota, with the traffic the month will reach at this pace.
type AccountReport struct {
	AccountID      int64  `json:"account_id"`
	From           string `json:"from"`
	To             string `json:"to"`   // exclusive
	Last           string `json:"last"` // the month's last day
	Days           []Day  `json:"days"`
	TrafficBytes   int64  `json:"traffic_bytes"`
	TrafficQuota   int64  `json:"traffic_quota_bytes"` // 0: unlimited
	DiskBytes      int64  `json:"disk_bytes"`          // the last sample
	DiskQuota      int64  `json:"disk_quota_bytes"`
	ProjectedBytes int64  `json:"projected_traffic_bytes"` // at the month's pace so far
	// ProjectedOver is how far the projection goes beyond the quota.
	ProjectedOver int64 `json:"projected_over_bytes"`
}

// TrafficPercent is the traffic used of the quota, in percent (0 without
// a quota).
func (r AccountReport) TrafficPercent() int64 { return percent(r.TrafficBytes, r.TrafficQuota) }

// DiskPercent is the disk used of the quota, in percent.
func (r AccountReport) DiskPercent() int64 { return percent(r.DiskBytes, r.DiskQuota) }

func percent(n, of int64) int64 {
	if of <= 0 {
		return 0
	}
	return n * 100 / of
}

// Account reports an account the scope sees, for the month of now.
func (s *Service) Account(ctx context.Context, scope tenancy.Scope, accountID int64) (AccountReport, error) {
	var a struct {
		ID        int64
		TrafficMB int64
		DiskMB    int64
	}
	err := s.db.Read(ctx).Table("accounts").Select("id, traffic_mb, disk_mb").Scopes(scope.PathColumn("tenant_path")).
		Where("id = ?", accountID).Take(&a).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return AccountReport{}, core.E(core.ErrNotFound, "account %d not found", accountID)
	}
	if err != nil {
		return AccountReport{}, err
	}
	now := s.now()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 1, 0)
	r := AccountReport{AccountID: a.ID, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), Last: to.AddDate(0, 0, -1).Format(time.DateOnly),
		TrafficQuota: a.TrafficMB * 1_000_000, DiskQuota: a.DiskMB * 1_000_000}
	var evs []struct {
		Code       string
		Quantity   int64
		OccurredAt time.Time
	}
	err = s.db.Read(ctx).Table("usage_events e").Select("m.code, e.quantity, e.occurred_at").Joins("JOIN usage_meters m ON m.id = e.meter_id").
		Where("e.subject_kind = ? AND e.subject_id = ? AND e.occurred_at >= ? AND e.occurred_at < ? AND m.code IN ?",
			SubjectAccount, accountID, from, to, []string{MeterTraffic, MeterDisk}).Order("e.occurred_at, e.id").Find(&evs).Error
	if err != nil {
		return r, fmt.Errorf("usage of account %d: %w", accountID, err)
	}
	idx := map[string]int{}
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		idx[d.Format(time.DateOnly)] = len(r.Days)
		r.Days = append(r.Days, Day{Date: d.Format(time.DateOnly)})
	}
	for _, e := range evs {
		day := &r.Days[idx[e.OccurredAt.UTC().Format(time.DateOnly)]]
		switch e.Code {
		case MeterTraffic:
			day.Traffic += e.Quantity
			r.TrafficBytes += e.Quantity
		case MeterDisk:
			day.Disk, day.HasDisk = e.Quantity, true
			r.DiskBytes = e.Quantity
		}
	}
	// A projection needs a few days of the month to be worth reading.
	elapsed := now.Sub(from)
	if elapsed >= ProjectAfter {
		r.ProjectedBytes = int64(float64(r.TrafficBytes) * float64(to.Sub(from)) / float64(elapsed))
	}
	if r.TrafficQuota > 0 && r.ProjectedBytes > r.TrafficQuota {
		r.ProjectedOver = r.ProjectedBytes - r.TrafficQuota
	}
	return r, nil
}

// ProjectAfter is how much of a month must have passed before the
// report projects its traffic: on the first days one busy hour would
// project a hundred times the quota.
const ProjectAfter = 3 * 24 * time.Hour

// Consumer is an account's traffic in a month, for a server's top list.
type Consumer struct {
	AccountID int64  `json:"account_id"`
	Username  string `json:"username"`
	Bytes     int64  `json:"traffic_bytes"`
}

// TopConsumers lists a server's accounts by traffic this month, most
// first.
func (s *Service) TopConsumers(ctx context.Context, serverID int64, limit int) ([]Consumer, error) {
	now := s.now()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var out []Consumer
	err := s.db.Read(ctx).Table("usage_events e").Select("a.id AS account_id, a.username, SUM(e.quantity) AS bytes").
		Joins("JOIN usage_meters m ON m.id = e.meter_id").Joins("JOIN accounts a ON a.id = e.subject_id").
		Where("e.subject_kind = ? AND a.server_id = ? AND m.code = ? AND e.occurred_at >= ?", SubjectAccount, serverID, MeterTraffic, from).
		Group("a.id, a.username").Find(&out).Error
	sort.SliceStable(out, func(i, j int) bool { return out[i].Bytes > out[j].Bytes })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}
