// Package usage meters what customers consume: traffic and disk the
// servers report, counts of what is provisioned, and events other systems
// send (a mail server, a backup system). A meter belongs to a seller and
// has an integral unit and an aggregation; events are stored once per
// (seller, source, event id), so a replayed batch adds nothing.
package usage

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/mail"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

// Units a meter counts in. Quantities are whole numbers of the unit.
const (
	UnitBytes    = "bytes"
	UnitCount    = "count"
	UnitMBHours  = "mb_hours" // storage over time
	UnitRequests = "requests"
	UnitMessages = "messages"
)

// Units lists the units a meter may have.
var Units = []string{UnitBytes, UnitCount, UnitMBHours, UnitRequests, UnitMessages}

// Aggregations: how a period's events combine into one quantity.
const (
	AggSum  = "sum"  // traffic, requests: the events add up
	AggMax  = "max"  // the highest value seen (peak accounts, domains)
	AggLast = "last" // the last value reported
	AggTWA  = "twa"  // time-weighted average of samples (disk)
)

// Aggregations lists them.
var Aggregations = []string{AggSum, AggMax, AggLast, AggTWA}

// The built-in meters every seller has.
const (
	MeterTraffic    = "traffic"
	MeterDisk       = "disk"
	MeterDomains    = "domains"
	MeterSubdomains = "subdomains"
	MeterAccounts   = "accounts" // a reseller's accounts
)

// BuiltIn are the meters every seller has, with their units and
// aggregations.
var BuiltIn = []Meter{
	{Code: MeterTraffic, Name: "Traffic", Unit: UnitBytes, Aggregation: AggSum, BuiltIn: true},
	{Code: MeterDisk, Name: "Disk space", Unit: UnitBytes, Aggregation: AggTWA, BuiltIn: true},
	{Code: MeterDomains, Name: "Domains", Unit: UnitCount, Aggregation: AggMax, BuiltIn: true},
	{Code: MeterSubdomains, Name: "Subdomains", Unit: UnitCount, Aggregation: AggMax, BuiltIn: true},
	{Code: MeterAccounts, Name: "Hosting accounts", Unit: UnitCount, Aggregation: AggMax, BuiltIn: true},
}

// Meter is something a seller measures.
type Meter struct {
	ID          int64     `json:"id"`
	SellerID    int64     `json:"seller_id"`
	Code        string    `json:"code"`
	Name        string    `json:"name"`
	Unit        string    `json:"unit"`
	Aggregation string    `json:"aggregation"`
	BuiltIn     bool      `json:"built_in"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// TableName implements gorm's Tabler.
func (Meter) TableName() string { return "usage_meters" }

// Subjects an event is about.
const (
	SubjectAccount  = "account"  // a hosting account (provisioning)
	SubjectContract = "contract" // a billing contract
)

// Event is a stored usage event.
type Event struct {
	ID           int64     `json:"id"`
	SellerID     int64     `json:"seller_id"`
	CustomerID   int64     `json:"customer_id"`
	CustomerPath string    `json:"-"`
	MeterID      int64     `json:"meter_id"`
	SubjectKind  string    `json:"subject_kind"`
	SubjectID    int64     `json:"subject_id"`
	Source       string    `json:"source"`
	EventID      string    `json:"event_id"`
	Quantity     int64     `json:"quantity"`
	OccurredAt   time.Time `json:"occurred_at"`
	CreatedAt    time.Time `json:"created_at"`
}

// TableName implements gorm's Tabler.
func (Event) TableName() string { return "usage_events" }

// GraceDays is how many days back an event may be dated: a late event
// within it lands in its own period; an older one is refused, its period
// being rated already.
var GraceDays = settings.Int("usage.grace_days", 3, 0, 60).At(settings.LevelPanel, settings.LevelSeller)

// SettingDefs lists the usage settings for the settings pages.
func SettingDefs() []settings.Def {
	return []settings.Def{GraceDays.Def(), WarnFirst.Def(), WarnSecond.Def()}
}

// MaxBatch is the most events one ingest request may carry.
const MaxBatch = 1000

// Service stores meters and events.
type Service struct {
	db       *db.Handle
	clock    core.Clock
	audit    *audit.Log
	settings *settings.Store

	mail    *mail.Outbox // quota warnings (UseMail)
	tpl     Templates
	baseURL string
}

// New returns the service.
func New(h *db.Handle, clock core.Clock, log *audit.Log, st *settings.Store) *Service {
	return &Service{db: h, clock: clock, audit: log, settings: st}
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9_.-]{1,39}$`)

// MeterInput creates a seller's own meter.
type MeterInput struct {
	Code        string `json:"code"`
	Name        string `json:"name"`
	Unit        string `json:"unit"`
	Aggregation string `json:"aggregation"`
}

// Validate reports every problem.
func (in *MeterInput) Validate() error {
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	var v core.ValidationError
	switch {
	case !codeRE.MatchString(in.Code):
		v.Add("code", "must be 2-40 lower-case letters, digits, '_', '.' or '-', starting with a letter")
	case slices.ContainsFunc(BuiltIn, func(m Meter) bool { return m.Code == in.Code }):
		v.Addf("code", "%q is a built-in meter", in.Code)
	}
	if in.Name == "" || len(in.Name) > 100 {
		v.Add("name", "must be 1-100 characters")
	}
	if !slices.Contains(Units, in.Unit) {
		v.Addf("unit", "must be one of %s", strings.Join(Units, ", "))
	}
	if !slices.Contains(Aggregations, in.Aggregation) {
		v.Addf("aggregation", "must be one of %s", strings.Join(Aggregations, ", "))
	}
	return v.Err()
}

// CreateMeter adds a meter of the caller's own (the caller sells).
func (s *Service) CreateMeter(ctx context.Context, scope tenancy.Scope, in MeterInput) (Meter, error) {
	if err := in.Validate(); err != nil {
		return Meter{}, err
	}
	if err := s.ensureBuiltIns(ctx, scope.TenantID); err != nil {
		return Meter{}, err
	}
	now := s.now()
	m := Meter{SellerID: scope.TenantID, Code: in.Code, Name: in.Name, Unit: in.Unit, Aggregation: in.Aggregation, CreatedAt: now, UpdatedAt: now}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		res := s.insertNew(ctx).Create(&m)
		if res.Error != nil {
			return fmt.Errorf("create meter: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return core.Invalid("code", "you have a meter %q already", in.Code)
		}
		return s.audit.Record(ctx, audit.Entry{Action: "usage.meter.create", ObjectType: "usage_meter", ObjectID: strconv.FormatInt(m.ID, 10),
			TenantID: scope.TenantID, TenantPath: scope.Path, After: m})
	})
	return m, err
}

// Meters lists the caller's meters, the built-in ones first.
func (s *Service) Meters(ctx context.Context, scope tenancy.Scope) ([]Meter, error) {
	if err := s.ensureBuiltIns(ctx, scope.TenantID); err != nil {
		return nil, err
	}
	var ms []Meter
	err := s.db.Read(ctx).Where("seller_id = ?", scope.TenantID).Order("built_in DESC, code").Find(&ms).Error
	return ms, err
}

// ensureBuiltIns gives a seller its built-in meters, once.
func (s *Service) ensureBuiltIns(ctx context.Context, sellerID int64) error {
	var n int64
	if err := s.db.Read(ctx).Model(&Meter{}).Where("seller_id = ? AND built_in = ?", sellerID, true).Count(&n).Error; err != nil {
		return fmt.Errorf("built-in meters of %d: %w", sellerID, err)
	}
	if int(n) == len(BuiltIn) {
		return nil
	}
	now := s.now()
	ms := make([]Meter, len(BuiltIn))
	for i, b := range BuiltIn {
		b.SellerID, b.CreatedAt, b.UpdatedAt = sellerID, now, now
		ms[i] = b
	}
	// In a transaction of its own: two first uses at once may deadlock on
	// the unique key, and WithTx runs it again.
	err := s.db.WithTx(ctx, func(ctx context.Context) error { return s.insertNew(ctx).Create(&ms).Error })
	if err != nil {
		return fmt.Errorf("built-in meters of %d: %w", sellerID, err)
	}
	return nil
}

// EventInput is one event of an ingest batch.
type EventInput struct {
	ID          string    `json:"id"`           // the caller's id of the event: a replay with the same id adds nothing
	Meter       string    `json:"meter"`        // the meter's code
	SubjectKind string    `json:"subject_kind"` // account or contract
	SubjectID   int64     `json:"subject_id"`
	Quantity    string    `json:"quantity"` // a whole number of the meter's unit
	Timestamp   time.Time `json:"timestamp"`
}

// Batch is an ingest request: up to MaxBatch events from one source.
type Batch struct {
	Source string       `json:"source"` // who sends (a mail server's name); the caller's label when empty
	Events []EventInput `json:"events"`
}

// IngestResult says how many events were new and how many replays.
type IngestResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

// subjectRow is what an event needs of its subject.
type subjectRow struct {
	ID           int64
	SellerID     int64
	CustomerID   int64
	CustomerPath string
}

// Ingest stores a batch of events the caller (the seller of their
// subjects) sends: all or nothing. Malformed events are field errors by
// index ("events.3.quantity"); a subject the caller does not sell is not
// found. Each event is stored once per (seller, source, id): a replay is
// counted as a duplicate and adds nothing, also when two ingests run at
// once.
func (s *Service) Ingest(ctx context.Context, scope tenancy.Scope, label string, b Batch) (IngestResult, error) {
	b.Source = strings.TrimSpace(b.Source)
	if b.Source == "" {
		b.Source = label
	}
	var v core.ValidationError
	switch {
	case len(b.Events) == 0:
		v.Add("events", "at least one event is required")
	case len(b.Events) > MaxBatch:
		v.Addf("events", "at most %d events per request, not %d: split the batch", MaxBatch, len(b.Events))
	}
	if len(b.Source) > 100 {
		v.Add("source", "must be at most 100 characters")
	}
	if err := v.Err(); err != nil {
		return IngestResult{}, err
	}
	ms, err := s.Meters(ctx, scope)
	if err != nil {
		return IngestResult{}, err
	}
	meters := map[string]Meter{}
	for _, m := range ms {
		meters[m.Code] = m
	}
	grace, err := settings.Get(ctx, s.settings, GraceDays, settings.Scope{Seller: strconv.FormatInt(scope.TenantID, 10)})
	if err != nil {
		return IngestResult{}, err
	}
	now := s.now()
	oldest, newest := now.AddDate(0, 0, -grace.Value), now.Add(5*time.Minute)
	want := map[string][]int64{}
	seen := map[string]int{}
	qty := make([]int64, len(b.Events))
	for i, e := range b.Events {
		f := "events." + strconv.Itoa(i) + "."
		switch {
		case e.ID == "" || len(e.ID) > 100:
			v.Add(f+"id", "must be 1-100 characters: the event's own id, which makes a replay harmless")
		case seen[e.ID] > 0:
			v.Addf(f+"id", "%q is event %d of this batch too", e.ID, seen[e.ID]-1)
		default:
			seen[e.ID] = i + 1
		}
		if _, ok := meters[e.Meter]; !ok {
			v.Addf(f+"meter", "unknown meter %q: use one of %s", e.Meter, strings.Join(codes(ms), ", "))
		}
		switch e.SubjectKind {
		case SubjectAccount, SubjectContract:
			if e.SubjectID <= 0 {
				v.Add(f+"subject_id", "must be the id of the "+e.SubjectKind)
			}
			want[e.SubjectKind] = append(want[e.SubjectKind], e.SubjectID)
		default:
			v.Add(f+"subject_kind", "must be account or contract")
		}
		n, err := strconv.ParseInt(strings.TrimSpace(e.Quantity), 10, 64)
		switch {
		case err != nil && strings.Contains(e.Quantity, "."):
			v.Add(f+"quantity", "must be a whole number of the meter's unit")
		case err != nil:
			v.Addf(f+"quantity", "%q is not a number", e.Quantity)
		case n < 0:
			v.Add(f+"quantity", "must not be negative: usage is never taken back by an event")
		}
		qty[i] = n
		switch {
		case e.Timestamp.IsZero():
			v.Add(f+"timestamp", "is required (RFC 3339)")
		case e.Timestamp.Before(oldest):
			v.Addf(f+"timestamp", "%s is outside the grace window of %d days: its period is rated already", e.Timestamp.UTC().Format(time.RFC3339), grace.Value)
		case e.Timestamp.After(newest):
			v.Addf(f+"timestamp", "%s is in the future", e.Timestamp.UTC().Format(time.RFC3339))
		}
	}
	if err := v.Err(); err != nil {
		return IngestResult{}, err
	}
	subjects, err := s.subjects(ctx, scope, want)
	if err != nil {
		return IngestResult{}, err
	}
	rows := make([]Event, len(b.Events))
	for i, e := range b.Events {
		sub, ok := subjects[e.SubjectKind][e.SubjectID]
		if !ok {
			return IngestResult{}, core.E(core.ErrNotFound, "events.%d: %s %d not found among what you sell", i, e.SubjectKind, e.SubjectID)
		}
		rows[i] = Event{SellerID: scope.TenantID, CustomerID: sub.CustomerID, CustomerPath: sub.CustomerPath, MeterID: meters[e.Meter].ID,
			SubjectKind: e.SubjectKind, SubjectID: e.SubjectID, Source: b.Source, EventID: e.ID, Quantity: qty[i],
			OccurredAt: e.Timestamp.UTC().Truncate(time.Millisecond), CreatedAt: now}
	}
	var res IngestResult
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		r := s.insertNew(ctx).CreateInBatches(rows, MaxBatch)
		if r.Error != nil {
			return fmt.Errorf("store usage events: %w", r.Error)
		}
		res = IngestResult{Accepted: int(r.RowsAffected), Duplicates: len(rows) - int(r.RowsAffected)}
		return nil
	})
	return res, err
}

// insertNew inserts only rows whose unique key is new, and counts only
// those as affected: INSERT IGNORE on MariaDB (whose ON DUPLICATE KEY
// UPDATE counts a duplicate as affected), ON CONFLICT DO NOTHING on
// SQLite. The rows are validated before, so IGNORE hides nothing else.
func (s *Service) insertNew(ctx context.Context) *gorm.DB {
	if s.db.Dialect == db.MySQL {
		return s.db.Conn(ctx).Clauses(clause.Insert{Modifier: "IGNORE"})
	}
	return s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true})
}

func codes(ms []Meter) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Code
	}
	return out
}

// subjects loads the accounts and contracts the caller sells, by id.
func (s *Service) subjects(ctx context.Context, scope tenancy.Scope, want map[string][]int64) (map[string]map[int64]subjectRow, error) {
	out := map[string]map[int64]subjectRow{}
	for kind, ids := range want {
		slices.Sort(ids)
		ids = slices.Compact(ids)
		var q *gorm.DB
		switch kind {
		case SubjectAccount:
			q = s.db.Read(ctx).Table("accounts").Select("id, seller_id, tenant_id AS customer_id, tenant_path AS customer_path").
				Scopes(scope.PathColumn("tenant_path"))
		case SubjectContract:
			q = s.db.Read(ctx).Table("contracts").Select("id, seller_id, customer_id, customer_path").Scopes(scope.PathColumn("customer_path"))
		}
		var rows []subjectRow
		if err := q.Where("id IN ? AND seller_id = ?", ids, scope.TenantID).Find(&rows).Error; err != nil {
			return nil, fmt.Errorf("usage subjects: %w", err)
		}
		out[kind] = map[int64]subjectRow{}
		for _, r := range rows {
			out[kind][r.ID] = r
		}
	}
	return out, nil
}
