// Package cli is the faktura command: it loads the configuration, opens the
// database, wires the core and the modules main hands it, and runs the
// verbs (serve, migrate, run, events).
package cli

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"

	"faktura/billing"
	"faktura/panel/config"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/automation"
	"faktura/panel/core/db"
	"faktura/panel/core/lease"
	"faktura/panel/core/outbox"
	"faktura/panel/core/schema"
	"faktura/panel/core/settings"
	"faktura/panel/identity"
	"faktura/provisioning"
	"faktura/themes"
)

// Module is a part of the product main wires in: its migrations, and a
// Wire function that binds event handlers and registers automation steps.
type Module struct {
	Name       string
	Migrations *db.MigrationSet
	Wire       func(a *App) error
}

// App is the wired application a verb works with.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Clock    core.Clock
	DB       *db.Handle
	Bus      *outbox.Bus
	Runner   *automation.Runner
	Identity *identity.Service
	Hosting  *provisioning.Service
	Billing  *billing.Service
	Theme    *themes.Theme
	Settings *settings.Store
	Node     string
	modules  []Module
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

// openApp opens the database and builds the core; it neither migrates nor
// wires the modules.
func openApp(ctx context.Context, c config.Config, modules []Module, logOut io.Writer) (*App, error) {
	log := newLogger(c, logOut)
	h, err := db.Open(ctx, c.DBOptions())
	if err != nil {
		return nil, err
	}
	node := lease.Node()
	clock := core.SystemClock{}
	a := &App{
		Config: c, Log: log, Clock: clock, DB: h, Node: node, modules: modules,
		Bus:      outbox.NewBus(h, clock),
		Runner:   automation.NewRunner(h, clock, node, log),
		Settings: settings.NewStore(h, clock),
	}
	if a.Theme, err = themes.Load(c.Themes.Dir); err != nil {
		h.Close()
		return nil, err
	}
	page, err := fs.ReadFile(a.Theme.FS(), "static/suspended.html")
	if err != nil {
		h.Close()
		return nil, fmt.Errorf("theme: %w", err)
	}
	auditLog := audit.New(h, clock)
	a.Hosting = provisioning.New(h, clock, a.Bus, auditLog, provisioning.Options{Env: provisioning.Env{SuspensionPage: page}})
	au := c.Auth
	a.Identity, err = identity.New(h, clock, auditLog, a.Settings, identity.Options{
		Argon2:      identity.Argon2Params{MemoryKiB: uint32(au.Argon2MemoryKiB), Iterations: uint32(au.Argon2Iterations), Parallelism: uint8(au.Argon2Parallelism)},
		SessionIdle: au.SessionIdle, SessionLifetime: au.SessionLifetime, ResetTTL: au.PasswordResetTTL,
		Throttle:       identity.ThrottleLimits{PerAccount: au.LoginLimitAccount, PerIP: au.LoginLimitIP},
		CheckNewClient: a.Hosting.CheckNewClient,
	})
	bc := c.Billing
	var vies *billing.VIESClient
	if bc.VIESURL != "" {
		vies = &billing.VIESClient{BaseURL: bc.VIESURL, Timeout: bc.VIESTimeout}
	}
	a.Billing = billing.New(h, clock, auditLog, a.Settings, billing.Options{DefaultCurrency: bc.Currency, RunWorkers: bc.RunWorkers,
		RunChunk: bc.RunChunk, VIES: vies, VIESMaxAge: bc.VIESMaxAge, Node: node, Log: log, Bus: a.Bus})
	if err == nil {
		err = a.Billing.Bind(a.Bus)
	}
	steps := []automation.Step{identity.PruneStep{S: a.Identity}, provisioning.JobsStep{S: a.Hosting, Node: node, Log: log},
		provisioning.HealthStep{S: a.Hosting}, billing.VIESStep{S: a.Billing}, billing.ReconcileStep{S: a.Billing, Inv: a.Hosting},
		billing.InvoiceStep{S: a.Billing}, billing.OverdueStep{S: a.Billing}}
	for _, st := range steps {
		if err == nil {
			err = a.Runner.Register(st)
		}
	}
	if err != nil {
		h.Close()
		return nil, err
	}
	return a, nil
}

// MigrationSets lists the core's set, the panel's identity set, then each
// module's, in wiring order.
func (a *App) MigrationSets() []db.MigrationSet {
	sets := []db.MigrationSet{schema.Set, identity.Migrations, provisioning.Migrations, billing.Migrations}
	for _, m := range a.modules {
		if m.Migrations != nil {
			sets = append(sets, *m.Migrations)
		}
	}
	return sets
}

// prepare migrates (when migrate is true) or checks that nothing is
// pending, then wires every module and freezes the bus.
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
	for _, m := range a.modules {
		if m.Wire == nil {
			continue
		}
		if err := m.Wire(a); err != nil {
			return fmt.Errorf("wire %s: %w", m.Name, err)
		}
	}
	a.Bus.Start()
	return nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }
