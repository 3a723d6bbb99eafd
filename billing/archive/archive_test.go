package archive_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"faktura/billing"
	"faktura/billing/archive"
	"faktura/billing/document/pdf"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/outbox"
	"faktura/panel/core/schema"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
	"faktura/themes"
)

var sets = []db.MigrationSet{schema.Set, provisioning.Migrations, billing.Migrations}

var operator = tenancy.Scope{TenantID: 1, Kind: tenancy.KindOperator, Path: "/1/"}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type fixture struct {
	t     testing.TB
	h     *db.Handle
	clock *core.FrozenClock
	bus   *outbox.Bus
	disp  *outbox.Dispatcher
	bill  *billing.Service
	arc   *archive.Service
	dir   string
	c, r  tenancy.Scope
	rc    tenancy.Scope
}

func renderer(t testing.TB) *pdf.Renderer {
	th, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.New("/usr/share/fonts/truetype/dejavu", th, pdf.DefaultLayout)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// newFixture: the operator (DE, with a bank account) sells to client C
// (DE) and reseller R (FR), which sells to its client RC; dir, when not
// empty, keeps the files in a directory.
func newFixture(t testing.TB, h *db.Handle, dir string) *fixture {
	t.Helper()
	f := &fixture{t: t, h: h, dir: dir, clock: core.NewFrozenClock(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC))}
	f.bus = outbox.NewBus(h, f.clock)
	st := settings.NewStore(h, f.clock)
	f.bill = billing.New(h, f.clock, audit.New(h, f.clock), st, billing.Options{Log: quiet(), Bus: f.bus})
	f.arc = archive.New(h, f.clock, f.bill, renderer(t), archive.Options{Dir: dir, Log: quiet()})
	f.must(f.bill.Bind(f.bus))
	f.must(f.arc.Bind(f.bus))
	f.bus.Start()
	f.disp = outbox.NewDispatcher(f.bus, "test", outbox.Options{}, quiet())
	f.must(settings.Set(f.ctx(), st, billing.ApprovalManualLines, settings.LevelPanel, "", false))
	f.profile(operator, billing.ProfileInput{LegalName: "Hosting Operator GmbH", Address1: "Hauptstr. 1", PostalCode: "10115", City: "Berlin",
		Country: "DE", VATID: "DE136695976", Timezone: "Europe/Berlin", IBAN: "DE89370400440532013000", BIC: "COBADEFFXXX", Email: "billing@op.test"})
	f.c = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindClient, operator, "Client C")
	f.profile(f.c, billing.ProfileInput{LegalName: "Kunde GmbH", Address1: "Lindenweg 7", PostalCode: "80331", City: "München", Country: "DE", Language: "de"})
	f.r = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindReseller, operator, "Reseller R")
	f.profile(f.r, billing.ProfileInput{LegalName: "Rivage SARL", Country: "FR", VATID: "FR40303265045", RegistrationID: "303265045", Timezone: "Europe/Paris"})
	f.rc = dbtest.Tenant(t, h, f.clock.Now(), tenancy.KindClient, f.r, "Client RC")
	f.profile(f.rc, billing.ProfileInput{LegalName: "Camille Martin", Country: "FR", Language: "fr"})
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) ctx() context.Context {
	return audit.WithActor(context.Background(), audit.Actor{UserID: 7, Label: "staff@op.test"})
}

func (f *fixture) profile(s tenancy.Scope, in billing.ProfileInput) {
	f.t.Helper()
	if _, err := f.bill.SaveProfile(f.ctx(), operator, s.TenantID, in); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) invoice(seller, customer tenancy.Scope, amount string) billing.Invoice {
	f.t.Helper()
	inv, err := f.bill.CreateInvoice(f.ctx(), seller, billing.InvoiceInput{CustomerID: customer.TenantID, Currency: "EUR",
		Lines: []billing.LineInput{{Description: "Managed hosting", Quantity: "1", UnitPrice: amount}}})
	f.must(err)
	inv, err = f.bill.Finalize(f.ctx(), seller, inv.ID)
	f.must(err)
	return inv
}

func (f *fixture) deliver() {
	f.t.Helper()
	for range 100 {
		n, err := f.disp.RunOnce(context.Background())
		f.must(err)
		if n == 0 {
			return
		}
	}
	f.t.Fatal("the outbox did not drain")
}

func (f *fixture) count(table, where string, args ...any) int64 {
	var n int64
	f.must(f.h.W.Table(table).Where(where, args...).Count(&n).Error)
	return n
}

func (f *fixture) work(w *archive.Worker) {
	f.t.Helper()
	for range 100 {
		n, err := w.RunOnce(context.Background())
		f.must(err)
		if n == 0 {
			return
		}
	}
}

// TestFinalizationRendersOnce: a finalized invoice and credit note each
// get their files through the queue, once however often the event comes;
// the files' SHA-256 matches their bytes and a new rendering, also after
// a restart (a new renderer and archive on the same database).
func TestFinalizationRendersOnce(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		for _, dir := range []string{"", t.TempDir()} {
			f := newFixture(t, h, dir)
			inv := f.invoice(operator, f.c, "100.00")
			f.deliver()
			cn, err := f.bill.CreditNote(f.ctx(), operator, inv.ID, billing.CreditNoteInput{Reason: "Outage", Full: true})
			f.must(err)
			f.deliver()
			if n := f.count("document_jobs", "invoice_id IN ?", []int64{inv.ID, cn.ID}); n != 2 {
				t.Fatalf("%d jobs for two finalized documents", n)
			}
			f.must(f.arc.Enqueue(f.ctx(), inv.ID)) // again: nothing new
			f.work(f.arc.NewWorker("w1", 2, quiet()))
			files, err := f.arc.Files(f.ctx(), f.c, inv.ID)
			f.must(err)
			kinds := map[string]archive.File{}
			for _, fl := range files {
				kinds[fl.Kind] = fl
			}
			for _, k := range []string{archive.KindPDF, archive.KindCII, archive.KindUBL} {
				if _, ok := kinds[k]; !ok {
					t.Errorf("no %s file: %v", k, files)
				}
			}
			for _, k := range []string{archive.KindPDF, archive.KindCII} {
				fl, body, err := f.arc.Open(f.ctx(), f.c, inv.ID, k)
				f.must(err)
				if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != fl.SHA256 || int64(len(body)) != fl.Size {
					t.Errorf("%s: sha256 %s does not match its %d bytes", k, fl.SHA256, len(body))
				}
			}
			_, body, err := f.arc.Open(f.ctx(), f.c, inv.ID, archive.KindPDF)
			f.must(err)
			txt := pdfText(t, body)
			for _, want := range []string{*inv.Number, "119,00", "Rechnung", "Hosting Operator GmbH", "RF"} {
				if !strings.Contains(txt, want) {
					t.Errorf("the PDF text lacks %q", want)
				}
			}
			if _, _, err := f.arc.Open(f.ctx(), f.c, cn.ID, archive.KindPDF); err != nil {
				t.Errorf("the credit note's PDF: %v", err)
			}
			f.must(f.arc.Verify(f.ctx(), inv.ID))
			f.must(f.arc.Verify(f.ctx(), cn.ID))
			restarted := archive.New(h, f.clock, f.bill, renderer(t), archive.Options{Dir: dir, Log: quiet()})
			f.must(restarted.Verify(f.ctx(), inv.ID))
			if n := f.count("document_files", "invoice_id = ?", inv.ID); n != 3 {
				t.Errorf("%d files stored, want 3", n)
			}
			if n := f.count("document_jobs", "status = ?", archive.JobDone); n < 2 {
				t.Errorf("%d jobs done", n)
			}
			h.W.Exec("DELETE FROM document_files")
			h.W.Exec("DELETE FROM document_jobs")
		}
	})
}

// TestArchiveScoped: a client reads only its own documents' files, a
// draft has none, and a changed stored file is refused as damaged.
func TestArchiveScoped(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		dir := t.TempDir()
		f := newFixture(t, h, dir)
		inv := f.invoice(operator, f.c, "10.00")
		mine := f.invoice(f.r, f.rc, "12.00")
		if _, err := f.arc.Files(f.ctx(), f.rc, inv.ID); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("another customer's files: %v", err)
		}
		if _, _, err := f.arc.Open(f.ctx(), f.r, inv.ID, archive.KindPDF); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("a reseller opening the operator's invoice to another client: %v", err)
		}
		if _, _, err := f.arc.Open(f.ctx(), f.rc, mine.ID, archive.KindPDF); err != nil {
			t.Errorf("the reseller's client opening its invoice: %v", err)
		}
		draft, err := f.bill.CreateInvoice(f.ctx(), operator, billing.InvoiceInput{CustomerID: f.c.TenantID, Currency: "EUR",
			Lines: []billing.LineInput{{Description: "Draft", UnitPrice: "1"}}})
		f.must(err)
		if _, err := f.arc.Files(f.ctx(), operator, draft.ID); !errors.Is(err, core.ErrPrecondition) {
			t.Errorf("a draft's files: %v", err)
		}
		if _, _, err := f.arc.Open(f.ctx(), f.c, inv.ID, archive.KindXRechnung); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("an XRechnung the buyer never asked for: %v", err)
		}
		files, err := f.arc.Files(f.ctx(), f.c, inv.ID)
		f.must(err)
		var p string
		h.W.Table("document_files").Where("invoice_id = ? AND kind = ?", inv.ID, archive.KindCII).Pluck("path", &p)
		full := filepath.Join(dir, p)
		b, _ := os.ReadFile(full)
		os.WriteFile(full, bytes.Replace(b, []byte("100"), []byte("999"), 1), 0o644)
		if _, _, err := f.arc.Open(f.ctx(), f.c, inv.ID, archive.KindCII); !errors.Is(err, archive.ErrDamaged) {
			t.Errorf("a changed file: %v (%d files)", err, len(files))
		}
	})
}

// TestWorkersShare: two workers on one queue render every document once.
func TestWorkersShare(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, "")
		var ids []int64
		for range 12 {
			ids = append(ids, f.invoice(operator, f.c, "20.00").ID)
		}
		f.deliver()
		var wg sync.WaitGroup
		for _, node := range []string{"a", "b"} {
			w := f.arc.NewWorker(node, 2, quiet())
			wg.Go(func() { f.work(w) })
		}
		wg.Wait()
		if n := f.count("document_files", "invoice_id IN ?", ids); n != int64(3*len(ids)) {
			t.Errorf("%d files for %d invoices, want 3 each", n, len(ids))
		}
		if n := f.count("document_jobs", "status = ?", archive.JobDone); n != int64(len(ids)) {
			t.Errorf("%d jobs done of %d", n, len(ids))
		}
	})
}

func pdfText(t testing.TB, b []byte) string {
	f := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(f, b, 0o644)
	out, err := exec.Command("pdftotext", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
