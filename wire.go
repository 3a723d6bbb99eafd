package main

// The composition root: config -> database -> bus (the CLI builds these
// as the App's core) -> modules -> plugins -> web areas -> CLI. A module
// is built from the core and the modules it depends on, binds its event
// handlers on the bus, registers its daily steps and names its migrations;
// plugins (provisioning drivers now, payment gateways and accounting
// exports later) register themselves with their module's registry by
// being imported here.

import (
	"fmt"
	"io/fs"
	"net/url"
	"slices"

	"faktura/billing"
	"faktura/billing/archive"
	"faktura/billing/document/pdf"
	"faktura/billing/dunning"
	"faktura/billing/ledger"
	"faktura/billing/payment"
	"faktura/billing/usage"
	"faktura/panel/cli"
	"faktura/panel/core/automation"
	"faktura/panel/core/db"
	"faktura/panel/core/mail"
	"faktura/panel/identity"
	"faktura/panel/web"
	"faktura/panel/web/admin"
	billingweb "faktura/panel/web/billing"
	collectionsweb "faktura/panel/web/collections"
	hostingweb "faktura/panel/web/hosting"
	paymentsweb "faktura/panel/web/payments"
	settingsweb "faktura/panel/web/settings"
	"faktura/panel/web/signin"
	"faktura/provisioning"

	// Provisioning drivers. A build with remote-panel drivers (cPanel/WHM,
	// DirectAdmin, Plesk) adds their packages here.
	_ "faktura/provisioning/nginx"
	_ "faktura/provisioning/noop"

	// Accounting exports: each registers with billing's ledger registry.
	_ "faktura/plugins/csvjournal"
	_ "faktura/plugins/datev"
	_ "faktura/plugins/fec"

	// Payment gateways: each registers with billing's payment registry.
	_ "faktura/plugins/paypal"
	_ "faktura/plugins/stripe"
)

// wire builds the modules on a's core, in dependency order.
func wire(a *cli.App) error {
	suspended, err := fs.ReadFile(a.Theme.FS(), "static/suspended.html")
	if err != nil {
		return fmt.Errorf("theme: %w", err)
	}
	a.Hosting = provisioning.New(a.DB, a.Clock, a.Bus, a.Audit, provisioning.Options{Env: provisioning.Env{SuspensionPage: suspended}})

	au := a.Config.Auth
	a.Identity, err = identity.New(a.DB, a.Clock, a.Audit, a.Settings, identity.Options{
		Argon2:      identity.Argon2Params{MemoryKiB: uint32(au.Argon2MemoryKiB), Iterations: uint32(au.Argon2Iterations), Parallelism: uint8(au.Argon2Parallelism)},
		SessionIdle: au.SessionIdle, SessionLifetime: au.SessionLifetime, ResetTTL: au.PasswordResetTTL,
		Throttle:       identity.ThrottleLimits{PerAccount: au.LoginLimitAccount, PerIP: au.LoginLimitIP},
		CheckNewClient: a.Hosting.CheckNewClient,
	})
	if err != nil {
		return err
	}

	bc := a.Config.Billing
	var vies *billing.VIESClient
	if bc.VIESURL != "" {
		vies = &billing.VIESClient{BaseURL: bc.VIESURL, Timeout: bc.VIESTimeout}
	}
	a.Billing = billing.New(a.DB, a.Clock, a.Audit, a.Settings, billing.Options{DefaultCurrency: bc.Currency, RunWorkers: bc.RunWorkers,
		RunChunk: bc.RunChunk, VIES: vies, VIESMaxAge: bc.VIESMaxAge, Node: a.Node, Log: a.Log, Bus: a.Bus})
	if err := a.Billing.Bind(a.Bus); err != nil {
		return err
	}
	a.Payments = payment.New(a.DB, a.Clock, a.Audit, a.Settings, a.Billing)
	a.Billing.UseOverpayments(a.Payments)
	a.Ledger = ledger.New(a.DB, a.Clock, a.Audit, a.Billing)
	a.Payments.UseSecrets(a.Secrets)
	if err := a.Payments.Bind(a.Bus); err != nil {
		return err
	}

	dc := a.Config.Documents
	renderer, rerr := pdf.New(dc.FontDir, a.Theme, pdf.DefaultLayout)
	if layout, err := pdf.LoadLayout(a.Theme.FS()); err != nil {
		return fmt.Errorf("theme: %w", err)
	} else if rerr == nil {
		renderer, rerr = pdf.New(dc.FontDir, a.Theme, layout)
	}
	if rerr != nil {
		a.Log.Warn("invoice PDFs cannot be rendered until the fonts are there; documents wait in their queue", "err", rerr)
	}
	a.Archive = archive.New(a.DB, a.Clock, a.Billing, renderer, archive.Options{Dir: dc.Dir, Log: a.Log, RendererErr: rerr})
	if err := a.Archive.Bind(a.Bus); err != nil {
		return err
	}
	mc := a.Config.Mail
	a.Mail = mail.NewOutbox(a.DB, a.Clock, mail.NewSender(mail.Options{Host: mc.Host, Port: mc.Port, TLS: mc.TLS, Username: mc.Username,
		Password: mc.Password, From: mc.From}), a.Secrets, mailHost(a.Config.Server.BaseURL))
	a.Archive.UseMail(a.Mail, a.Theme, a.Config.Server.BaseURL)
	a.Dunning = dunning.New(a.DB, a.Clock, a.Audit, a.Settings, a.Billing, a.Bus, dunning.Options{Enforcer: a.Hosting, Mail: a.Mail, Tpl: a.Theme,
		BaseURL: a.Config.Server.BaseURL, AttachPDF: true, Log: a.Log})
	if err := a.Dunning.Bind(a.Bus); err != nil {
		return err
	}
	a.Usage = usage.New(a.DB, a.Clock, a.Audit, a.Settings)
	a.Usage.UseMail(a.Mail, a.Theme, a.Config.Server.BaseURL)

	a.Migrations = []db.MigrationSet{identity.Migrations, provisioning.Migrations, billing.Migrations}
	a.Areas = []web.Area{signin.Area{}, admin.Area{}, hostingweb.Area{}, billingweb.Area{}, paymentsweb.Area{}, collectionsweb.Area{}, settingsweb.Area{}}
	a.SettingDefs = slices.Concat(a.Billing.SettingDefs(), a.Payments.SettingDefs(), dunning.SettingDefs(), usage.SettingDefs())
	steps := []automation.Step{
		usage.CollectStep{S: a.Usage, Hosting: a.Hosting},
		payment.JournalStep{S: a.Payments},
		identity.PruneStep{S: a.Identity},
		provisioning.JobsStep{S: a.Hosting, Node: a.Node, Log: a.Log},
		provisioning.HealthStep{S: a.Hosting},
		billing.VIESStep{S: a.Billing},
		billing.ReconcileStep{S: a.Billing, Inv: a.Hosting},
		usage.RateStep{S: a.Usage},
		billing.InvoiceStep{S: a.Billing},
		payment.AutoChargeStep{S: a.Payments},
		billing.OverdueStep{S: a.Billing},
		dunning.DailyStep{S: a.Dunning},
		archive.RenderStep{S: a.Archive, Node: a.Node, Workers: cli.DocumentWorkers(dc.Workers), Log: a.Log},
	}
	for _, st := range steps {
		if err := a.Runner.Register(st); err != nil {
			return err
		}
	}
	return nil
}

// mailHost is the host part of Message-IDs: the panel's host name.
func mailHost(base string) string {
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return ""
}
