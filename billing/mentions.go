package billing

import (
	"regexp"
	"slices"
	"strings"

	"faktura/panel/core"
)

// E-invoice formats a buyer may ask for in its billing profile; with none
// it gets the PDF (a Factur-X file, which carries the CII XML) alone.
const (
	EInvoiceNone      = ""
	EInvoiceUBL       = "ubl"       // EN 16931, UBL 2.1
	EInvoiceCII       = "cii"       // EN 16931, UN/CEFACT CII D16B
	EInvoiceXRechnung = "xrechnung" // German public buyers: the Leitweg-ID as buyer reference
	EInvoicePeppol    = "peppol"    // Peppol BIS Billing 3.0: both parties' endpoint ids
)

// EInvoiceFormats lists the formats in the order the profile page shows them.
var EInvoiceFormats = []string{EInvoiceNone, EInvoiceUBL, EInvoiceCII, EInvoiceXRechnung, EInvoicePeppol}

// easSchemes are the electronic address schemes of the CEF EAS code list
// that EN 16931 accepts (BR-CL-25, validation artefacts 1.3.16).
var easSchemes = strings.Fields(`0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177
	0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205 0208 0209 0210 0211 0212 0213
	0215 0216 0217 0218 0219 0220 0221 0225 0230 0235 0240 0244 0242 0245 0246 0248 9910 9913 9914 9915 9918 9919 9920 9922
	9923 9924 9925 9926 9927 9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946
	9947 9948 9949 9950 9951 9952 9953 9957 9959 AN AQ AS AU EM`)

// SplitEndpoint reads an electronic address "scheme:id".
func SplitEndpoint(s string) (scheme, id string, ok bool) {
	scheme, id, ok = strings.Cut(s, ":")
	return scheme, id, ok && id != "" && len(id) <= 100 && !strings.ContainsAny(id, " \t") && slices.Contains(easSchemes, scheme)
}

// leitwegRE is the form of a Leitweg-ID: the coarse address (2-12
// digits), an optional fine address (up to 30 letters and digits) and two
// check digits, joined by hyphens.
var leitwegRE = regexp.MustCompile(`^[0-9]{2,12}(-[A-Za-z0-9]{1,30})?-[0-9]{2}$`)

// LeitwegProblem checks a Leitweg-ID: its form and its ISO 7064 MOD 97-10
// check digits; "" for a good one.
func LeitwegProblem(id string) string {
	if !leitwegRE.MatchString(id) {
		return "is not a Leitweg-ID (e.g. 04011000-1234512345-06)"
	}
	if Mod97(strings.ToUpper(strings.ReplaceAll(id, "-", ""))) != 1 {
		return "has wrong check digits: check the Leitweg-ID for a typo"
	}
	return ""
}

var phoneRE = regexp.MustCompile(`^\+?[0-9 ()./-]{3,40}$`)

func (in *ProfileInput) validateEInvoice(v *core.ValidationError) {
	for _, f := range []*string{&in.TaxNumber, &in.Phone, &in.EndpointID, &in.BuyerReference, &in.EInvoice, &in.OrderReference} {
		*f = strings.TrimSpace(*f)
	}
	if len(in.TaxNumber) > 40 {
		v.Add("tax_number", "must be at most 40 characters")
	}
	if in.Phone != "" && (!phoneRE.MatchString(in.Phone) || len(strings.Map(keepDigits, in.Phone)) < 3) {
		v.Add("phone", "is not a telephone number (digits, spaces, +, -, /, parentheses; at least three digits)")
	}
	if in.EndpointID != "" {
		if _, _, ok := SplitEndpoint(in.EndpointID); !ok {
			v.Add("endpoint_id", "must be scheme:identifier with a scheme of the EAS code list, e.g. 0088:4000001000005 or 9930:DE136695976")
		}
	}
	if len(in.BuyerReference) > 100 {
		v.Add("buyer_reference", "must be at most 100 characters")
	}
	if len(in.OrderReference) > 100 {
		v.Add("order_reference", "must be at most 100 characters")
	}
	if !slices.Contains(EInvoiceFormats, in.EInvoice) {
		v.Add("einvoice", "must be empty (PDF only), ubl, cii, xrechnung or peppol")
	}
	switch in.EInvoice {
	case EInvoiceXRechnung:
		if in.BuyerReference == "" {
			v.Add("buyer_reference", "is required for XRechnung: the buyer's Leitweg-ID")
		} else {
			v.Check("buyer_reference", LeitwegProblem(in.BuyerReference))
		}
	case EInvoicePeppol:
		if in.EndpointID == "" {
			v.Add("endpoint_id", "is required for Peppol: the buyer's Peppol participant id")
		}
	}
}

func keepDigits(r rune) rune {
	if r >= '0' && r <= '9' {
		return r
	}
	return -1
}

// sirenRE matches a SIREN (9 digits) or a SIRET (14 digits).
var sirenRE = regexp.MustCompile(`^([0-9]{9}|[0-9]{14})$`)

// SellerMentionsProblem reports the ids a seller must print on its
// invoices under its country's law that its billing profile lacks, and
// what the buyer's e-invoice needs of the seller. Nothing missing is
// nil. Fields are the seller's billing profile fields.
//
//   - FR: SIREN or SIRET (registration id; art. 242 nonies A annexe II CGI)
//   - DE: Steuernummer or USt-IdNr (§ 14 Abs. 4 Nr. 2 UStG)
//   - IT: Partita IVA (VAT id; art. 21 DPR 633/1972)
//   - DK: CVR (registration id or the DK VAT id, which is DK + CVR)
//   - XRechnung for the buyer: the seller's telephone, e-mail, postcode and city (BR-DE-3..7)
func SellerMentionsProblem(seller, buyer Party) error {
	var v core.ValidationError
	switch seller.Country {
	case "FR":
		if !sirenRE.MatchString(strings.ReplaceAll(seller.RegistrationID, " ", "")) {
			v.Add("seller.registration_id", "the seller's SIREN or SIRET (9 or 14 digits) must be on French invoices: set it in the seller's billing profile")
		}
	case "DE":
		if seller.VATID == "" && seller.TaxNumber == "" {
			v.Add("seller.tax_number", "the seller's Steuernummer or USt-IdNr must be on German invoices: set one in the seller's billing profile")
		}
	case "IT":
		if seller.VATID == "" {
			v.Add("seller.vat_id", "the seller's Partita IVA must be on Italian invoices: set the VAT id in the seller's billing profile")
		}
	case "DK":
		if seller.RegistrationID == "" && !strings.HasPrefix(seller.VATID, "DK") {
			v.Add("seller.registration_id", "the seller's CVR number must be on Danish invoices: set it (or the DK VAT id) in the seller's billing profile")
		}
	}
	if buyer.EInvoice == EInvoiceXRechnung {
		for f, val := range map[string]string{"phone": seller.Phone, "email": seller.Email, "postal_code": seller.PostalCode, "city": seller.City} {
			if val == "" {
				v.Addf("seller."+f, "the buyer wants XRechnung, which needs the seller's %s: set it in the seller's billing profile", strings.ReplaceAll(f, "_", " "))
			}
		}
	}
	return v.Err()
}

// ReverseChargeProblem is the field error of a reverse-charge document
// whose seller has no VAT id: the invoice must carry it (Art. 226(3) of
// Directive 2006/112/EC; EN 16931 BR-AE-02).
func ReverseChargeProblem(seller Party, cat Category) error {
	if cat == CategoryReverseCharge && seller.VATID == "" {
		return core.Invalid("seller.vat_id", "a reverse-charge invoice must carry the seller's VAT id (Art. 226(3) of Directive 2006/112/EC): set it in the seller's billing profile")
	}
	return nil
}

// IsDigits reports whether s is one or more ASCII digits.
func IsDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
