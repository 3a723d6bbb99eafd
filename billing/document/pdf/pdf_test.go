package pdf_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/billing/document/documenttest"
	"faktura/billing/document/pdf"
	"faktura/billing/payment"
	"faktura/themes"
)

// fontDir is where Debian's fonts-dejavu-core puts the fonts.
const fontDir = "/usr/share/fonts/truetype/dejavu"

func renderer(t testing.TB) *pdf.Renderer {
	t.Helper()
	th, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	layout, err := pdf.LoadLayout(th.FS())
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.New(fontDir, th, layout)
	if err != nil {
		t.Fatal(err) // the test command installs fonts-dejavu-core
	}
	return r
}

// input is a sample document as the documents step renders it: with
// the bank transfer block where the seller gave an account.
func input(t testing.TB, d document.Document) pdf.Input {
	in := pdf.Input{Doc: d, Brand: pdf.Brand{Name: d.Seller.Name}}
	if d.Seller.IBAN != "" && !d.IsCreditNote() {
		ref, err := payment.CreditorReference(d.Number)
		if err != nil {
			t.Fatal(err)
		}
		epc, err := payment.EPCPayload(d.Seller.Name, d.Seller.IBAN, d.Seller.BIC, d.Totals.TotalMinor, d.Currency, ref)
		if err != nil {
			t.Fatal(err)
		}
		in.Payment = &pdf.Payment{IBAN: payment.GroupIBAN(d.Seller.IBAN), BIC: d.Seller.BIC, Reference: ref,
			Amount: document.LocaleFor(d.Language).Money(d.Totals.TotalMinor, d.Currency), EPC: epc}
	}
	return in
}

// pdfText reads a PDF back with poppler's pdftotext.
func pdfText(t testing.TB, b []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (poppler-utils, which the test command installs): %v", err)
	}
	return string(out)
}

// artifact keeps a PDF and a picture of its first page for a reader.
func artifact(t *testing.T, name string, b []byte) {
	dir := os.Getenv("FAKTURA_TEST_ARTIFACTS")
	if dir == "" {
		return
	}
	os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, name+".pdf")
	os.WriteFile(p, b, 0o644)
	exec.Command("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", p, filepath.Join(dir, name)).Run()
}

// TestPDF: every sample document in every language renders; the text
// read back holds its number, its totals, its VAT lines and its notes;
// rendering again gives the same bytes; and the text matches its golden
// file.
func TestPDF(t *testing.T) {
	r := renderer(t)
	documenttest.Each(t, func(t *testing.T, c documenttest.Case, d document.Document) {
		d.CreditBy, d.Totals.PaidMinor, d.Totals.CreditedMinor = nil, 0, 0 // frozen: what was known when it was issued
		in := input(t, d)
		b, err := r.Render(in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := r.Render(input(t, d))
		if err != nil || !bytes.Equal(b, again) {
			t.Fatalf("a second rendering differs (%v)", err)
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatalf("not a PDF: %.20q", b)
		}
		txt := pdfText(t, b)
		v := d.View()
		want := []string{d.Number, v.Net, v.Tax, v.Total, d.Seller.Name, d.Buyer.Name}
		for _, tv := range v.Taxes {
			want = append(want, tv.Base, tv.Tax)
		}
		for _, s := range v.Sections {
			for _, l := range s.Lines {
				want = append(want, l.Description, l.Net)
			}
			if s.Name != "" {
				want = append(want, s.Name)
			}
		}
		if d.TaxNote != "" {
			want = append(want, firstWords(d.TaxNote))
		}
		if d.Credits != nil {
			want = append(want, d.Credits.Number)
		}
		if in.Payment != nil {
			want = append(want, in.Payment.Reference, in.Payment.IBAN)
		}
		flat := strings.Join(strings.Fields(txt), " ")
		for _, w := range want {
			if !strings.Contains(flat, strings.Join(strings.Fields(w), " ")) {
				t.Errorf("the PDF text lacks %q", w)
			}
		}
		if d.IsCreditNote() && strings.Contains(txt, "Total due") {
			t.Error("a credit note says total due")
		}
		documenttest.Golden(t, filepath.Join("testdata", c.Name+"."+d.Language+".txt"), []byte(txt))
		if d.Language == "en" || d.Language == "de" {
			artifact(t, "pdf-"+c.Name+"-"+d.Language, b)
		}
	})
}

func firstWords(s string) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(4, len(f))], " ")
}

// TestMandatoryMentions: what each seller country requires is printed.
func TestMandatoryMentions(t *testing.T) {
	r := renderer(t)
	var reseller, rc documenttest.Case
	for _, c := range documenttest.Cases("en") {
		switch c.Name {
		case "reseller":
			reseller = c
		case "reverse_charge":
			rc = c
		}
	}
	text := func(inv billing.Invoice, seller func(*billing.Party)) string {
		d, err := document.Build(inv, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		seller(&d.Seller)
		b, err := r.Render(input(t, d))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(pdfText(t, b)), " ")
	}
	for _, tc := range []struct {
		name   string
		inv    billing.Invoice
		seller func(*billing.Party)
		want   []string
	}{
		{"FR: SIRET and the nature of the supply", reseller.Invoice, func(*billing.Party) {}, []string{"SIRET 303 265 045 00017", "Nature of the supply: services"}},
		{"FR, reverse charge: autoliquidation and the late-payment terms", rc.Invoice, func(p *billing.Party) {
			p.Country, p.RegistrationID, p.VATID = "FR", "303265045", "FR40303265045"
		}, []string{"Autoliquidation", "SIREN 303265045", "EUR 40"}},
		{"DE: Steuernummer and USt-IdNr", rc.Invoice, func(*billing.Party) {}, []string{"Steuernummer 27/123/45678", "VAT no. DE136695976"}},
		{"IT: Partita IVA and codice fiscale", rc.Invoice, func(p *billing.Party) {
			p.Country, p.VATID, p.TaxNumber, p.RegistrationID = "IT", "IT00743110157", "00743110157", ""
		}, []string{"Partita IVA IT00743110157", "Codice fiscale 00743110157"}},
		{"DK: CVR", rc.Invoice, func(p *billing.Party) { p.Country, p.VATID, p.TaxNumber, p.RegistrationID = "DK", "DK13585628", "", "" }, []string{"CVR 13585628"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := text(tc.inv, tc.seller)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q in %s", w, got)
				}
			}
		})
	}
}

// TestLongInvoice: an invoice of many lines runs over several pages,
// numbered "Page n of N", with the running net total carried from each
// page to the next.
func TestLongInvoice(t *testing.T) {
	r := renderer(t)
	inv := documenttest.Cases("en")[0].Invoice
	inv.Lines = nil
	var net int64
	for i := range 90 {
		amount := int64(1000 + i)
		net += amount
		inv.Lines = append(inv.Lines, billing.Line{ID: int64(1000 + i), Section: fmt.Sprintf("site%02d.example", i/30), Description: fmt.Sprintf("Hosting package %d with a description long enough to wrap onto a second line in the table", i),
			Quantity: "1", UnitPrice: fmt.Sprintf("%d.%02d", amount/100, amount%100), NetMinor: amount, TaxCategory: billing.CategoryStandard, TaxRate: "19"})
	}
	inv.NetMinor, inv.TaxMinor = net, net*19/100
	inv.TotalMinor = inv.NetMinor + inv.TaxMinor
	d, err := document.Build(inv, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Render(input(t, d))
	if err != nil {
		t.Fatal(err)
	}
	artifact(t, "pdf-long", b)
	txt := pdfText(t, b)
	pages := strings.Count(txt, "\f")
	if pages < 3 {
		t.Fatalf("%d pages for 90 lines", pages)
	}
	if !strings.Contains(txt, fmt.Sprintf("Page 1 of %d", pages)) || !strings.Contains(txt, fmt.Sprintf("Page %d of %d", pages, pages)) {
		t.Errorf("no page numbers of %d pages", pages)
	}
	carried, brought := strings.Count(txt, "Carried forward"), strings.Count(txt, "Brought forward")
	if carried != pages-1 || brought != pages-1 {
		t.Errorf("%d pages, %d carried and %d brought forward", pages, carried, brought)
	}
	// What a page carries is what the next brings: the sum of the lines so far.
	for i, page := range strings.Split(txt, "\f")[:pages-1] {
		next := strings.Split(txt, "\f")[i+1]
		c, b := amountAfter(page, "Carried forward"), amountAfter(next, "Brought forward")
		if c == "" || c != b {
			t.Errorf("page %d carries %q, page %d brings %q", i+1, c, i+2, b)
		}
	}
}

// amountAfter is the first amount after a label.
func amountAfter(s, label string) string {
	i := strings.Index(s, label)
	if i < 0 {
		return ""
	}
	m := amountRE.FindString(s[i+len(label):])
	return m
}

var amountRE = regexp.MustCompile(`[0-9][0-9,.]*\s?EUR`)

// TestLayout: the theme's layout file is read, and a bad one is refused
// with the field named.
func TestLayout(t *testing.T) {
	th, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	l, err := pdf.LoadLayout(th.FS())
	if err != nil || l != pdf.DefaultLayout {
		t.Fatalf("the default theme's layout = %+v, %v", l, err)
	}
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "pdf"), 0o755)
	for body, want := range map[string]string{`{"primary": "blue"}`: "colour", `{"font_size": 40}`: "font_size", `{`: "pdf/layout.json"} {
		os.WriteFile(filepath.Join(dir, "pdf", "layout.json"), []byte(body), 0o644)
		if _, err := pdf.LoadLayout(os.DirFS(dir)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", body, err, want)
		}
	}
	os.WriteFile(filepath.Join(dir, "pdf", "layout.json"), []byte(`{"primary": "#aa0000", "footer": "Registered in Berlin"}`), 0o644)
	if l, err := pdf.LoadLayout(os.DirFS(dir)); err != nil || l.Primary != "#aa0000" || l.Footer != "Registered in Berlin" || l.FontSize != pdf.DefaultLayout.FontSize {
		t.Errorf("an operator's layout = %+v, %v", l, err)
	}
	if _, err := pdf.New(t.TempDir(), th, pdf.DefaultLayout); err == nil || !strings.Contains(err.Error(), "fonts-dejavu-core") {
		t.Errorf("no fonts: %v", err)
	}
}

// TestScripts: names in every European script print (the fonts keep
// Latin, Greek and Cyrillic).
func TestScripts(t *testing.T) {
	r := renderer(t)
	c := documenttest.Cases("en")[1]
	d, err := document.Build(c.Invoice, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Ελληνική Φιλοξενία Α.Ε.", "Łódź Hosting sp. z o.o.", "Antonín Dvořák s.r.o.", "Хостинг България ЕООД", "Ærø Øresund ApS – „€ 5“"}
	d.Buyer.Name, d.Buyer.Address1, d.Buyer.Address2 = names[0], names[1], names[2]
	d.Buyer.City, d.Buyer.Region = names[3], names[4]
	b, err := r.Render(pdf.Input{Doc: d})
	if err != nil {
		t.Fatal(err)
	}
	txt := pdfText(t, b)
	for _, n := range names {
		if !strings.Contains(txt, n) {
			t.Errorf("%q does not print", n)
		}
	}
}
