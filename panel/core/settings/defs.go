package settings

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"faktura/panel/core"
)

// Def is a key without its type: what the settings pages and API list,
// validate and store. Modules hand theirs to the composition root, so a
// key a later module adds appears on the pages without touching them.
type Def struct {
	Name     string   `json:"name"`
	Kind     Kind     `json:"kind"`
	Choices  []string `json:"choices,omitempty"`
	Min      int      `json:"-"` // an int key's bounds
	Max      int      `json:"-"`
	Default  string   `json:"-"`
	Levels   []Level  `json:"levels"`
	canonize func(string) (string, error)
}

// AllLevels is every level, general to specific.
var AllLevels = []Level{LevelPanel, LevelSeller, LevelPlan, LevelCustomer, LevelContract}

// Def describes k.
func (k Key[T]) Def() Def {
	levels := k.Levels
	if len(levels) == 0 {
		levels = AllLevels
	}
	kind := k.Kind
	if kind == "" {
		kind = KindText
	}
	return Def{Name: k.Name, Kind: kind, Choices: k.Choices, Min: k.Min, Max: k.Max, Default: k.Format(k.Default), Levels: levels,
		canonize: func(raw string) (string, error) {
			v, err := k.Parse(strings.TrimSpace(raw))
			if err != nil {
				return "", err
			}
			return k.Format(v), nil
		}}
}

// WithDefault returns d with another default (a process-level one from
// the configuration, say).
func (d Def) WithDefault(raw string) Def {
	d.Default = raw
	return d
}

// Canonical validates raw with the key's parser and returns its stored
// form.
func (d Def) Canonical(raw string) (string, error) { return d.canonize(raw) }

// At reports whether the key can be set at level l.
func (d Def) At(l Level) bool { return slices.Contains(d.Levels, l) }

// Typed returns a stored value as JSON wants it: a number, a boolean or a
// string.
func (d Def) Typed(raw string) any {
	switch d.Kind {
	case KindInt:
		if n, err := strconv.Atoi(raw); err == nil {
			return n
		}
	case KindBool:
		if b, err := strconv.ParseBool(raw); err == nil {
			return b
		}
	}
	return raw
}

// Entry is a key as seen from one level: the value set there, if any, the
// value in effect there and where it comes from, and what resetting would
// leave.
type Entry struct {
	Def
	Set           bool   // a value is stored at this level
	Value         string // the stored value when Set
	Effective     string // the value in effect at this level
	From          Level  // where Effective comes from: this level, one above, or FromDefault
	Inherited     string // the value with this level's one removed
	InheritedFrom Level
}

// Entries lists defs as seen from level l of object id (empty for the
// panel), with sc naming the object's chain (its seller, plan, customer)
// including the object itself.
func (s *Store) Entries(ctx context.Context, defs []Def, l Level, id string, sc Scope) ([]Entry, error) {
	if err := validScope(l, id); err != nil {
		return nil, err
	}
	names := make([]string, len(defs))
	for i, d := range defs {
		names[i] = d.Name
	}
	snap, err := s.Snapshot(ctx, names...)
	if err != nil {
		return nil, err
	}
	above := sc.without(l)
	out := make([]Entry, 0, len(defs))
	for _, d := range defs {
		if !d.At(l) {
			continue
		}
		e := Entry{Def: d, Effective: d.Default, From: FromDefault, Inherited: d.Default, InheritedFrom: FromDefault}
		if raw, ok := snap.values[d.Name][string(l)+"/"+id]; ok {
			e.Set, e.Value = true, raw
		}
		if raw, from, ok := snap.raw(d.Name, sc); ok {
			e.Effective, e.From = raw, from
		}
		if raw, from, ok := snap.raw(d.Name, above); ok && l != LevelPanel { // above the panel: the default
			e.Inherited, e.InheritedFrom = raw, from
		}
		out = append(out, e)
	}
	return out, nil
}

func (sc Scope) without(l Level) Scope {
	switch l {
	case LevelSeller:
		sc.Seller = ""
	case LevelPlan:
		sc.Plan = ""
	case LevelCustomer:
		sc.Customer = ""
	case LevelContract:
		sc.Contract = ""
	}
	return sc
}

// Change is one edit: a value to store, or Reset to remove the level's
// value so the next level up applies.
type Change struct {
	Value string
	Reset bool
}

// ChangeFromJSON reads an API value: null resets; a number, boolean or
// string is the value.
func ChangeFromJSON(m json.RawMessage) Change {
	t := strings.TrimSpace(string(m))
	if t == "null" {
		return Change{Reset: true}
	}
	var s string
	if json.Unmarshal(m, &s) == nil {
		return Change{Value: s}
	}
	return Change{Value: t}
}

// Apply validates every change with its key's parser and, only when all
// are valid, stores them at level l of object id in one transaction (the
// caller's, so its audit entry commits with them). It returns the values
// before and after of the keys it changed (nil where unset), for that
// audit entry; a change to the value already there is none. A
// problem names the key: unknown, not settable at this level, or the
// parser's complaint.
func (s *Store) Apply(ctx context.Context, defs []Def, l Level, id string, changes map[string]Change) (before, after map[string]any, err error) {
	if err := validScope(l, id); err != nil {
		return nil, nil, err
	}
	byName := map[string]Def{}
	for _, d := range defs {
		byName[d.Name] = d
	}
	var bad core.ValidationError
	canon := map[string]Change{}
	for name, ch := range changes {
		d, ok := byName[name]
		switch {
		case !ok:
			bad.Add(name, "is not a setting")
		case !d.At(l):
			bad.Addf(name, "cannot be set at the %s level", l)
		case ch.Reset:
			canon[name] = ch
		default:
			v, err := d.Canonical(ch.Value)
			if err != nil {
				bad.Add(name, err.Error())
				continue
			}
			canon[name] = Change{Value: v}
		}
	}
	if err := bad.Err(); err != nil {
		return nil, nil, err
	}
	names := make([]string, 0, len(canon))
	for n := range canon {
		names = append(names, n)
	}
	var rows []row
	if err := s.db.Conn(ctx).Where("level = ? AND scope_id = ? AND name IN ?", string(l), id, names).Find(&rows).Error; err != nil {
		return nil, nil, fmt.Errorf("read settings: %w", err)
	}
	stored := map[string]string{}
	for _, r := range rows {
		stored[r.Name] = r.Value
	}
	before, after = map[string]any{}, map[string]any{}
	for _, n := range slices.Sorted(slices.Values(names)) {
		ch := canon[n]
		old, had := stored[n]
		if (ch.Reset && !had) || (!ch.Reset && had && old == ch.Value) {
			continue // no change
		}
		before[n] = nil
		if had {
			before[n] = byName[n].Typed(old)
		}
		if ch.Reset {
			after[n] = nil
			err = s.db.Conn(ctx).Where("level = ? AND scope_id = ? AND name = ?", string(l), id, n).Delete(&row{}).Error
		} else {
			after[n] = byName[n].Typed(ch.Value)
			err = s.put(ctx, row{Level: string(l), ScopeID: id, Name: n, Value: ch.Value})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("store setting %s: %w", n, err)
		}
	}
	return before, after, nil
}
