// Package dbtest runs store tests against every database backend: a fresh
// SQLite file always, and a fresh MariaDB database when
// FAKTURA_TEST_MYSQL_DSN is set (the README test command always sets it).
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"faktura/panel/core/db"
)

// EnvDSN names the variable holding a MySQL/MariaDB DSN whose user may
// create and drop databases.
const EnvDSN = "FAKTURA_TEST_MYSQL_DSN"

// Backend names a database a test can run on.
type Backend string

// Backends.
const (
	SQLite  Backend = "sqlite"
	MariaDB Backend = "mariadb"
)

// Backends returns the backends available here. Under CI a missing MariaDB
// is an error, not a skip: the test command must provide one.
func Backends(tb testing.TB) []Backend {
	if os.Getenv(EnvDSN) != "" {
		return []Backend{SQLite, MariaDB}
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is not set under CI: run the tests through ./test.sh", EnvDSN)
	}
	return []Backend{SQLite}
}

// Each runs fn as a subtest per backend, named after it, with a migrated,
// empty database.
func Each(t *testing.T, sets []db.MigrationSet, fn func(t *testing.T, h *db.Handle)) {
	t.Helper()
	if os.Getenv(EnvDSN) == "" && os.Getenv("CI") != "true" {
		t.Logf("%s not set: running on SQLite only", EnvDSN)
	}
	for _, b := range Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			fn(t, Open(t, b, sets))
		})
	}
}

// Open returns a fresh migrated database on backend b, dropped or removed
// when the test ends.
func Open(tb testing.TB, b Backend, sets []db.MigrationSet) *db.Handle {
	tb.Helper()
	return OpenWith(tb, Options(tb, b), sets)
}

// Options returns options for a fresh, empty database on backend b (a new
// SQLite file or a newly created MariaDB database), removed at cleanup.
func Options(tb testing.TB, b Backend) db.Options {
	tb.Helper()
	o := db.Options{MaxOpenConns: 8, MaxIdleConns: 8, ConnMaxLife: time.Hour, ConnTimeout: 10 * time.Second}
	switch b {
	case SQLite:
		o.Driver, o.DSN = db.SQLite, filepath.Join(tb.TempDir(), "faktura.db")
	case MariaDB:
		o.Driver, o.DSN = db.MySQL, createDatabase(tb)
	default:
		tb.Fatalf("unknown backend %q", b)
	}
	return o
}

func createDatabase(tb testing.TB) string {
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		tb.Skipf("%s not set", EnvDSN)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", EnvDSN, err)
	}
	var rnd [6]byte
	rand.Read(rnd[:])
	name := "ft_" + hex.EncodeToString(rnd[:])
	admin, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", EnvDSN, err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		a, err := sql.Open("mysql", dsn)
		if err == nil {
			a.Exec("DROP DATABASE IF EXISTS " + name)
			a.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// OpenWith opens (and migrates) the database that opts name; call it twice
// with the same options for two independent pools on one database, as two
// processes would have.
func OpenWith(tb testing.TB, opts db.Options, sets []db.MigrationSet) *db.Handle {
	tb.Helper()
	ctx := context.Background()
	h, err := db.Open(ctx, opts)
	if err != nil {
		tb.Fatalf("open %s: %v", opts.Driver, err)
	}
	tb.Cleanup(func() { h.Close() })
	if _, err := h.Migrate(ctx, sets, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return h
}
