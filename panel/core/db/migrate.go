package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
)

// MigrationSet is one module's migrations: numbered SQL files
// (00001_name.sql, goose format) in a folder per dialect, sqlite/ and mysql/.
// Sets are applied in the order given, each with its own version table
// (schema_<name>), so a module owns its tables. Files are append-only: a
// released file never changes (see CheckSums).
type MigrationSet struct {
	Name string
	FS   fs.FS
}

// MigrationResult tells what one migration did.
type MigrationResult struct {
	Set     string
	Version int64
	File    string
}

// Migrate applies every pending migration of every set, in order. It stops
// at the first failure with an error naming the set, the file and the cause.
func (h *Handle) Migrate(ctx context.Context, sets []MigrationSet, log *slog.Logger) ([]MigrationResult, error) {
	unlock, err := h.migrationLock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	var done []MigrationResult
	err = h.eachSet(sets, func(s MigrationSet, p *goose.Provider) error {
		results, err := p.Up(ctx)
		var pe *goose.PartialError
		if errors.As(err, &pe) {
			results = pe.Applied
		}
		for _, r := range results {
			if r.Error == nil {
				done = append(done, MigrationResult{Set: s.Name, Version: r.Source.Version, File: baseName(r.Source.Path)})
				log.Info("migration applied", "set", s.Name, "version", r.Source.Version, "file", baseName(r.Source.Path))
			}
		}
		if err != nil {
			return migrationError(s.Name, err)
		}
		return nil
	})
	return done, err
}

// eachSet runs fn with each set's migration provider, in order, until
// one fails.
func (h *Handle) eachSet(sets []MigrationSet, fn func(s MigrationSet, p *goose.Provider) error) error {
	for _, s := range sets {
		p, err := h.provider(s)
		if err == nil {
			err = fn(s, p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// MigrationStatus lists, per set, which migrations are applied.
type MigrationStatus struct {
	Set     string
	Version int64
	File    string
	Applied bool
}

// Status reports every migration of every set and whether it is applied.
func (h *Handle) Status(ctx context.Context, sets []MigrationSet) ([]MigrationStatus, error) {
	var out []MigrationStatus
	err := h.eachSet(sets, func(s MigrationSet, p *goose.Provider) error {
		st, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migration status of %s: %w", s.Name, err)
		}
		for _, m := range st {
			out = append(out, MigrationStatus{Set: s.Name, Version: m.Source.Version, File: baseName(m.Source.Path), Applied: m.State == goose.StateApplied})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// migrationLock keeps two processes starting at once on one MySQL database
// from migrating concurrently (a named lock held by one session). SQLite
// serializes writers by itself.
func (h *Handle) migrationLock(ctx context.Context) (func(), error) {
	if h.Dialect != MySQL {
		return func() {}, nil
	}
	conn, err := h.SQL().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('faktura.migrate', 300)").Scan(&got); err != nil || got.Int64 != 1 {
		conn.Close()
		if err == nil {
			err = errors.New("another process holds it for over 5 minutes")
		}
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return func() {
		conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('faktura.migrate')")
		conn.Close()
	}, nil
}

func (h *Handle) provider(s MigrationSet) (*goose.Provider, error) {
	dir, dialect := "sqlite", database.DialectSQLite3
	if h.Dialect == MySQL {
		dir, dialect = "mysql", database.DialectMySQL
	}
	sub, err := fs.Sub(s.FS, dir)
	if err != nil {
		return nil, fmt.Errorf("migrations of %s: %w", s.Name, err)
	}
	store, err := database.NewStore(dialect, "schema_"+s.Name)
	if err != nil {
		return nil, err
	}
	p, err := goose.NewProvider(goose.DialectCustom, h.SQL(), sub, goose.WithStore(store), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("migrations of %s: %w", s.Name, err)
	}
	return p, nil
}

func migrationError(set string, err error) error {
	var pe *goose.PartialError
	if errors.As(err, &pe) && pe.Failed != nil {
		cause := pe.Err
		if pe.Failed.Error != nil {
			cause = pe.Failed.Error
		}
		return fmt.Errorf("migration %s/%s failed: %w; earlier migrations stay applied, fix the cause and run 'faktura migrate' again",
			set, baseName(pe.Failed.Source.Path), cause)
	}
	return fmt.Errorf("migrations of %s: %w", set, err)
}

func baseName(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// SubFS returns dir of an embedded migration tree; a missing directory is
// a build mistake, so it panics (used in package-level wiring only).
func SubFS(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
