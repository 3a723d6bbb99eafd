package einvoice_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"faktura/billing/document"
	"faktura/billing/document/documenttest"
	"faktura/billing/einvoice"
)

// output is one e-invoice of a sample document.
type output struct {
	file    string // name under testdata
	profile einvoice.Profile
	xml     []byte
}

// outputs renders every sample document, in its buyer's usual language,
// as EN 16931 UBL and CII; the public buyer's also as XRechnung (UBL and
// CII), and those whose buyer has a Peppol id also as Peppol BIS 3.
func outputs(t *testing.T) []output {
	t.Helper()
	var out []output
	add := func(c documenttest.Case, d document.Document, s einvoice.Syntax, p einvoice.Profile) {
		b, err := einvoice.Write(d, s, p)
		if err != nil {
			t.Fatalf("%s %s %s: %v", c.Name, s, p, err)
		}
		out = append(out, output{file: c.Name + "." + string(p) + "." + string(s) + ".xml", profile: p, xml: b})
	}
	for _, c := range documenttest.Cases(langOf["x"]) {
		lang := langOf[c.Name]
		for _, lc := range documenttest.Cases(lang) {
			if lc.Name == c.Name {
				c = lc
			}
		}
		d, err := document.Build(c.Invoice, c.Credits, nil)
		if err != nil {
			t.Fatal(err)
		}
		add(c, d, einvoice.UBL, einvoice.EN16931)
		add(c, d, einvoice.CII, einvoice.EN16931)
		if d.Buyer.EndpointID != "" {
			add(c, d, einvoice.UBL, einvoice.Peppol)
		}
		if c.Name == "public_authority" {
			add(c, d, einvoice.UBL, einvoice.XRechnung)
			add(c, d, einvoice.CII, einvoice.XRechnung)
		}
	}
	return out
}

// langOf is each sample's language (its buyer's); English otherwise.
var langOf = map[string]string{"x": "en", "domestic": "de", "credit_note": "de", "consolidated": "de", "public_authority": "de",
	"exempt": "de", "reverse_charge": "fr", "reseller": "fr", "outside_scope": "en"}

// TestGolden: every sample's e-invoices match their golden files
// (go test -update rewrites them), and rendering again gives the same bytes.
func TestGolden(t *testing.T) {
	first, again := outputs(t), outputs(t)
	want := map[string]bool{}
	for _, o := range first {
		want[o.file] = true
	}
	stored, _ := filepath.Glob("testdata/*.xml")
	for _, f := range stored {
		if !want[filepath.Base(f)] {
			t.Errorf("%s is no sample's output: remove it", f)
		}
	}
	for i, o := range first {
		t.Run(o.file, func(t *testing.T) {
			if !bytes.Equal(o.xml, again[i].xml) {
				t.Fatal("a second rendering differs")
			}
			documenttest.Golden(t, filepath.Join("testdata", o.file), o.xml)
		})
	}
}

// TestRules: the business terms the rules hinge on.
func TestRules(t *testing.T) {
	files := map[string]string{}
	for _, o := range outputs(t) {
		files[o.file] = string(o.xml)
	}
	for _, tc := range []struct {
		file      string
		has, lack []string
	}{
		{"outside_scope.en16931.ubl.xml", []string{"<cbc:ID>O</cbc:ID>", "VATEX-EU-O", "<cbc:CompanyID>HRB 12345 B</cbc:CompanyID>"}, []string{"<cbc:Percent>", "DE136695976</cbc:CompanyID>"}},
		{"outside_scope.en16931.cii.xml", []string{"<ram:CategoryCode>O</ram:CategoryCode>", "VATEX-EU-O"}, []string{`schemeID="VA"`, "RateApplicablePercent"}},
		{"reverse_charge.en16931.ubl.xml", []string{"<cbc:CompanyID>FR40303265045</cbc:CompanyID>", "<cbc:CompanyID>DE136695976</cbc:CompanyID>", "VATEX-EU-AE", "Steuerschuldnerschaft des Leistungsempfängers", "Reverse charge"}, nil},
		{"reverse_charge.en16931.cii.xml", []string{"<ram:BuyerOrderReferencedDocument>", "<ram:IssuerAssignedID>BC-2026-118</ram:IssuerAssignedID>"}, nil},
		{"reverse_charge.peppol.ubl.xml", []string{"<cac:OrderReference>\n    <cbc:ID>BC-2026-118</cbc:ID>", `<cbc:EndpointID schemeID="0009">30326504500017</cbc:EndpointID>`, `<cbc:EndpointID schemeID="9930">DE136695976</cbc:EndpointID>`}, nil},
		{"credit_note.en16931.ubl.xml", []string{"<CreditNote ", "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>", "<cbc:ID>INV-2026-000011</cbc:ID>", "<cac:CreditNoteLine>", "<cbc:PaymentMeansCode>ZZZ</cbc:PaymentMeansCode>"}, []string{"<cbc:DueDate>", "<cbc:PaymentID>"}},
		{"domestic.en16931.cii.xml", []string{"<ram:StartDateTime>\n          <udt:DateTimeString format=\"102\">20261101</udt:DateTimeString>", "<udt:DateTimeString format=\"102\">20271031</udt:DateTimeString>"}, nil},
		{"credit_note.en16931.cii.xml", []string{"<ram:TypeCode>381</ram:TypeCode>", "<ram:IssuerAssignedID>INV-2026-000011</ram:IssuerAssignedID>"}, nil},
		{"domestic.en16931.ubl.xml", []string{"<cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>", "<cbc:PaymentID>RF", "DE89370400440532013000", "<cbc:PayableAmount currencyID=\"EUR\">14712.67</cbc:PayableAmount>", "Zahlbar bis 16.11.2026."}, []string{"PrepaidAmount"}},
		{"public_authority.xrechnung.ubl.xml", []string{"<cbc:BuyerReference>04011000-1234512345-06</cbc:BuyerReference>", "xrechnung_3.0", "<cbc:Telephone>+49 30 1234567</cbc:Telephone>"}, nil},
		{"consolidated.en16931.ubl.xml", []string{"<cbc:Note>kunde.de</cbc:Note>", "<cbc:Note>shop.kunde.de</cbc:Note>"}, nil},
		{"reseller.en16931.ubl.xml", []string{`<cbc:CompanyID schemeID="0002">303265045</cbc:CompanyID>`, "Prestations de services", "FR1420041010050500013M02606", "<cbc:Percent>20</cbc:Percent>"}, nil},
	} {
		x, ok := files[tc.file]
		if !ok {
			t.Errorf("no %s", tc.file)
			continue
		}
		for _, s := range tc.has {
			if !strings.Contains(x, s) {
				t.Errorf("%s lacks %s", tc.file, s)
			}
		}
		for _, s := range tc.lack {
			if strings.Contains(x, s) {
				t.Errorf("%s has %s", tc.file, s)
			}
		}
	}
}

// validator finds the EN 16931 validation kit: FAKTURA_EINVOICE_VALIDATOR
// or ../shared/einvoice/validate.sh beside the repository.
func validator(t *testing.T) string {
	if v := os.Getenv("FAKTURA_EINVOICE_VALIDATOR"); v != "" {
		return v
	}
	v, _ := filepath.Abs("../../../shared/einvoice/validate.sh")
	if _, err := os.Stat(v); err != nil {
		t.Skipf("the EN 16931 validator is not here (%s): e-invoices are checked only against their golden files", v)
	}
	return v
}

var verdictRE = regexp.MustCompile(`(?m)^-- (VALID|INVALID): (\S+)`)

// TestValidator: every e-invoice passes the official rules of its
// profile (EN 16931, XRechnung, Peppol BIS 3) with no fatal finding.
func TestValidator(t *testing.T) {
	v := validator(t)
	dir := t.TempDir()
	byProfile := map[einvoice.Profile][]string{}
	for _, o := range outputs(t) {
		p := filepath.Join(dir, o.file)
		if err := os.WriteFile(p, o.xml, 0o644); err != nil {
			t.Fatal(err)
		}
		byProfile[o.profile] = append(byProfile[o.profile], p)
	}
	var wg sync.WaitGroup
	for profile, files := range byProfile {
		wg.Go(func() {
			cmd := exec.Command(v, append([]string{"--profile", string(profile)}, files...)...)
			out, err := cmd.CombinedOutput()
			verdicts := verdictRE.FindAllStringSubmatch(string(out), -1)
			if len(verdicts) != len(files) {
				t.Errorf("%s: %d verdicts for %d files (%v):\n%s", profile, len(verdicts), len(files), err, out)
				return
			}
			for _, m := range verdicts {
				if m[1] != "VALID" {
					t.Errorf("%s: %s is invalid:\n%s", profile, filepath.Base(m[2]), out)
				}
			}
			if err != nil && !t.Failed() {
				t.Errorf("%s: validator: %v\n%s", profile, err, out)
			}
			if !t.Failed() {
				t.Logf("%s: %d files valid", profile, len(files))
			}
		})
	}
	wg.Wait()
}

// TestRefused: what has no e-invoice gets a clear error.
func TestRefused(t *testing.T) {
	c := documenttest.Cases("en")[0] // domestic
	d, err := document.Build(c.Invoice, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	draft := d
	draft.Number = ""
	noPeppol := d
	noPeppol.Buyer.EndpointID, noPeppol.Buyer.VATID = "", ""
	for name, tc := range map[string]struct {
		d    document.Document
		s    einvoice.Syntax
		p    einvoice.Profile
		want string
	}{
		"a draft":                   {draft, einvoice.UBL, einvoice.EN16931, "draft"},
		"Peppol without a buyer id": {noPeppol, einvoice.UBL, einvoice.Peppol, "buyer.endpoint_id"},
		"Peppol in CII":             {d, einvoice.CII, einvoice.Peppol, "no cii e-invoice"},
		"an unknown profile":        {d, einvoice.UBL, "zugferd-1", "unknown e-invoice profile"},
	} {
		if _, err := einvoice.Write(tc.d, tc.s, tc.p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error naming %q", name, err, tc.want)
		}
	}
}
