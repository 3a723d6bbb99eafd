package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/mail/mailtest"
)

// TestDocumentDownloads: the client downloads its issued invoice as PDF
// and XML from its page and through the API, each file with its
// SHA-256; the reseller gets the same bytes; a draft has no files; a bad
// format is a field error.
func TestDocumentDownloads(t *testing.T) {
	eachWorld(t, func(t *testing.T, w *world) {
		inv := w.invoiceA("Managed hosting")
		client := w.signIn("owner@clienta.test")
		page := client.get(fmt.Sprintf("/billing/invoices/%d", inv.ID))
		for _, want := range []string{`id="download-pdf"`, `id="download-cii"`, `id="download-ubl"`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the invoice page lacks %s", want)
			}
		}
		pdf := client.get(fmt.Sprintf("/billing/invoices/%d/pdf", inv.ID))
		if pdf.status != http.StatusOK || pdf.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf.body, "%PDF-") ||
			!strings.Contains(pdf.header.Get("Content-Disposition"), *inv.Number+".pdf") {
			t.Fatalf("PDF = %d %s %s", pdf.status, pdf.header.Get("Content-Type"), pdf.header.Get("Content-Disposition"))
		}
		if sum := sha256.Sum256([]byte(pdf.body)); hex.EncodeToString(sum[:]) != pdf.header.Get("X-Content-SHA256") {
			t.Error("the PDF's bytes do not match its SHA-256")
		}
		f := filepath.Join(t.TempDir(), "inv.pdf")
		os.WriteFile(f, []byte(pdf.body), 0o644)
		if out, err := exec.Command("pdftotext", f, "-").Output(); err != nil || !strings.Contains(string(out), *inv.Number) || !strings.Contains(string(out), "Managed hosting") {
			t.Errorf("the PDF's text: %v %.300s", err, out)
		}
		api := w.api(w.keyCliA, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d/pdf", inv.ID), nil)
		if api.status != http.StatusOK || api.body != pdf.body {
			t.Errorf("the API's PDF = %d, same bytes %v", api.status, api.body == pdf.body)
		}
		seller := w.api(w.keyA, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d/xml?format=ubl", inv.ID), nil)
		if seller.status != http.StatusOK || !strings.Contains(seller.body, "<Invoice ") || !strings.Contains(seller.body, *inv.Number) {
			t.Errorf("the seller's UBL = %d %.200s", seller.status, seller.body)
		}
		cii := client.get(fmt.Sprintf("/billing/invoices/%d/xml", inv.ID))
		if cii.status != http.StatusOK || !strings.Contains(cii.body, "CrossIndustryInvoice") {
			t.Errorf("the default XML = %d %.200s", cii.status, cii.body)
		}
		files := w.api(w.keyCliA, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d/files", inv.ID), nil)
		if files.status != http.StatusOK || strings.Count(files.body, `"sha256"`) != 3 || !strings.Contains(files.body, pdf.header.Get("X-Content-SHA256")) {
			t.Errorf("files = %d %s", files.status, files.body)
		}
		if r := w.api(w.keyCliA, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d/xml?format=edifact", inv.ID), nil); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "format") {
			t.Errorf("a bad format = %d %s", r.status, r.body)
		}
		if r := w.api(w.keyB, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d/pdf", w.draftB.ID), nil); r.status != http.StatusPreconditionFailed {
			t.Errorf("a draft's PDF = %d %s", r.status, r.body)
		}
		if r := w.api(w.keyB, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d/pdf", inv.ID), nil); r.status != http.StatusNotFound {
			t.Errorf("another reseller's invoice PDF = %d", r.status)
		}
		if n := w.count("document_files", "invoice_id = ?", inv.ID); n != 3 {
			t.Errorf("%d files stored, want 3 (rendered once)", n)
		}
	})
}

// TestResendPage: the seller sees the document's mail log on its page
// and queues the mail again; its client may not.
func TestResendPage(t *testing.T) {
	dbtest.Each(t, testSets, func(t *testing.T, h *db.Handle) {
		srv := mailtest.Start(t)
		w := newWorld(t, h, worldOpts{mail: srv.Sender("billing@panel.test")})
		inv := w.invoiceA("Managed hosting")
		seller, client := w.signIn("owner@a.test"), w.signIn("owner@clienta.test")
		page := seller.get(fmt.Sprintf("/billing/invoices/%d", inv.ID))
		if !strings.Contains(page.body, `id="deliveries"`) || !strings.Contains(page.body, `id="resend"`) {
			t.Fatalf("the seller's page has no mail log with a resend button")
		}
		if strings.Contains(client.get(fmt.Sprintf("/billing/invoices/%d", inv.ID)).body, `id="resend"`) {
			t.Error("the client is offered to resend")
		}
		if r := client.post(fmt.Sprintf("/billing/invoices/%d/resend", inv.ID), nil); r.status == http.StatusSeeOther {
			t.Error("the client resent its seller's invoice")
		}
		r := seller.post(fmt.Sprintf("/billing/invoices/%d/resend", inv.ID), nil)
		if r.status != http.StatusSeeOther {
			t.Fatalf("resend = %d %.300s", r.status, r.body)
		}
		page = seller.get(r.location)
		if !strings.Contains(page.body, "mail-queued") || !strings.Contains(page.body, "client@a.test") {
			t.Errorf("the log does not show the queued mail")
		}
		api := w.api(w.keyA, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d/deliveries", inv.ID), nil)
		if api.status != http.StatusOK || !strings.Contains(api.body, `"status":"queued"`) {
			t.Errorf("deliveries = %d %s", api.status, api.body)
		}
		if r := w.api(w.keyCliA, http.MethodPost, fmt.Sprintf("/api/v1/invoices/%d/resend", inv.ID), nil); r.status != http.StatusForbidden {
			t.Errorf("the client's API resend = %d", r.status)
		}
		sent, err := w.mailbox.NewWorker("test", w.s.Deps.Log).RunOnce(context.Background())
		if err != nil || sent != 1 || len(srv.Messages()) != 1 || !strings.Contains(srv.Messages()[0].Data, ".pdf") {
			t.Errorf("the queued mail went out: %d, %v, %d messages", sent, err, len(srv.Messages()))
		}
		if page := seller.get(r.location); !strings.Contains(page.body, "mail-sent") {
			t.Error("the log does not show the mail sent")
		}
	})
}
