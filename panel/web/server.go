// Package web is the panel's HTTP layer and the only package that imports
// echo: the server-rendered pages (sign-in, tenants, users, API keys, audit
// log, profile, hosting, billing), the JSON API under /api/v1 with its
// OpenAPI document, the probes and the metrics. It authenticates every request (session cookie
// or Bearer API key) and hands the domain a Caller; the domain scopes every
// query to the caller's tenant.
package web

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"faktura/billing"
	"faktura/billing/archive"
	"faktura/billing/dunning"
	"faktura/billing/ledger"
	"faktura/billing/payment"
	"faktura/billing/usage"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/automation"
	"faktura/panel/core/db"
	"faktura/panel/core/mail"
	"faktura/panel/core/outbox"
	"faktura/panel/core/settings"
	"faktura/panel/identity"
	"faktura/provisioning"
	"faktura/themes"
)

// Deps are what the HTTP layer needs.
type Deps struct {
	DB              *db.Handle
	Bus             *outbox.Bus
	Log             *slog.Logger
	Identity        *identity.Service
	Hosting         *provisioning.Service
	Billing         *billing.Service
	Usage           *usage.Service
	Payments        *payment.Service
	Ledger          *ledger.Service    // sellers' books: charts, closing, exports, VAT reports
	Archive         *archive.Service   // issued documents' files (PDF, e-invoice XML)
	Dunning         *dunning.Service   // collections: reminders, holds, suspension for non-payment
	Runner          *automation.Runner // the daily run, for its last result on the dashboards
	Audit           *audit.Log
	Clock           core.Clock // today, for forms' default dates
	Settings        *settings.Store
	SettingDefs     []settings.Def // the business-rule keys the modules define, in page order
	Theme           *themes.Theme
	Mail            *mail.Sender
	MailOutbox      *mail.Outbox  // the mail queue; nil sends password resets directly
	BaseURL         string        // public address, for e-mailed links and Secure cookies
	SessionLifetime time.Duration // session cookie lifetime
	ResetTTL        time.Duration // how long reset links live (said in the mail)
	MetricsToken    string        // Bearer token for /metrics; empty: /metrics refused on the panel address
}

// Server is the panel's HTTP handler.
type Server struct {
	Deps    Deps
	e       *echo.Echo
	ready   atomic.Bool
	latency *prometheus.HistogramVec
	metrics http.Handler
	bg      sync.WaitGroup
	navs    []NavEntry
}

// New builds the handler with the areas' routes and the metrics.
func New(d Deps, areas ...Area) *Server {
	s := &Server{Deps: d, e: echo.New()}
	s.e.HideBanner, s.e.HidePort = true, true
	s.e.HTTPErrorHandler = s.handleError
	// Client addresses (sign-in throttling, the audit log) come from the
	// connection, never from headers a client can forge.
	s.e.IPExtractor = echo.ExtractIPDirect()

	reg := prometheus.NewRegistry()
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "faktura_http_request_duration_seconds",
		Help:    "HTTP request latency by route template, method and status.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "method", "status"})
	reg.MustRegister(
		s.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(d.DB.SQL(), "faktura"),
		&backlogCollector{bus: d.Bus, hosting: d.Hosting, log: d.Log},
	)
	if d.DB.R != d.DB.W {
		if r, err := d.DB.R.DB(); err == nil {
			reg.MustRegister(collectors.NewDBStatsCollector(r, "faktura_read"))
		}
	}
	s.e.Use(s.observe)
	s.e.GET("/healthz", s.healthz)
	s.e.GET("/readyz", s.readyz)
	s.metrics = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	s.e.GET("/metrics", s.guardedMetrics)
	s.routes(areas)
	return s
}

// Metrics is the Prometheus handler, for a listener of its own
// (server.metrics_listen) that only the scraper reaches.
func (s *Server) Metrics() http.Handler { return s.metrics }

// guardedMetrics serves /metrics on the panel's address only to a
// scraper with the metrics token: the figures name the panel's load and
// backlogs, which are nobody else's business.
func (s *Server) guardedMetrics(c echo.Context) error {
	tok := s.Deps.MetricsToken
	if tok == "" {
		return echo.NewHTTPError(http.StatusForbidden, "metrics are not served on this address: set server.metrics_token or server.metrics_listen")
	}
	got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
		return echo.NewHTTPError(http.StatusUnauthorized, "the metrics token is missing or wrong")
	}
	s.metrics.ServeHTTP(c.Response(), c.Request())
	return nil
}

// Wait blocks until background work (mail sending) has finished.
func (s *Server) Wait() { s.bg.Wait() }

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.e.ServeHTTP(w, r) }

// SetReady says whether the process accepts traffic: true once migrations
// and workers are up, false as soon as shutdown begins.
func (s *Server) SetReady(ok bool) { s.ready.Store(ok) }

func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.latency.WithLabelValues(route, c.Request().Method, strconv.Itoa(c.Response().Status)).Observe(time.Since(start).Seconds())
		return nil
	}
}

func (s *Server) healthz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.Deps.DB.Ping(ctx); err != nil {
		s.Deps.Log.Error("health check: database", "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "database": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if !s.ready.Load() {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// backlogCollector reports the outbox backlog at scrape time.
type backlogCollector struct {
	bus     *outbox.Bus
	hosting *provisioning.Service
	log     *slog.Logger
}

var (
	backlogDesc = prometheus.NewDesc("faktura_outbox_events", "Outbox events not yet delivered, by status (pending, parked).", []string{"status"}, nil)
	jobsDesc    = prometheus.NewDesc("faktura_provisioning_jobs", "Server driver jobs not done, by status (pending, failed).", []string{"status"}, nil)
)

func (b *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- backlogDesc; ch <- jobsDesc }

func (b *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	bl, err := b.bus.Backlog(ctx)
	if err != nil {
		b.log.Error("metrics: outbox backlog", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(bl.Pending), "pending")
	ch <- prometheus.MustNewConstMetric(backlogDesc, prometheus.GaugeValue, float64(bl.Parked), "parked")
	if b.hosting == nil {
		return
	}
	jobs, err := b.hosting.JobBacklog(ctx)
	if err != nil {
		b.log.Error("metrics: provisioning jobs", "err", err)
		return
	}
	for _, st := range []string{provisioning.JobPending, provisioning.JobFailed} {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(jobs[st]), st)
	}
}

// Routes lists the registered routes as "METHOD path", sorted, without
// echo's not-found catch-alls: the cross-tenant suite and the OpenAPI
// check walk it.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.e.Routes() {
		if r.Method == "echo_route_not_found" {
			continue
		}
		out = append(out, r.Method+" "+r.Path)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
