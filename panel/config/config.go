// Package config loads the panel's configuration: defaults that run as-is,
// then config.yaml (or --config PATH), then FAKTURA_* environment variables.
// Unknown keys and variables are errors, and Validate reports every problem
// with its key path, so a typo never silently does nothing.
package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"slices"
	"strconv"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/money"
	"faktura/panel/core/outbox"
	"faktura/panel/core/secret"
)

// Config is the whole configuration. Secrets (the database DSN's password)
// belong in the environment, not in the file.
type Config struct {
	Server     Server     `yaml:"server"`
	Database   Database   `yaml:"database"`
	Log        Log        `yaml:"log"`
	Outbox     Outbox     `yaml:"outbox"`
	Automation Automation `yaml:"automation"`
	Auth       Auth       `yaml:"auth"`
	Mail       Mail       `yaml:"mail"`
	Themes     Themes     `yaml:"themes"`
	Billing    Billing    `yaml:"billing"`
	Documents  Documents  `yaml:"documents"`
	Secret     Secret     `yaml:"secret"`
}

// Documents is where issued documents' files go and how they are made.
type Documents struct {
	Dir     string `yaml:"dir"`      // keep the files here; empty keeps them in the database
	FontDir string `yaml:"font_dir"` // the DejaVu fonts (Debian's fonts-dejavu-core)
	Workers int    `yaml:"workers"`  // documents rendered at once per process (0: one per CPU)
}

// Secret is the key that encrypts secrets at rest (payment-gateway
// credentials): Key, a base64 32-byte key (keep it in FAKTURA_SECRET_KEY),
// or else the key in KeyFile, created on first start when missing. Losing
// the key loses the stored credentials (they are entered again).
type Secret struct {
	Key     string `yaml:"key"`
	KeyFile string `yaml:"key_file"`
}

// Billing tunes the billing module. Business rules (lead time, grouping,
// approval, proration) are settings in the database, per seller and
// customer; these are the process-level knobs.
type Billing struct {
	Currency    string        `yaml:"currency"`     // what sellers bill in unless a customer chose another
	RunWorkers  int           `yaml:"run_workers"`  // parallel invoice-run transactions (0: 4 on MariaDB, 1 on SQLite)
	RunChunk    int           `yaml:"run_chunk"`    // contracts per invoice-run transaction
	VIESURL     string        `yaml:"vies_url"`     // VIES REST base URL; empty turns VAT id checks off
	VIESTimeout time.Duration `yaml:"vies_timeout"` // per VIES request
	VIESMaxAge  time.Duration `yaml:"vies_max_age"` // re-check a VAT id after this long
}

// Server is the HTTP listener.
type Server struct {
	Listen          string        `yaml:"listen"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// BaseURL is the panel's public address, used in e-mailed links. When
	// it is https, session cookies are marked Secure.
	BaseURL string `yaml:"base_url"`
	// MetricsToken, when set, lets a scraper read /metrics on the panel's
	// address with "Authorization: Bearer <token>" (keep it in
	// FAKTURA_SERVER_METRICS_TOKEN). MetricsListen, when set, serves
	// /metrics on that address instead, for a network only the scraper
	// reaches. With neither, /metrics is refused.
	MetricsToken  string `yaml:"metrics_token"`
	MetricsListen string `yaml:"metrics_listen"`
}

// Database says which database to use.
type Database struct {
	Driver          string        `yaml:"driver"`
	DSN             string        `yaml:"dsn"`
	MigrateOnStart  bool          `yaml:"migrate_on_start"`
	MaxOpenConns    int           `yaml:"max_open_conns"`
	MaxIdleConns    int           `yaml:"max_idle_conns"`
	ConnMaxLifetime time.Duration `yaml:"conn_max_lifetime"`
	ConnectTimeout  time.Duration `yaml:"connect_timeout"`
}

// Log configures structured logging.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Outbox tunes event delivery.
type Outbox struct {
	BatchSize    int           `yaml:"batch_size"`
	PollInterval time.Duration `yaml:"poll_interval"`
	Lease        time.Duration `yaml:"lease"`
	MaxAttempts  int           `yaml:"max_attempts"`
	BackoffBase  time.Duration `yaml:"backoff_base"`
	BackoffMax   time.Duration `yaml:"backoff_max"`
}

// Automation schedules the daily run inside faktura serve.
type Automation struct {
	Enabled  bool   `yaml:"enabled"`
	Hour     int    `yaml:"hour"`
	TimeZone string `yaml:"time_zone"`
}

// Auth tunes sign-in and sessions.
type Auth struct {
	SessionIdle       time.Duration `yaml:"session_idle"`
	SessionLifetime   time.Duration `yaml:"session_lifetime"`
	Argon2MemoryKiB   int           `yaml:"argon2_memory_kib"`
	Argon2Iterations  int           `yaml:"argon2_iterations"`
	Argon2Parallelism int           `yaml:"argon2_parallelism"`
	LoginLimitAccount int           `yaml:"login_limit_per_account"`
	LoginLimitIP      int           `yaml:"login_limit_per_ip"`
	PasswordResetTTL  time.Duration `yaml:"password_reset_ttl"`
}

// Mail is the SMTP server the panel sends through. An empty host turns
// mail off (password resets then say so).
type Mail struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	TLS      string `yaml:"tls"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	From     string `yaml:"from"`
}

// Themes points at an operator directory whose files override the
// embedded templates, styles and messages one by one.
type Themes struct {
	Dir string `yaml:"dir"`
}

// DefaultSQLitePath is where the embedded database lives unless configured.
const DefaultSQLitePath = "data/faktura.db"

// Defaults returns a configuration that runs as-is: embedded SQLite under
// ./data, listening on 127.0.0.1:8080.
func Defaults() Config {
	o := outbox.DefaultOptions
	return Config{
		Server:     Server{Listen: "127.0.0.1:8080", ShutdownTimeout: 30 * time.Second, BaseURL: "http://127.0.0.1:8080"},
		Database:   Database{Driver: "sqlite", MigrateOnStart: true, MaxOpenConns: 10, MaxIdleConns: 5, ConnMaxLifetime: time.Hour, ConnectTimeout: 10 * time.Second},
		Log:        Log{Level: "info", Format: "text"},
		Outbox:     Outbox{BatchSize: o.BatchSize, PollInterval: o.PollInterval, Lease: o.Lease, MaxAttempts: o.MaxAttempts, BackoffBase: o.BackoffBase, BackoffMax: o.BackoffMax},
		Automation: Automation{Enabled: true, Hour: 3, TimeZone: "UTC"},
		Auth: Auth{SessionIdle: 2 * time.Hour, SessionLifetime: 7 * 24 * time.Hour, Argon2MemoryKiB: 64 * 1024,
			Argon2Iterations: 3, Argon2Parallelism: 2, LoginLimitAccount: 5, LoginLimitIP: 20, PasswordResetTTL: time.Hour},
		Mail: Mail{Port: 587, TLS: "starttls", From: "Faktura <billing@localhost>"},
		Billing: Billing{Currency: "EUR", RunChunk: 500, VIESURL: "https://ec.europa.eu/taxation_customs/vies/rest-api",
			VIESTimeout: 10 * time.Second, VIESMaxAge: 30 * 24 * time.Hour},
		Documents: Documents{FontDir: "/usr/share/fonts/truetype/dejavu"},
		Secret:    Secret{KeyFile: "data/secret.key"},
	}
}

// DBOptions returns the database options; an empty sqlite DSN means
// DefaultSQLitePath.
func (c Config) DBOptions() db.Options {
	dsn := c.Database.DSN
	if dsn == "" && c.Database.Driver == string(db.SQLite) {
		dsn = DefaultSQLitePath
	}
	return db.Options{
		Driver: db.Dialect(c.Database.Driver), DSN: dsn, MaxOpenConns: c.Database.MaxOpenConns,
		MaxIdleConns: c.Database.MaxIdleConns, ConnMaxLife: c.Database.ConnMaxLifetime, ConnTimeout: c.Database.ConnectTimeout,
	}
}

// OutboxOptions returns the dispatcher's options.
func (c Config) OutboxOptions() outbox.Options {
	o := c.Outbox
	return outbox.Options{BatchSize: o.BatchSize, PollInterval: o.PollInterval, Lease: o.Lease, MaxAttempts: o.MaxAttempts, BackoffBase: o.BackoffBase, BackoffMax: o.BackoffMax}
}

// Location returns the automation time zone (valid after Validate).
func (c Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Automation.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Validate reports every problem, each under its key path.
func (c Config) Validate() error {
	var v core.ValidationError
	host, port, err := net.SplitHostPort(c.Server.Listen)
	if p, perr := strconv.Atoi(port); err != nil || perr != nil || p < 0 || p > 65535 {
		v.Addf("server.listen", "want host:port (e.g. 127.0.0.1:8080), got %q", c.Server.Listen)
	} else if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		v.Addf("server.listen", "host %q is not an IP address or localhost", host)
	}
	positive(&v, "server.shutdown_timeout", c.Server.ShutdownTimeout)
	if c.Secret.Key != "" {
		if _, err := secret.ParseKey(c.Secret.Key); err != nil {
			v.Addf("secret.key", "%v (want 32 random bytes in base64, e.g. from openssl rand -base64 32)", err)
		}
	} else if c.Secret.KeyFile == "" {
		v.Add("secret.key_file", "is required when secret.key is empty")
	}
	if t := c.Server.MetricsToken; t != "" && len(t) < 16 {
		v.Add("server.metrics_token", "must be at least 16 characters (or empty to turn token access off)")
	}
	if m := c.Server.MetricsListen; m != "" {
		if _, port, err := net.SplitHostPort(m); err != nil || port == "" {
			v.Addf("server.metrics_listen", "want host:port (e.g. 127.0.0.1:9100), got %q", m)
		} else if m == c.Server.Listen {
			v.Add("server.metrics_listen", "must differ from server.listen")
		}
	}
	if err := c.DBOptions().Validate(); err != nil {
		if ve, ok := err.(*core.ValidationError); ok {
			for k, msg := range ve.Fields {
				v.Add(k, msg)
			}
		}
	}
	if c.Database.ConnMaxLifetime < 0 {
		v.Add("database.conn_max_lifetime", "must not be negative")
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		v.Addf("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	if !slices.Contains([]string{"text", "json"}, c.Log.Format) {
		v.Addf("log.format", "must be text or json, got %q", c.Log.Format)
	}
	if c.Outbox.BatchSize < 1 || c.Outbox.BatchSize > 10000 {
		v.Add("outbox.batch_size", "must be from 1 to 10000")
	}
	if c.Outbox.MaxAttempts < 1 {
		v.Add("outbox.max_attempts", "must be at least 1")
	}
	positive(&v, "outbox.poll_interval", c.Outbox.PollInterval)
	positive(&v, "outbox.lease", c.Outbox.Lease)
	positive(&v, "outbox.backoff_base", c.Outbox.BackoffBase)
	positive(&v, "outbox.backoff_max", c.Outbox.BackoffMax)
	if c.Outbox.BackoffMax < c.Outbox.BackoffBase {
		v.Add("outbox.backoff_max", "must not be shorter than outbox.backoff_base")
	}
	if c.Automation.Hour < 0 || c.Automation.Hour > 23 {
		v.Addf("automation.hour", "must be from 0 to 23, got %d", c.Automation.Hour)
	}
	if _, err := time.LoadLocation(c.Automation.TimeZone); err != nil || c.Automation.TimeZone == "" {
		v.Addf("automation.time_zone", "unknown time zone %q (want an IANA name such as Europe/Berlin)", c.Automation.TimeZone)
	}
	c.validateAuth(&v)
	return v.Err()
}

func (c Config) validateAuth(v *core.ValidationError) {
	if u, err := url.Parse(c.Server.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.Addf("server.base_url", "want an http(s) URL such as https://panel.example.com, got %q", c.Server.BaseURL)
	}
	positive(v, "auth.session_idle", c.Auth.SessionIdle)
	positive(v, "auth.session_lifetime", c.Auth.SessionLifetime)
	positive(v, "auth.password_reset_ttl", c.Auth.PasswordResetTTL)
	if c.Auth.Argon2MemoryKiB < 8*1024 || c.Auth.Argon2MemoryKiB > 4*1024*1024 {
		v.Add("auth.argon2_memory_kib", "must be from 8192 (8 MiB) to 4194304 (4 GiB)")
	}
	if c.Auth.Argon2Iterations < 1 || c.Auth.Argon2Iterations > 100 {
		v.Add("auth.argon2_iterations", "must be from 1 to 100")
	}
	if c.Auth.Argon2Parallelism < 1 || c.Auth.Argon2Parallelism > 255 {
		v.Add("auth.argon2_parallelism", "must be from 1 to 255")
	}
	if c.Auth.LoginLimitAccount < 1 {
		v.Add("auth.login_limit_per_account", "must be at least 1")
	}
	if c.Auth.LoginLimitIP < 1 {
		v.Add("auth.login_limit_per_ip", "must be at least 1")
	}
	if c.Mail.Host != "" {
		if c.Mail.Port < 1 || c.Mail.Port > 65535 {
			v.Add("mail.port", "must be from 1 to 65535")
		}
		if _, err := mail.ParseAddress(c.Mail.From); err != nil {
			v.Addf("mail.from", "want an address such as \"Billing <billing@example.com>\", got %q", c.Mail.From)
		}
	}
	if !slices.Contains([]string{"none", "starttls", "tls"}, c.Mail.TLS) {
		v.Addf("mail.tls", "must be none, starttls or tls, got %q", c.Mail.TLS)
	}
	if _, err := money.ParseCurrency(c.Billing.Currency); err != nil {
		v.Addf("billing.currency", "%q is not an ISO 4217 currency code", c.Billing.Currency)
	}
	if c.Billing.RunWorkers < 0 || c.Billing.RunWorkers > 64 {
		v.Add("billing.run_workers", "must be from 0 (automatic) to 64")
	}
	if c.Billing.RunChunk < 1 || c.Billing.RunChunk > 10000 {
		v.Add("billing.run_chunk", "must be from 1 to 10000")
	}
	if u, err := url.Parse(c.Billing.VIESURL); c.Billing.VIESURL != "" && (err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "") {
		v.Addf("billing.vies_url", "want an http(s) URL, got %q", c.Billing.VIESURL)
	}
	positive(v, "billing.vies_timeout", c.Billing.VIESTimeout)
	positive(v, "billing.vies_max_age", c.Billing.VIESMaxAge)
	if c.Documents.Workers < 0 || c.Documents.Workers > 64 {
		v.Add("documents.workers", "must be from 0 (one per CPU) to 64")
	}
	if c.Documents.FontDir == "" {
		v.Add("documents.font_dir", "is required: the directory of the DejaVu fonts (Debian's fonts-dejavu-core)")
	}
	if c.Themes.Dir != "" {
		if st, err := os.Stat(c.Themes.Dir); err != nil || !st.IsDir() {
			v.Addf("themes.dir", "%q is not a directory", c.Themes.Dir)
		}
	}
}

func positive(v *core.ValidationError, key string, d time.Duration) {
	if d <= 0 {
		v.Add(key, fmt.Sprintf("must be a positive duration such as 30s, got %v", d))
	}
}
