// Package db opens the database (embedded SQLite by default, MariaDB/MySQL
// when configured) through gorm, carries the transaction in the context and
// applies each module's versioned migrations.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/ncruces/go-sqlite3/gormlite"
	gmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"faktura/panel/core"
)

// Dialect names a supported database engine.
type Dialect string

// Supported dialects.
const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql" // MariaDB 10.11+ or MySQL 8
)

// SQLiteTimeFormat is how times are written to SQLite: UTC with
// milliseconds, fixed width, so text comparison orders times correctly. It
// matches the DATETIME(3) columns used on MySQL.
const SQLiteTimeFormat = "2006-01-02 15:04:05.000"

// Options says which database to open. Validate checks it before anything
// touches the disk or the network.
type Options struct {
	Driver       Dialect
	DSN          string // sqlite: a file path; mysql: user:pass@tcp(host:port)/name
	MaxOpenConns int
	MaxIdleConns int
	ConnMaxLife  time.Duration
	ConnTimeout  time.Duration
}

// Validate reports every problem; field names are the config keys.
func (o Options) Validate() error {
	var v core.ValidationError
	switch o.Driver {
	case SQLite:
		if strings.TrimSpace(o.DSN) == "" {
			v.Add("database.dsn", "is required (a file path for sqlite)")
		}
	case MySQL:
		if strings.TrimSpace(o.DSN) == "" {
			v.Add("database.dsn", "is required when database.driver is mysql (user:password@tcp(host:3306)/faktura)")
		} else if _, err := mysql.ParseDSN(o.DSN); err != nil {
			v.Addf("database.dsn", "is not a valid MySQL DSN: %s", redact(err.Error(), o.DSN))
		}
	default:
		v.Addf("database.driver", "must be sqlite or mysql, got %q", o.Driver)
	}
	if o.MaxOpenConns < 1 {
		v.Add("database.max_open_conns", "must be at least 1")
	}
	if o.MaxIdleConns < 0 || o.MaxIdleConns > o.MaxOpenConns {
		v.Add("database.max_idle_conns", "must be between 0 and database.max_open_conns")
	}
	if o.ConnTimeout <= 0 {
		v.Add("database.connect_timeout", "must be positive")
	}
	return v.Err()
}

// Handle is an open database. Writes and transactions go to W; reads outside
// a transaction may use R (on SQLite a separate read pool, since SQLite
// allows one writer; on MySQL the same pool as W).
type Handle struct {
	Dialect Dialect
	W, R    *gorm.DB
	// Name is a non-secret description of the database for logs and errors.
	Name string

	// AutoIncrement is the step between generated ids (MySQL's
	// auto_increment_increment: 1, or the cluster size on Galera).
	AutoIncrement int64
	// Galera reports a MariaDB Galera node (wsrep_on): row locks there are
	// local to the node, and conflicts surface at commit.
	Galera bool

	policy  atomic.Pointer[RetryPolicy]
	onRetry atomic.Pointer[func(attempt int, err error)]
	retries atomic.Int64
}

// Open connects and pings the database. It never logs or returns the DSN's
// password. For SQLite it creates the file's directory.
func Open(ctx context.Context, o Options) (*Handle, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var h *Handle
	var err error
	switch o.Driver {
	case SQLite:
		h, err = openSQLite(o)
	case MySQL:
		h, err = openMySQL(o)
	}
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, o.ConnTimeout)
	defer cancel()
	if err := h.Ping(pctx); err != nil {
		h.Close()
		return nil, fmt.Errorf("connect to %s: %w", h.Name, err)
	}
	if err := h.readAutoIncrement(pctx); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

func gormConfig() *gorm.Config {
	return &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
	}
}

func sqliteDSN(path string, txlock string) string {
	q := url.Values{}
	q.Set("_txlock", txlock)
	q.Set("_timefmt", SQLiteTimeFormat)
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(wal)")
	q.Add("_pragma", "synchronous(normal)")
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func openSQLite(o Options) (*Handle, error) {
	path := o.DSN
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// One write connection: SQLite has one writer at a time, and an
	// immediate transaction takes the write lock at BEGIN, so two writers
	// never deadlock on a lock upgrade.
	w, err := gorm.Open(gormlite.Open(sqliteDSN(path, "immediate")), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := gorm.Open(gormlite.Open(sqliteDSN(path, "deferred")), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	ws, _ := w.DB()
	ws.SetMaxOpenConns(1)
	rs, _ := r.DB()
	rs.SetMaxOpenConns(max(2, o.MaxOpenConns))
	return &Handle{Dialect: SQLite, W: w, R: r, Name: "sqlite " + path, AutoIncrement: 1}, nil
}

func openMySQL(o Options) (*Handle, error) {
	cfg, _ := mysql.ParseDSN(o.DSN) // checked by Validate
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true
	cfg.Timeout = o.ConnTimeout
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Collation = "utf8mb4_unicode_ci"
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql dsn: %w", err)
	}
	sqlDB := sql.OpenDB(conn)
	sqlDB.SetMaxOpenConns(o.MaxOpenConns)
	sqlDB.SetMaxIdleConns(o.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(o.ConnMaxLife)
	g, err := gorm.Open(gmysql.New(gmysql.Config{Conn: sqlDB}), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open mysql %s/%s: %w", cfg.Addr, cfg.DBName, err)
	}
	return &Handle{Dialect: MySQL, W: g, R: g, Name: fmt.Sprintf("mysql %s/%s", cfg.Addr, cfg.DBName), AutoIncrement: 1}, nil
}

// readAutoIncrement asks MySQL for the step between generated ids.
func (h *Handle) readAutoIncrement(ctx context.Context) error {
	if h.Dialect != MySQL {
		h.AutoIncrement = 1
		return nil
	}
	var step int64
	if err := h.SQL().QueryRowContext(ctx, "SELECT @@auto_increment_increment").Scan(&step); err != nil {
		return fmt.Errorf("read auto_increment_increment: %w", err)
	}
	h.AutoIncrement = max(step, 1)
	var wsrep int
	if err := h.SQL().QueryRowContext(ctx, "SELECT @@wsrep_on").Scan(&wsrep); err == nil {
		h.Galera = wsrep == 1
	}
	return nil
}

// Models prepares models that are inserted several rows per statement:
// gorm fills in the ids of such rows from the first one, and must step by
// the database's id increment (3 on a three-node Galera cluster), or the
// ids it reports belong to other rows. Call it while wiring, before any
// insert.
func (h *Handle) Models(models ...any) error {
	for _, g := range []*gorm.DB{h.W, h.R} {
		for _, m := range models {
			st := &gorm.Statement{DB: g}
			if err := st.Parse(m); err != nil {
				return fmt.Errorf("parse model %T: %w", m, err)
			}
			if f := st.Schema.PrioritizedPrimaryField; f != nil && f.AutoIncrement {
				f.AutoIncrementIncrement = max(h.AutoIncrement, 1)
			}
		}
	}
	return nil
}

// Ping checks that the database answers.
func (h *Handle) Ping(ctx context.Context) error {
	s, err := h.W.DB()
	if err != nil {
		return err
	}
	return s.PingContext(ctx)
}

// SQL returns the write pool's database/sql handle (for migrations and
// pool statistics).
func (h *Handle) SQL() *sql.DB {
	s, _ := h.W.DB()
	return s
}

// Close closes both pools.
func (h *Handle) Close() error {
	var errs []error
	for _, g := range []*gorm.DB{h.W, h.R} {
		if s, err := g.DB(); err == nil {
			errs = append(errs, s.Close())
		}
	}
	return errors.Join(errs...)
}

// redact removes a DSN's password from a message.
func redact(msg, dsn string) string {
	if cfg, err := mysql.ParseDSN(dsn); err == nil && cfg.Passwd != "" {
		return strings.ReplaceAll(msg, cfg.Passwd, "***")
	}
	return msg
}
