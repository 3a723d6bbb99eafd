package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"faktura/panel/core/automation"
	"faktura/panel/core/mail"
	"faktura/panel/core/outbox"
	"faktura/panel/web"
)

func (e *env) serveCmd() *cobra.Command {
	return verb("serve", "Run the panel: HTTP server, event dispatcher and daily scheduler", func(cmd *cobra.Command) error {
		ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		a, err := e.open(ctx, migrateOnStart)
		if err != nil {
			return err
		}
		defer a.Close()
		return serve(ctx, a)
	})
}

// serve runs until ctx is cancelled (SIGTERM), then shuts down gracefully:
// readiness goes false, in-flight requests finish, the dispatcher finishes
// its current batch, and the database closes.
func serve(ctx context.Context, a *App) error {
	ln, err := net.Listen("tcp", a.Config.Server.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s (server.listen): %w", a.Config.Server.Listen, err)
	}
	m := a.Config.Mail
	h := web.New(web.Deps{DB: a.DB, Bus: a.Bus, Log: a.Log, Identity: a.Identity, Hosting: a.Hosting, Billing: a.Billing, Usage: a.Usage, Payments: a.Payments, Ledger: a.Ledger, Archive: a.Archive, Dunning: a.Dunning, Theme: a.Theme, Runner: a.Runner,
		Audit: a.Audit, Clock: a.Clock, Settings: a.Settings, SettingDefs: a.SettingDefs,
		Mail: mail.NewSender(mail.Options{Host: m.Host, Port: m.Port, TLS: m.TLS, Username: m.Username, Password: m.Password, From: m.From}), MailOutbox: a.Mail,
		BaseURL: a.Config.Server.BaseURL, SessionLifetime: a.Config.Auth.SessionLifetime, ResetTTL: a.Config.Auth.PasswordResetTTL,
		MetricsToken: a.Config.Server.MetricsToken}, a.Areas...)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(ln) }()
	var msrv *http.Server
	if addr := a.Config.Server.MetricsListen; addr != "" {
		mln, err := net.Listen("tcp", addr)
		if err != nil {
			srv.Close()
			return fmt.Errorf("listen on %s (server.metrics_listen): %w", addr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", h.Metrics())
		msrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { serveErr <- msrv.Serve(mln) }()
		a.Log.Info("metrics on their own address", "addr", "http://"+mln.Addr().String()+"/metrics")
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	d := outbox.NewDispatcher(a.Bus, a.Node, a.Config.OutboxOptions(), a.Log)
	workers.Go(func() { d.Run(workCtx) })
	pw := a.Hosting.NewWorker(a.Node, a.Log)
	workers.Go(func() { pw.Run(workCtx) })
	ew := a.Payments.NewEventWorker(a.Node, a.Log)
	workers.Go(func() { ew.Run(workCtx) })
	if a.Mail != nil {
		mw := a.Mail.NewWorker(a.Node, a.Log)
		workers.Go(func() { mw.Run(workCtx) })
	}
	if a.Archive != nil {
		aw := a.Archive.NewWorker(a.Node, DocumentWorkers(a.Config.Documents.Workers), a.Log)
		workers.Go(func() { aw.Run(workCtx) })
	}
	if a.Config.Automation.Enabled {
		s := &automation.Scheduler{Runner: a.Runner, Hour: a.Config.Automation.Hour, Location: a.Config.Location(), Tick: time.Minute}
		workers.Go(func() { s.Run(workCtx) })
	}
	h.SetReady(true)
	a.Log.Info("faktura serving", "addr", "http://"+ln.Addr().String(), "database", a.DB.Name, "node", a.Node)

	select {
	case <-ctx.Done():
	case err := <-serveErr:
		stopWork()
		workers.Wait()
		return fmt.Errorf("http server: %w", err)
	}
	a.Log.Info("shutting down")
	h.SetReady(false)
	shCtx, cancel := context.WithTimeout(context.Background(), a.Config.Server.ShutdownTimeout)
	defer cancel()
	err = srv.Shutdown(shCtx)
	if msrv != nil {
		msrv.Shutdown(shCtx)
	}
	h.Wait()
	stopWork()
	workers.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	a.Log.Info("stopped")
	return nil
}

// DocumentWorkers is how many documents a process renders at once:
// documents.workers, or one per CPU.
func DocumentWorkers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.NumCPU()
}
