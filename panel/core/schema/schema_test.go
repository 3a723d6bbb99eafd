package schema

import (
	"context"
	"flag"
	"testing"

	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
)

var update = flag.Bool("update", false, "record new migrations in testdata/migrations.ledger")

func TestMigrationsAppendOnly(t *testing.T) {
	dbtest.CheckAppendOnly(t, Set, "testdata/migrations.ledger", *update)
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{Set}, func(t *testing.T, h *db.Handle) {
		ctx := context.Background()
		again, err := h.Migrate(ctx, []db.MigrationSet{Set}, discard())
		if err != nil || len(again) != 0 {
			t.Fatalf("second Migrate = %v, %v; want nothing applied", again, err)
		}
		st, err := h.Status(ctx, []db.MigrationSet{Set})
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 7 {
			t.Errorf("status lists %d migrations, want 7", len(st))
		}
		for _, s := range st {
			if !s.Applied {
				t.Errorf("%s/%s not applied", s.Set, s.File)
			}
		}
		for _, table := range []string{"outbox_events", "outbox_handled", "settings", "automation_runs", "tenants", "audit_log"} {
			if !h.W.Migrator().HasTable(table) {
				t.Errorf("table %s missing after migration", table)
			}
		}
	})
}
