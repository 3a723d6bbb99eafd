package archive_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"faktura/billing"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/mail"
	"faktura/panel/core/mail/mailtest"
	"faktura/panel/core/secret"
	"faktura/themes"
)

func withMail(t *testing.T, f *fixture, srv *mailtest.Server) (*mail.Outbox, *mail.Worker) {
	t.Helper()
	th, err := themes.Load("")
	f.must(err)
	box, err := secret.New([]byte("0123456789abcdef0123456789abcdef"))
	f.must(err)
	o := mail.NewOutbox(f.h, f.clock, srv.Sender("billing@faktura.test"), box, "panel.test")
	f.arc.UseMail(o, th, "https://panel.test")
	return o, o.NewWorker("test", quiet())
}

func sendAll(t *testing.T, w *mail.Worker) {
	t.Helper()
	for range 20 {
		n, err := w.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// TestDocumentMail: each finalized document is mailed once to its buyer,
// in the buyer's language, from its seller's name with the seller's
// reply-to, the Factur-X PDF attached and the XML the buyer asked for;
// events delivered again and a second queueing send nothing more.
func TestDocumentMail(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, "")
		srv := mailtest.Start(t)
		_, w := withMail(t, f, srv)
		f.profile(f.c, billing.ProfileInput{LegalName: "Kunde GmbH", Address1: "Lindenweg 7", PostalCode: "80331", City: "München", Country: "DE",
			Language: "de", Email: "buchhaltung@kunde.test", EInvoice: "ubl"})
		f.profile(f.rc, billing.ProfileInput{LegalName: "Camille Martin", Country: "FR", Language: "fr", Email: "camille@martin.test"})
		f.profile(f.r, billing.ProfileInput{LegalName: "Rivage SARL", Country: "FR", VATID: "FR40303265045", RegistrationID: "303265045",
			Timezone: "Europe/Paris", Email: "factures@rivage.test"})
		inv := f.invoice(operator, f.c, "100.00")
		res := f.invoice(f.r, f.rc, "12.00")
		f.deliver()
		f.must(f.arc.QueueMail(f.ctx(), inv.ID, "")) // as a redelivered event would
		sendAll(t, w)
		msgs := srv.Messages()
		if len(msgs) != 2 {
			t.Fatalf("%d mails for two invoices", len(msgs))
		}
		byTo := map[string]string{}
		for _, m := range msgs {
			byTo[m.To[0]] = m.Data
		}
		de := byTo["buchhaltung@kunde.test"]
		for _, want := range []string{"Subject: Rechnung " + *inv.Number, "Content-Language: de", "anbei erhalten Sie Ihre Rechnung",
			*inv.Number + ".pdf", *inv.Number + "-ubl.xml", "Reply-To: <billing@op.test>", "text/html", "https://panel.test/billing/invoices/"} {
			if !strings.Contains(de, want) {
				t.Errorf("the German mail lacks %q", want)
			}
		}
		fr := byTo["camille@martin.test"]
		for _, want := range []string{"Facture " + *res.Number, "Rivage SARL", "Reply-To: <factures@rivage.test>", *res.Number + ".pdf"} {
			if !strings.Contains(fr, want) {
				t.Errorf("the reseller's client's mail lacks %q", want)
			}
		}
		if strings.Contains(fr, "-ubl.xml") {
			t.Error("an XML the buyer did not ask for is attached")
		}
		ds, err := f.arc.Deliveries(f.ctx(), operator, inv.ID)
		f.must(err)
		if len(ds) != 1 || ds[0].Status != mail.StatusSent || ds[0].SentAt == nil {
			t.Errorf("delivery log = %+v", ds)
		}
		// Resending makes a second delivery, on purpose.
		if err := f.arc.Resend(f.ctx(), f.c, inv.ID); err == nil {
			t.Error("the buyer resent its own invoice")
		}
		f.must(f.arc.Resend(f.ctx(), operator, inv.ID))
		sendAll(t, w)
		if n := len(srv.Messages()); n != 3 {
			t.Errorf("%d mails after one resend, want 3", n)
		}
	})
}

// TestMailRefused: a server that refuses leaves a visible failed delivery
// with its answer, retried with backoff; once stopped, a retry sends it.
// The invoice run and the rendering never wait for the server.
func TestMailRefused(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, "")
		srv := mailtest.Start(t)
		o, w := withMail(t, f, srv)
		f.profile(f.c, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE", Language: "de", Email: "buchhaltung@kunde.test"})
		srv.Refuse(452, "mailbox full")
		inv := f.invoice(operator, f.c, "10.00")
		f.deliver()
		sendAll(t, w)
		ds, err := f.arc.Deliveries(f.ctx(), operator, inv.ID)
		f.must(err)
		if len(ds) != 1 || ds[0].Status != mail.StatusQueued || ds[0].Attempts != 1 || !strings.Contains(ds[0].LastError, "mailbox full") {
			t.Fatalf("after a refusal: %+v", ds)
		}
		for range 10 { // the backoff passes, each attempt refused
			f.clock.Advance(3 * time.Hour)
			sendAll(t, w)
		}
		ds, _ = f.arc.Deliveries(f.ctx(), operator, inv.ID)
		if ds[0].Status != mail.StatusFailed {
			t.Fatalf("after every attempt: %s (%d attempts)", ds[0].Status, ds[0].Attempts)
		}
		srv.Refuse(0, "")
		f.must(o.Retry(f.ctx(), operator, ds[0].ID))
		sendAll(t, w)
		ds, _ = f.arc.Deliveries(f.ctx(), operator, inv.ID)
		if ds[0].Status != mail.StatusSent || len(srv.Messages()) != 1 {
			t.Errorf("after the retry: %s, %d mails", ds[0].Status, len(srv.Messages()))
		}
	})
}

// TestMailUnreachable: with the SMTP server gone, finalizing, rendering
// and queueing go on; the worker records the failure and returns.
func TestMailUnreachable(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, "")
		th, _ := themes.Load("")
		o := mail.NewOutbox(h, f.clock, mail.NewSender(mail.Options{Host: "127.0.0.1", Port: 1, TLS: "none", From: "b@x.test", Timeout: time.Second}), nil, "")
		f.arc.UseMail(o, th, "https://panel.test")
		f.profile(f.c, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE", Email: "buchhaltung@kunde.test"})
		inv := f.invoice(operator, f.c, "10.00")
		f.deliver()
		f.work(f.arc.NewWorker("w", 1, quiet()))
		start := time.Now()
		if _, err := o.NewWorker("m", quiet()).RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("an unreachable server held the worker %s", d)
		}
		ds, _ := f.arc.Deliveries(f.ctx(), operator, inv.ID)
		if len(ds) != 1 || ds[0].Attempts != 1 || ds[0].LastError == "" {
			t.Errorf("delivery = %+v", ds)
		}
		if n := f.count("document_files", "invoice_id = ?", inv.ID); n != 3 {
			t.Errorf("%d files rendered while mail was down", n)
		}
	})
}
