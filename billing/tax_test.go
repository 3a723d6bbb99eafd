package billing

import (
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"faktura/panel/core"
)

var jan2026 = mustDay("2026-01-01")

func TestDecideTax(t *testing.T) {
	lines := []int64{1999, 1000, 1} // three lines, net 30.00
	cases := []struct {
		name     string
		seller   TaxSeller
		buyer    TaxBuyer
		fb       ViesFallback
		cat      Category
		rate     string
		basis    string
		note     string // substring of the English note
		flag     string
		tax, tot int64
	}{
		{"DE->DE consumer", TaxSeller{Country: "DE", VATID: "DE136695976", Destination: true}, TaxBuyer{Country: "DE"}, FallbackLastValid, "S", "19", BasisDomestic, "", "", 570, 3570},
		{"DE->DE business pays German VAT too", TaxSeller{Country: "DE", VATID: "DE136695976", Destination: true}, TaxBuyer{Country: "DE", VATID: "DE811907980", VAT: VATValid}, FallbackLastValid, "S", "19", BasisDomestic, "", "", 570, 3570},
		{"DE->FR business with valid VAT id", TaxSeller{Country: "DE", VATID: "DE136695976", Destination: true}, TaxBuyer{Country: "FR", VATID: "FR40303265045", VAT: VATValid}, FallbackLastValid, "AE", "0", BasisReverseCharge, "Reverse charge", "", 0, 3000},
		{"DE->FR business VIES rejects", TaxSeller{Country: "DE", VATID: "DE136695976", Destination: true}, TaxBuyer{Country: "FR", VATID: "FR40303265045", VAT: VATInvalid}, FallbackLastValid, "S", "20", BasisOSS, "", "", 600, 3600},
		{"DE->FR VIES down, last answer valid", TaxSeller{Country: "DE", VATID: "DE136695976", Destination: true}, TaxBuyer{Country: "FR", VATID: "FR40303265045", VAT: VATUnavailable, LastValid: true}, FallbackLastValid, "AE", "0", BasisReverseCharge, "Reverse charge", FlagVATUnverified, 0, 3000},
		{"DE->FR VIES down, consumer fallback", TaxSeller{Country: "DE", VATID: "DE136695976", Destination: true}, TaxBuyer{Country: "FR", VATID: "FR40303265045", VAT: VATUnavailable, LastValid: true}, FallbackConsumer, "S", "20", BasisOSS, "", FlagVATUnverified, 600, 3600},
		{"DE->FR VIES down, never valid", TaxSeller{Country: "DE", VATID: "DE136695976", Destination: true}, TaxBuyer{Country: "FR", VATID: "FR40303265045", VAT: VATUnavailable}, FallbackLastValid, "S", "20", BasisOSS, "", FlagVATUnverified, 600, 3600},
		{"DE->IT consumer", TaxSeller{Country: "DE", VATID: "DE136695976", Destination: true}, TaxBuyer{Country: "IT"}, FallbackLastValid, "S", "22", BasisOSS, "", "", 660, 3660},
		{"FR->DK consumer", TaxSeller{Country: "FR", VATID: "FR40303265045", Destination: true}, TaxBuyer{Country: "DK"}, FallbackLastValid, "S", "25", BasisOSS, "", "", 750, 3750},
		{"DK->US business", TaxSeller{Country: "DK", VATID: "DK13585628", Destination: true}, TaxBuyer{Country: "US", VATID: "12-3456789"}, FallbackLastValid, "O", "0", BasisOutsideEU, "outside the EU", "", 0, 3000},
		{"IT->IT domestic", TaxSeller{Country: "IT", VATID: "IT00743110157", Destination: true}, TaxBuyer{Country: "IT"}, FallbackLastValid, "S", "22", BasisDomestic, "", "", 660, 3660},
		{"FI consumer at 25.5", TaxSeller{Country: "DE", VATID: "", Destination: true}, TaxBuyer{Country: "FI"}, FallbackLastValid, "S", "25.5", BasisOSS, "", "", 765, 3765},
		{"exempt customer", TaxSeller{Country: "DE", VATID: "", Destination: true}, TaxBuyer{Country: "DE", Exempt: true, ExemptReason: "§ 4 Nr. 21 UStG"}, FallbackLastValid, "E", "0", BasisExempt, "Exempt from VAT: § 4 Nr. 21 UStG", "", 0, 3000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := DecideTax(tc.seller, tc.buyer, jan2026, tc.fb)
			if err != nil {
				t.Fatal(err)
			}
			if d.Category != tc.cat || d.Rate.String() != tc.rate || d.Basis != tc.basis || d.Flag != tc.flag {
				t.Errorf("got %s %s%% %s flag %q; want %s %s%% %s flag %q", d.Category, d.Rate, d.Basis, d.Flag, tc.cat, tc.rate, tc.basis, tc.flag)
			}
			note := TaxNote(d, tc.seller.Country, "en")
			if (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
				t.Errorf("note = %q, want one containing %q", note, tc.note)
			}
			var taxed []TaxedLine
			for _, n := range lines {
				taxed = append(taxed, TaxedLine{Net: n, Category: d.Category, Rate: d.Rate})
			}
			tl, err := TaxBreakdown("EUR", taxed)
			if err != nil || len(tl) != 1 {
				t.Fatalf("breakdown = %v, %v", tl, err)
			}
			if tl[0].Base != 3000 || tl[0].Tax != tc.tax || tl[0].Base+tl[0].Tax != tc.tot {
				t.Errorf("base %d tax %d total %d; want 3000, %d, %d", tl[0].Base, tl[0].Tax, tl[0].Base+tl[0].Tax, tc.tax, tc.tot)
			}
		})
	}
}

func TestDecideTaxNeedsCountries(t *testing.T) {
	_, err := DecideTax(TaxSeller{Country: "DE"}, TaxBuyer{}, jan2026, FallbackLastValid)
	var v *core.ValidationError
	if !errors.As(err, &v) || v.Fields["country"] == "" {
		t.Fatalf("missing buyer country: err = %v, want a field error on country", err)
	}
}

// VAT is computed on the sum per category and rate, not per line: seven
// lines of 0.07 at 19% give 0.49 * 19% = 0.0931 -> 0.09, where rounding each
// line (0.0133 -> 0.01) would give 0.07.
func TestVATOnCategorySums(t *testing.T) {
	var taxed []TaxedLine
	for range 7 {
		taxed = append(taxed, TaxedLine{Net: 7, Category: "S", Rate: decimal.NewFromInt(19)})
	}
	taxed = append(taxed, TaxedLine{Net: 1000, Category: "S", Rate: decimal.NewFromInt(7)})
	tl, err := TaxBreakdown("EUR", taxed)
	if err != nil {
		t.Fatal(err)
	}
	want := []TaxLine{{Category: "S", Rate: "19", Base: 49, Tax: 9}, {Category: "S", Rate: "7", Base: 1000, Tax: 70}}
	if len(tl) != 2 || tl[0] != want[0] || tl[1] != want[1] {
		t.Fatalf("breakdown = %+v, want %+v", tl, want)
	}
}

func TestStandardRatesOn20260101(t *testing.T) {
	want := map[string]string{"AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25", "EE": "24", "ES": "21",
		"FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27", "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18",
		"NL": "21", "PL": "23", "PT": "23", "RO": "21", "SE": "25", "SI": "22", "SK": "23"}
	if len(want) != 27 || len(euStates) != 27 {
		t.Fatalf("%d expected rates, %d member states; want 27", len(want), len(euStates))
	}
	for c, w := range want {
		got, ok := StandardRate(c, jan2026)
		if !ok || got.String() != w {
			t.Errorf("%s on 2026-01-01 = %s (%v), want %s", c, got, ok, w)
		}
	}
	// Dated: the rate in force on a day, not the latest.
	for _, tc := range []struct{ c, day, want string }{{"DE", "2020-08-01", "16"}, {"DE", "2021-01-01", "19"}, {"EE", "2025-06-30", "22"},
		{"FI", "2024-08-31", "24"}, {"SK", "2024-12-31", "20"}, {"RO", "2025-07-31", "19"}, {"LU", "2023-06-01", "16"}} {
		if got, _ := StandardRate(tc.c, mustDay(tc.day)); got.String() != tc.want {
			t.Errorf("%s on %s = %s, want %s", tc.c, tc.day, got, tc.want)
		}
	}
	if _, ok := StandardRate("US", jan2026); ok {
		t.Error("US has an EU rate")
	}
}

func TestNormalizeVATID(t *testing.T) {
	cases := []struct {
		country, in, want string
		bad               bool
	}{
		{"DE", "de 136.695.976", "DE136695976", false},
		{"DE", "136695976", "DE136695976", false},
		{"DE", "DE136695977", "", true}, // check digit
		{"DE", "DE12345678", "", true},  // 8 digits
		{"FR", "FR40303265045", "FR40303265045", false},
		{"FR", "FR41303265045", "", true}, // key
		{"IT", "IT00743110157", "IT00743110157", false},
		{"IT", "IT00743110158", "", true},
		{"DK", "DK13585628", "DK13585628", false},
		{"DK", "DK13585627", "", true},
		{"GR", "EL094014201", "EL094014201", false},
		{"GR", "GR094014201", "", true}, // VIES uses EL
		{"AT", "ATU13585627", "ATU13585627", false},
		{"NL", "NL123456789B01", "NL123456789B01", false},
		{"NL", "NL123456789", "", true},
		{"DE", "FR40303265045", "", true}, // another state's prefix
		{"US", "DE136695976", "", true},   // not a member state
		{"DE", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.country+"/"+tc.in, func(t *testing.T) {
			got, err := NormalizeVATID(tc.country, tc.in)
			var v *core.ValidationError
			if tc.bad {
				if !errors.As(err, &v) || v.Fields["vat_id"] == "" {
					t.Fatalf("NormalizeVATID(%s, %q) = %q, %v; want a vat_id field error", tc.country, tc.in, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("NormalizeVATID(%s, %q) = %q, %v; want %q", tc.country, tc.in, got, err, tc.want)
			}
		})
	}
}
