package settings

import (
	"context"
	"errors"
	"testing"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/schema"
)

var leadDays = Int("billing.lead_days", 14, 0, 365)

func TestChain(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{schema.Set}, func(t *testing.T, h *db.Handle) {
		ctx := context.Background()
		s := NewStore(h, core.NewFrozenClock(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)))
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(Set(ctx, s, leadDays, LevelPanel, "", 10))
		must(Set(ctx, s, leadDays, LevelSeller, "s1", 7))
		must(Set(ctx, s, leadDays, LevelPlan, "p1", 5))
		must(Set(ctx, s, leadDays, LevelCustomer, "c1", 3))
		must(Set(ctx, s, leadDays, LevelContract, "k1", 1))
		must(Set(ctx, s, leadDays, LevelContract, "k1", 2)) // overwrite
		cases := []struct {
			name  string
			scope Scope
			want  int
			from  Level
		}{
			{"contract wins", Scope{Seller: "s1", Plan: "p1", Customer: "c1", Contract: "k1"}, 2, LevelContract},
			{"customer when contract unset", Scope{Seller: "s1", Plan: "p1", Customer: "c1", Contract: "k2"}, 3, LevelCustomer},
			{"plan", Scope{Seller: "s1", Plan: "p1", Customer: "c9"}, 5, LevelPlan},
			{"seller", Scope{Seller: "s1", Plan: "p9"}, 7, LevelSeller},
			{"panel", Scope{Seller: "s9"}, 10, LevelPanel},
			{"other seller's plan id is not mixed up", Scope{Seller: "p1"}, 10, LevelPanel},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				got, err := Get(ctx, s, leadDays, tc.scope)
				if err != nil || got.Value != tc.want || got.From != tc.from {
					t.Errorf("Get = %+v, %v; want %d from %s", got, err, tc.want, tc.from)
				}
			})
		}
		must(Unset(ctx, s, leadDays, LevelPanel, ""))
		if got, _ := Get(ctx, s, leadDays, Scope{}); got.Value != 14 || got.From != FromDefault {
			t.Errorf("after unset Get = %+v, want default 14", got)
		}
	})
}

func TestBadInput(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{schema.Set}, func(t *testing.T, h *db.Handle) {
		ctx := context.Background()
		s := NewStore(h, core.SystemClock{})
		cases := []struct {
			name  string
			err   error
			field string
		}{
			{"out of range", Set(ctx, s, leadDays, LevelPanel, "", 400), "billing.lead_days"},
			{"panel with scope id", Set(ctx, s, leadDays, LevelPanel, "x", 3), "scope_id"},
			{"seller without id", Set(ctx, s, leadDays, LevelSeller, "", 3), "scope_id"},
			{"unknown level", Set(ctx, s, leadDays, Level("galaxy"), "x", 3), "level"},
		}
		for _, tc := range cases {
			var ve *core.ValidationError
			if !errors.As(tc.err, &ve) || ve.Fields[tc.field] == "" {
				t.Errorf("%s: error = %v, want a field error on %s", tc.name, tc.err, tc.field)
			}
		}
		var n int64
		h.W.Table("settings").Count(&n)
		if n != 0 {
			t.Errorf("bad input wrote %d rows", n)
		}
		// A value stored behind the resolver's back that no longer parses.
		h.W.Exec("INSERT INTO settings (level, scope_id, name, value, updated_at) VALUES ('panel', '', 'billing.lead_days', 'soon', ?)", time.Now())
		if _, err := Get(ctx, s, leadDays, Scope{}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Get of an unparsable value: error = %v, want ErrInvalid", err)
		}
		mode := Enum("billing.grouping", "per_subproject", "per_subproject", "per_customer")
		if err := Set(ctx, s, mode, LevelPanel, "", "weekly"); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("enum out of set: error = %v", err)
		}
	})
}

// TestEntriesAndApply: a level's view of its keys (set here, in effect,
// inherited) and Apply's all-or-nothing validation, no-op detection and
// resets.
func TestEntriesAndApply(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{schema.Set}, func(t *testing.T, h *db.Handle) {
		ctx := context.Background()
		s := NewStore(h, core.NewFrozenClock(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)))
		terms := Int("billing.payment_days", 14, 0, 365).At(LevelPanel, LevelSeller, LevelCustomer)
		defs := []Def{terms.Def(), leadDays.Def(), Bool("billing.four_eyes", false).Def()}
		apply := func(l Level, id string, ch map[string]Change) (map[string]any, map[string]any, error) {
			return s.Apply(ctx, defs, l, id, ch)
		}
		if _, _, err := apply(LevelPanel, "", map[string]Change{"billing.payment_days": {Value: " 30 "}}); err != nil {
			t.Fatal(err)
		}
		before, after, err := apply(LevelSeller, "7", map[string]Change{"billing.payment_days": {Value: "21"}, "billing.four_eyes": {Value: "1"}})
		if err != nil || before["billing.payment_days"] != nil || after["billing.payment_days"] != 21 || after["billing.four_eyes"] != true {
			t.Fatalf("Apply = %v -> %v, %v", before, after, err)
		}
		bad := []struct {
			name  string
			level Level
			ch    map[string]Change
			field string
		}{
			{"not a number", LevelSeller, map[string]Change{"billing.payment_days": {Value: "soon"}, "billing.lead_days": {Value: "3"}}, "billing.payment_days"},
			{"out of range", LevelSeller, map[string]Change{"billing.payment_days": {Value: "-1"}}, "billing.payment_days"},
			{"unknown key", LevelSeller, map[string]Change{"billing.nope": {Value: "1"}}, "billing.nope"},
			{"not at this level", LevelPlan, map[string]Change{"billing.payment_days": {Value: "3"}}, "billing.payment_days"},
		}
		for _, tc := range bad {
			id := "7"
			_, _, err := apply(tc.level, id, tc.ch)
			var ve *core.ValidationError
			if !errors.As(err, &ve) || ve.Fields[tc.field] == "" {
				t.Errorf("%s: error = %v, want a problem with %s", tc.name, err, tc.field)
			}
		}
		es, err := s.Entries(ctx, defs, LevelCustomer, "9", Scope{Seller: "7", Customer: "9"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Entry{
			"billing.payment_days": {Effective: "21", From: LevelSeller, Inherited: "21", InheritedFrom: LevelSeller},
			"billing.lead_days":    {Effective: "14", From: FromDefault, Inherited: "14", InheritedFrom: FromDefault},
			"billing.four_eyes":    {Effective: "true", From: LevelSeller, Inherited: "true", InheritedFrom: LevelSeller},
		}
		if len(es) != 3 {
			t.Fatalf("%d entries at the customer level, want 3", len(es))
		}
		for _, e := range es {
			w := want[e.Name]
			if e.Set || e.Effective != w.Effective || e.From != w.From || e.Inherited != w.Inherited || e.InheritedFrom != w.InheritedFrom {
				t.Errorf("%s = %+v, want %+v", e.Name, e, w)
			}
		}
		es, _ = s.Entries(ctx, defs, LevelSeller, "7", Scope{Seller: "7"})
		if e := es[0]; !e.Set || e.Value != "21" || e.Effective != "21" || e.Inherited != "30" || e.InheritedFrom != LevelPanel {
			t.Errorf("seller entry = %+v", e)
		}
		es, _ = s.Entries(ctx, defs, LevelPanel, "", Scope{})
		if e := es[0]; !e.Set || e.Effective != "30" || e.From != LevelPanel || e.Inherited != "14" || e.InheritedFrom != FromDefault {
			t.Errorf("panel entry = %+v, want 30 set here over the default 14", e)
		}
		if es, _ := s.Entries(ctx, defs, LevelPlan, "3", Scope{Seller: "7", Plan: "3"}); len(es) != 2 {
			t.Errorf("plan level lists %d keys, want the 2 read there", len(es))
		}
		// No change, then a reset.
		if _, after, _ := apply(LevelSeller, "7", map[string]Change{"billing.payment_days": {Value: "21"}, "billing.lead_days": {Reset: true}}); len(after) != 0 {
			t.Errorf("a repeat and a reset of nothing changed %v", after)
		}
		if before, after, _ := apply(LevelSeller, "7", map[string]Change{"billing.payment_days": {Reset: true}}); before["billing.payment_days"] != 21 || after["billing.payment_days"] != nil {
			t.Errorf("reset = %v -> %v", before, after)
		}
		if r, _ := Get(ctx, s, terms, Scope{Seller: "7", Customer: "9"}); r.Value != 30 || r.From != LevelPanel {
			t.Errorf("after the reset: %+v, want 30 from the panel", r)
		}
	})
}
