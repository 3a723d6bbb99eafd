package facturx_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"faktura/billing/document"
	"faktura/billing/document/documenttest"
	"faktura/billing/document/facturx"
	"faktura/billing/document/pdf"
	"faktura/billing/einvoice"
	"faktura/themes"
)

func sample(t *testing.T, name string) ([]byte, []byte) {
	t.Helper()
	th, err := themes.Load("")
	if err != nil {
		t.Fatal(err)
	}
	r, err := pdf.New("/usr/share/fonts/truetype/dejavu", th, pdf.DefaultLayout)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range documenttest.Cases("de") {
		if c.Name != name {
			continue
		}
		d, err := document.Build(c.Invoice, c.Credits, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := r.Render(pdf.Input{Doc: d})
		if err != nil {
			t.Fatal(err)
		}
		x, err := einvoice.Write(d, einvoice.CII, einvoice.EN16931)
		if err != nil {
			t.Fatal(err)
		}
		return p, x
	}
	t.Fatalf("no sample %s", name)
	return nil, nil
}

func qpdf(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("qpdf", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("qpdf %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestEmbed: the Factur-X file is a sound PDF (qpdf checks it) that
// carries the CII XML as factur-x.xml with AFRelationship /Alternative,
// declares PDF/A-3B and Factur-X EN 16931 in its XMP metadata, still
// reads as the invoice, and is the same every time.
func TestEmbed(t *testing.T) {
	if _, err := exec.LookPath("qpdf"); err != nil {
		t.Fatal("qpdf is missing: the test command installs it")
	}
	for _, name := range []string{"domestic", "credit_note"} {
		t.Run(name, func(t *testing.T) {
			p, x := sample(t, name)
			m := facturx.Meta{Title: "Rechnung", Author: "Hosting Operator GmbH", Created: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
				Conformance: "EN 16931", DocType: "INVOICE"}
			fx, err := facturx.Embed(p, x, m)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := facturx.Embed(p, x, m)
			if !bytes.Equal(fx, again) {
				t.Error("a second embedding differs")
			}
			f := filepath.Join(t.TempDir(), "fx.pdf")
			os.WriteFile(f, fx, 0o644)
			if dir := os.Getenv("FAKTURA_TEST_ARTIFACTS"); dir != "" {
				os.WriteFile(filepath.Join(dir, "facturx-"+name+".pdf"), fx, 0o644)
			}
			if out := qpdf(t, "--check", f); !strings.Contains(out, "No syntax or stream encoding errors") {
				t.Errorf("qpdf --check:\n%s", out)
			}
			conf := model.NewDefaultConfiguration()
			conf.ValidationMode = model.ValidationRelaxed
			if err := api.Validate(bytes.NewReader(fx), conf); err != nil {
				t.Errorf("pdfcpu validate: %v", err)
			}
			if out := qpdf(t, "--list-attachments", f); !strings.Contains(out, "factur-x.xml") {
				t.Errorf("attachments: %s", out)
			}
			if got := qpdf(t, "--show-attachment=factur-x.xml", f); got != string(x) {
				t.Errorf("the attachment is not the XML:\n%.300s", got)
			}
			json := qpdf(t, "--json=1", "--json-key=objects", f)
			for _, want := range []string{`"/AFRelationship": "/Alternative"`, `"/Subtype": "/text#2fxml"`, `"/S": "/GTS_PDFA1"`, `"/AF": [`} {
				if !strings.Contains(json, want) {
					t.Errorf("the PDF lacks %s", want)
				}
			}
			for _, want := range []string{"<pdfaid:part>3</pdfaid:part>", "<pdfaid:conformance>B</pdfaid:conformance>",
				"<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>", "<fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>"} {
				if !bytes.Contains(fx, []byte(want)) {
					t.Errorf("the XMP metadata lacks %s", want)
				}
			}
			txt, err := exec.Command("pdftotext", f, "-").Output()
			if err != nil || !strings.Contains(string(txt), "Hosting Operator GmbH") {
				t.Errorf("pdftotext: %v", err)
			}
		})
	}
}

// TestRefusesForeignPDF: a PDF this writer cannot update is an error.
func TestRefusesForeignPDF(t *testing.T) {
	if _, err := facturx.Embed([]byte("%PDF-1.7\nnot really\n"), []byte("<x/>"), facturx.Meta{}); err == nil {
		t.Error("want an error")
	}
}

// TestSRGBProfile: the output intent's profile is a well-formed ICC
// header: its size, the acsp signature, RGB and the tag count.
func TestSRGBProfile(t *testing.T) {
	p := facturx.SRGBProfile()
	if int(uint32(p[0])<<24|uint32(p[1])<<16|uint32(p[2])<<8|uint32(p[3])) != len(p) || string(p[36:40]) != "acsp" || string(p[16:20]) != "RGB " || p[131] != 9 {
		t.Errorf("profile header % x", p[:132])
	}
}
