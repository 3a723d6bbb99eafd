// Package cli is the faktura command: it loads the configuration, opens the
// database, builds the core, hands it to the Wire function main gives it
// (the composition root), and runs the verbs (serve, migrate, run,
// events, reconcile, user, apikey).
package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"faktura/billing"
	"faktura/billing/archive"
	"faktura/billing/dunning"
	"faktura/billing/ledger"
	"faktura/billing/payment"
	"faktura/billing/usage"
	"faktura/panel/config"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/automation"
	"faktura/panel/core/db"
	"faktura/panel/core/lease"
	"faktura/panel/core/mail"
	"faktura/panel/core/outbox"
	"faktura/panel/core/schema"
	"faktura/panel/core/secret"
	"faktura/panel/core/settings"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/provisioning"
	"faktura/themes"
)

// Wire is the composition root's function: given the App with its core
// (config, log, clock, database, bus, automation runner, settings, audit
// log, theme), it builds the modules (identity, provisioning, billing and
// the plugins they load), binds their event handlers, registers their
// daily steps, and names their migrations and web areas.
type Wire func(a *App) error

// App is the wired application a verb works with.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Clock    core.Clock
	DB       *db.Handle
	Bus      *outbox.Bus
	Runner   *automation.Runner
	Settings *settings.Store
	Audit    *audit.Log
	Secrets  *secret.Box // seals secrets at rest (gateway credentials)
	Theme    *themes.Theme
	Node     string

	// Set by Wire.
	Identity   *identity.Service
	Hosting    *provisioning.Service
	Billing    *billing.Service
	Payments   *payment.Service
	Ledger     *ledger.Service // sellers' books over billing's journal
	Archive    *archive.Service
	Dunning    *dunning.Service  // collections: reminders, late fees, suspension for non-payment
	Usage      *usage.Service    // meters and usage events
	Mail       *mail.Outbox      // the mail queue (documents, password resets)
	Migrations []db.MigrationSet // the modules' sets, in dependency order (after the core's)
	Areas      []web.Area        // the panel's areas, in navigation order
	// SettingDefs are the business-rule keys of the modules, for the
	// settings pages and API.
	SettingDefs []settings.Def
}

// newLogger builds the process logger from the log section.
func newLogger(c config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	lvl.UnmarshalText([]byte(c.Log.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if c.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openApp opens the database, builds the core and hands it to wire; it
// does not migrate.
func openApp(ctx context.Context, c config.Config, wire Wire, logOut io.Writer) (*App, error) {
	log := newLogger(c, logOut)
	h, err := db.Open(ctx, c.DBOptions())
	if err != nil {
		return nil, err
	}
	node := lease.Node()
	clock := core.SystemClock{}
	a := &App{
		Config: c, Log: log, Clock: clock, DB: h, Node: node,
		Bus:      outbox.NewBus(h, clock),
		Runner:   automation.NewRunner(h, clock, node, log),
		Settings: settings.NewStore(h, clock),
		Audit:    audit.New(h, clock),
	}
	if a.Secrets, err = secret.Load(c.Secret.Key, c.Secret.KeyFile); err == nil {
		if a.Theme, err = themes.Load(c.Themes.Dir); err == nil {
			err = wire(a)
		}
	}
	if err == nil && (a.Identity == nil || a.Hosting == nil || a.Billing == nil) {
		err = fmt.Errorf("wiring left identity, provisioning or billing unset")
	}
	if err != nil {
		h.Close()
		return nil, err
	}
	return a, nil
}

// MigrationSets lists the core's set, then the modules'.
func (a *App) MigrationSets() []db.MigrationSet {
	return append([]db.MigrationSet{schema.Set}, a.Migrations...)
}

// prepare migrates (when migrate is true) or checks that nothing is
// pending, then freezes the bus's bindings.
func (a *App) prepare(ctx context.Context, migrate bool) error {
	if migrate {
		if _, err := a.DB.Migrate(ctx, a.MigrationSets(), a.Log); err != nil {
			return err
		}
	} else {
		st, err := a.DB.Status(ctx, a.MigrationSets())
		if err != nil {
			return err
		}
		for _, s := range st {
			if !s.Applied {
				return core.E(core.ErrPrecondition, "the database needs migration %s/%s: run 'faktura migrate' (or set database.migrate_on_start)", s.Set, s.File)
			}
		}
	}
	a.Bus.Start()
	return nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }
