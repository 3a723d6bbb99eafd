// Package settings resolves a runtime setting through the chain
// panel -> seller -> plan -> customer -> contract: the most specific level
// that sets a value wins, and a key's default applies when none does.
// Values live in the settings table; later modules define the keys.
package settings

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/db"
)

// Level is a link in the chain, from the most general to the most specific.
type Level string

// The levels, general to specific.
const (
	LevelPanel    Level = "panel"
	LevelSeller   Level = "seller"
	LevelPlan     Level = "plan"
	LevelCustomer Level = "customer"
	LevelContract Level = "contract"
)

// Chain lists the levels from the most specific to the most general: the
// order a lookup walks.
var Chain = []Level{LevelContract, LevelCustomer, LevelPlan, LevelSeller, LevelPanel}

// Scope names the objects a lookup concerns; empty IDs skip their level.
// The panel level always applies.
type Scope struct {
	Seller, Plan, Customer, Contract string
}

func (s Scope) id(l Level) (string, bool) {
	switch l {
	case LevelPanel:
		return "", true
	case LevelSeller:
		return s.Seller, s.Seller != ""
	case LevelPlan:
		return s.Plan, s.Plan != ""
	case LevelCustomer:
		return s.Customer, s.Customer != ""
	case LevelContract:
		return s.Contract, s.Contract != ""
	}
	return "", false
}

// Key is a typed setting with a default and a parser that validates stored
// and submitted values.
type Key[T any] struct {
	Name    string
	Default T
	Parse   func(string) (T, error)
	Format  func(T) string
	// Kind, Choices and the bounds describe the key to the settings
	// pages and API (the constructors fill them).
	Kind     Kind
	Choices  []string
	Min, Max int
	// Levels lists where the key is read, general to specific: a level
	// its lookups skip offers no override. Empty means every level.
	Levels []Level
}

// Kind is the shape of a key's values.
type Kind string

// The kinds.
const (
	KindInt  Kind = "int"
	KindBool Kind = "bool"
	KindEnum Kind = "enum"
	KindText Kind = "text"
)

// At returns k read at the given levels only (the levels its lookups
// consult).
func (k Key[T]) At(levels ...Level) Key[T] {
	k.Levels = levels
	return k
}

// Int returns an integer key with bounds.
func Int(name string, def, lo, hi int) Key[int] {
	return Key[int]{Name: name, Default: def, Kind: KindInt, Min: lo, Max: hi, Format: strconv.Itoa, Parse: func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < lo || n > hi {
			return 0, fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		return n, nil
	}}
}

// Bool returns a boolean key.
func Bool(name string, def bool) Key[bool] {
	return Key[bool]{Name: name, Default: def, Kind: KindBool, Format: strconv.FormatBool, Parse: func(s string) (bool, error) {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return false, errors.New("must be true or false")
		}
		return b, nil
	}}
}

// Enum returns a string key limited to the given values.
func Enum(name, def string, allowed ...string) Key[string] {
	return Key[string]{Name: name, Default: def, Kind: KindEnum, Choices: allowed, Format: func(s string) string { return s }, Parse: func(s string) (string, error) {
		for _, a := range allowed {
			if s == a {
				return s, nil
			}
		}
		return "", fmt.Errorf("must be one of %v", allowed)
	}}
}

// Resolved is a value with the level it came from ("default" when no level
// set it).
type Resolved[T any] struct {
	Value T
	From  Level
}

// FromDefault marks a Resolved value that no level set.
const FromDefault Level = "default"

type row struct {
	Level     string
	ScopeID   string
	Name      string
	Value     string
	UpdatedAt time.Time
}

func (row) TableName() string { return "settings" }

// Store reads and writes settings; it joins the transaction in ctx.
type Store struct {
	db    *db.Handle
	clock core.Clock
}

// NewStore returns a Store on h.
func NewStore(h *db.Handle, clock core.Clock) *Store { return &Store{db: h, clock: clock} }

// Get resolves k for scope: the most specific level that sets it wins. A
// stored value that no longer parses is an error naming the level, never a
// silent fallback.
func Get[T any](ctx context.Context, s *Store, k Key[T], scope Scope) (Resolved[T], error) {
	var rows []row
	q := s.db.Read(ctx).Where("name = ?", k.Name)
	where := s.db.Read(ctx)
	for _, l := range Chain {
		if id, ok := scope.id(l); ok {
			where = where.Or("level = ? AND scope_id = ?", string(l), id)
		}
	}
	if err := q.Where(where).Find(&rows).Error; err != nil {
		return Resolved[T]{}, fmt.Errorf("read setting %s: %w", k.Name, err)
	}
	return Lookup(snapshotOf(rows), k, scope)
}

// Set stores a value for k at one level; scopeID is empty for the panel
// level and required for every other.
func Set[T any](ctx context.Context, s *Store, k Key[T], l Level, scopeID string, v T) error {
	if err := validScope(l, scopeID); err != nil {
		return err
	}
	raw := k.Format(v)
	if _, err := k.Parse(raw); err != nil {
		return core.Invalid(k.Name, "%v", err)
	}
	return s.put(ctx, row{Level: string(l), ScopeID: scopeID, Name: k.Name, Value: raw})
}

// put upserts one value.
func (s *Store) put(ctx context.Context, r row) error {
	r.UpdatedAt = s.clock.Now()
	return s.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "level"}, {Name: "scope_id"}, {Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(&r).Error
}

// Unset removes k's value at one level, so the next level up applies.
func Unset[T any](ctx context.Context, s *Store, k Key[T], l Level, scopeID string) error {
	if err := validScope(l, scopeID); err != nil {
		return err
	}
	return s.db.Conn(ctx).Where("level = ? AND scope_id = ? AND name = ?", string(l), scopeID, k.Name).Delete(&row{}).Error
}

func validScope(l Level, scopeID string) error {
	switch l {
	case LevelPanel:
		if scopeID != "" {
			return core.Invalid("scope_id", "must be empty for the panel level")
		}
	case LevelSeller, LevelPlan, LevelCustomer, LevelContract:
		if scopeID == "" {
			return core.Invalid("scope_id", "is required for the %s level", l)
		}
	default:
		return core.Invalid("level", "must be one of panel, seller, plan, customer, contract")
	}
	return nil
}

// Snapshot is every value of some keys, read once, for work that resolves
// them for many scopes (the invoice run over thousands of contracts). It
// resolves exactly as Get does.
type Snapshot struct {
	values map[string]map[string]string // name -> "level/scope" -> raw value
}

// Snapshot reads all rows of the named keys.
func (s *Store) Snapshot(ctx context.Context, names ...string) (*Snapshot, error) {
	var rows []row
	if err := s.db.Read(ctx).Where("name IN ?", names).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	return snapshotOf(rows), nil
}

func snapshotOf(rows []row) *Snapshot {
	snap := &Snapshot{values: map[string]map[string]string{}}
	for _, r := range rows {
		if snap.values[r.Name] == nil {
			snap.values[r.Name] = map[string]string{}
		}
		snap.values[r.Name][r.Level+"/"+r.ScopeID] = r.Value
	}
	return snap
}

// Lookup resolves k for scope from the snapshot.
func Lookup[T any](snap *Snapshot, k Key[T], scope Scope) (Resolved[T], error) {
	raw, l, ok := snap.raw(k.Name, scope)
	if !ok {
		return Resolved[T]{Value: k.Default, From: FromDefault}, nil
	}
	v, err := k.Parse(raw)
	if err != nil {
		return Resolved[T]{}, core.E(core.ErrInvalid, "setting %s at %s level holds %q: %v", k.Name, l, raw, err)
	}
	return Resolved[T]{Value: v, From: l}, nil
}

// raw finds the most specific stored value of name for scope.
func (snap *Snapshot) raw(name string, scope Scope) (string, Level, bool) {
	vals := snap.values[name]
	for _, l := range Chain {
		id, ok := scope.id(l)
		if !ok {
			continue
		}
		if raw, ok := vals[string(l)+"/"+id]; ok {
			return raw, l, true
		}
	}
	return "", "", false
}

// Values lists every stored value of k in the snapshot (all levels), for
// callers that need a bound such as the longest lead time.
func Values[T any](snap *Snapshot, k Key[T]) []T {
	var out []T
	for _, raw := range snap.values[k.Name] {
		if v, err := k.Parse(raw); err == nil {
			out = append(out, v)
		}
	}
	return out
}
