package billing

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"faktura/billing/document"
	"faktura/billing/document/documenttest"
	"faktura/panel/core"
	"faktura/themes"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestDocumentHTMLGolden: the invoice view's document block for each
// sample document in each of the five languages, against the golden
// files: labels, amounts, unit prices, quantities and dates all in the
// document's language, payment terms on invoices, none on credit notes.
func TestDocumentHTMLGolden(t *testing.T) {
	theme, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range core.Languages {
		for _, c := range documenttest.Cases(lang) {
			t.Run(c.Name+"."+lang, func(t *testing.T) {
				d, err := document.Build(c.Invoice, c.Credits, c.Notes)
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				if err := theme.RenderPartial(&b, "document", docView{V: d.View(), theme: theme}); err != nil {
					t.Fatal(err)
				}
				html := b.String()
				if strings.Contains(html, "doc.") {
					t.Errorf("an untranslated label: %s", html)
				}
				if c.Invoice.Kind == "credit_note" && (strings.Contains(html, `id="due-date"`) || strings.Contains(html, `id="terms"`)) {
					t.Error("a credit note shows a due date or payment terms")
				}
				path := filepath.Join("testdata", "document", c.Name+"."+lang+".html.golden")
				if *update {
					if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -run TestDocumentHTMLGolden -update to write it)", err)
				}
				if string(want) != html {
					t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, html, want)
				}
			})
		}
	}
}
