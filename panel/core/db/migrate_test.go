package db_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"testing/fstest"

	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
)

func TestFailedMigrationStopsWithClearMessage(t *testing.T) {
	good := "-- +goose Up\nCREATE TABLE widgets (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL);\n"
	bad := "-- +goose Up\nCREATE TABLE gadgets (id INTEGER PRIMARY KEY);\nALTER TABLE no_such_table ADD COLUMN x INTEGER;\n"
	set := db.MigrationSet{Name: "demo", FS: fstest.MapFS{
		"sqlite/00001_widgets.sql": {Data: []byte(good)},
		"sqlite/00002_broken.sql":  {Data: []byte(bad)},
		"mysql/00001_widgets.sql":  {Data: []byte(good)},
		"mysql/00002_broken.sql":   {Data: []byte(bad)},
	}}
	for _, b := range dbtest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			h := dbtest.Open(t, b, nil)
			ctx := context.Background()
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			done, err := h.Migrate(ctx, []db.MigrationSet{set}, log)
			if err == nil {
				t.Fatal("Migrate succeeded with a broken migration")
			}
			for _, want := range []string{"migration demo/00002_broken.sql failed", "no_such_table", "run 'faktura migrate' again"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if len(done) != 1 || done[0].File != "00001_widgets.sql" {
				t.Errorf("applied before the failure = %+v, want 00001_widgets.sql", done)
			}
			st, err := h.Status(ctx, []db.MigrationSet{set})
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != 2 || !st[0].Applied || st[1].Applied {
				t.Errorf("status = %+v, want 00001 applied and 00002 pending", st)
			}
		})
	}
}
