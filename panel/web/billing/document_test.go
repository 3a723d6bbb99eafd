package billing

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"faktura/billing/document"
	"faktura/billing/document/documenttest"
	"faktura/themes"
)

// TestDocumentHTMLGolden: the invoice view's document block for each
// sample document in each of the five languages, against the golden
// files: labels, amounts, unit prices, quantities and dates all in the
// document's language, payment terms on invoices, none on credit notes.
func TestDocumentHTMLGolden(t *testing.T) {
	theme, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	documenttest.Each(t, func(t *testing.T, c documenttest.Case, d document.Document) {
		var b bytes.Buffer
		if err := theme.RenderPartial(&b, "document", docView{V: d.View(), theme: theme}); err != nil {
			t.Fatal(err)
		}
		html := b.String()
		if strings.Contains(html, "doc.") {
			t.Errorf("an untranslated label: %s", html)
		}
		if d.IsCreditNote() && (strings.Contains(html, `id="due-date"`) || strings.Contains(html, `id="terms"`)) {
			t.Error("a credit note shows a due date or payment terms")
		}
		documenttest.Golden(t, filepath.Join("testdata", "document", c.Name+"."+d.Language+".html.golden"), b.Bytes())
	})
}
