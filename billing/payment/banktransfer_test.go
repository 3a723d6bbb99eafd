package payment_test

import (
	"strings"
	"testing"

	"faktura/billing"
	"faktura/billing/payment"
)

func TestCreditorReference(t *testing.T) {
	cases := []struct{ number, want string }{
		{"539007547034", "RF18539007547034"},     // the example of ISO 11649
		{"INV-2026-000042", "RF54INV2026000042"}, // checked by hand: 98 - (INV2026000042RF00 mod 97)
		{"R-2026-000001", "RF17R2026000001"},
	}
	for _, tc := range cases {
		got, err := payment.CreditorReference(tc.number)
		if err != nil || got != tc.want || !payment.ValidCreditorReference(got) {
			t.Errorf("CreditorReference(%q) = %q, %v; want %q", tc.number, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "---", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"} {
		if _, err := payment.CreditorReference(bad); err == nil {
			t.Errorf("CreditorReference(%q) made a reference", bad)
		}
	}
	if payment.ValidCreditorReference("RF19539007547034") {
		t.Error("a reference with wrong check digits passed")
	}
}

func TestIBAN(t *testing.T) {
	cases := []struct {
		iban string
		ok   bool
	}{
		{"DE89370400440532013000", true},
		{"FR1420041010050500013M02606", true},
		{"IT60X0542811101000000123456", true},
		{"DK5000400440116243", true},
		{"DE89370400440532013001", false}, // a typo
		{"XX89370400440532013000", false},
		{"DE8937040044", false},
		{"", true}, // none
	}
	for _, tc := range cases {
		if got := billing.IBANProblem(tc.iban) == ""; got != tc.ok {
			t.Errorf("IBANProblem(%q) = %q", tc.iban, billing.IBANProblem(tc.iban))
		}
	}
}

func TestEPCPayload(t *testing.T) {
	got, err := payment.EPCPayload("Nordlicht Hosting GmbH", "DE89370400440532013000", "COBADEFFXXX", 2380, "EUR", "RF54INV2026000042")
	want := "BCD\n002\n1\nSCT\nCOBADEFFXXX\nNordlicht Hosting GmbH\nDE89370400440532013000\nEUR23.80\n\nRF54INV2026000042\n"
	if err != nil || got != want {
		t.Errorf("EPCPayload = %q, %v\nwant %q", got, err, want)
	}
	for name, call := range map[string]func() (string, error){
		"dollars": func() (string, error) { return payment.EPCPayload("N", "DE89370400440532013000", "", 100, "USD", "") },
		"zero":    func() (string, error) { return payment.EPCPayload("N", "DE89370400440532013000", "", 0, "EUR", "") },
		"no IBAN": func() (string, error) { return payment.EPCPayload("N", "", "", 100, "EUR", "") },
		"too much": func() (string, error) {
			return payment.EPCPayload("N", "DE89370400440532013000", "", 100000000000, "EUR", "")
		},
	} {
		if _, err := call(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if g := payment.GroupIBAN("DE89370400440532013000"); g != "DE89 3704 0044 0532 0130 00" || strings.Count(g, " ") != 5 {
		t.Errorf("GroupIBAN = %q", g)
	}
}
