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
