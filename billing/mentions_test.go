package billing_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
)

// TestSellerMentions: the ids each seller country's invoices must carry,
// and what a buyer's XRechnung needs of the seller.
func TestSellerMentions(t *testing.T) {
	full := billing.Party{Phone: "+49 30 1234567", Email: "billing@op.test", PostalCode: "10115", City: "Berlin"}
	with := func(p billing.Party, f func(*billing.Party)) billing.Party { f(&p); return p }
	xr := billing.Party{EInvoice: billing.EInvoiceXRechnung}
	for _, tc := range []struct {
		name   string
		seller billing.Party
		buyer  billing.Party
		field  string // "" when nothing is missing
	}{
		{"FR with SIREN", with(full, func(p *billing.Party) { p.Country, p.RegistrationID = "FR", "303265045" }), billing.Party{}, ""},
		{"FR with SIRET", with(full, func(p *billing.Party) { p.Country, p.RegistrationID = "FR", "303 265 045 00017" }), billing.Party{}, ""},
		{"FR without", with(full, func(p *billing.Party) { p.Country, p.VATID = "FR", "FR40303265045" }), billing.Party{}, "seller.registration_id"},
		{"FR with an RCS text", with(full, func(p *billing.Party) { p.Country, p.RegistrationID = "FR", "RCS Paris" }), billing.Party{}, "seller.registration_id"},
		{"DE with USt-IdNr", with(full, func(p *billing.Party) { p.Country, p.VATID = "DE", "DE136695976" }), billing.Party{}, ""},
		{"DE with Steuernummer", with(full, func(p *billing.Party) { p.Country, p.TaxNumber = "DE", "27/123/45678" }), billing.Party{}, ""},
		{"DE without", with(full, func(p *billing.Party) { p.Country, p.RegistrationID = "DE", "HRB 1" }), billing.Party{}, "seller.tax_number"},
		{"IT with Partita IVA", with(full, func(p *billing.Party) { p.Country, p.VATID = "IT", "IT00743110157" }), billing.Party{}, ""},
		{"IT without", with(full, func(p *billing.Party) { p.Country, p.TaxNumber = "IT", "RSSMRA80A01H501U" }), billing.Party{}, "seller.vat_id"},
		{"DK with CVR", with(full, func(p *billing.Party) { p.Country, p.RegistrationID = "DK", "13585628" }), billing.Party{}, ""},
		{"DK with DK VAT id", with(full, func(p *billing.Party) { p.Country, p.VATID = "DK", "DK13585628" }), billing.Party{}, ""},
		{"DK without", with(full, func(p *billing.Party) { p.Country = "DK" }), billing.Party{}, "seller.registration_id"},
		{"US: nothing required", billing.Party{Country: "US"}, billing.Party{}, ""},
		{"XRechnung, seller complete", with(full, func(p *billing.Party) { p.Country, p.VATID = "DE", "DE136695976" }), xr, ""},
		{"XRechnung, no phone", with(full, func(p *billing.Party) { p.Country, p.VATID, p.Phone = "DE", "DE136695976", "" }), xr, "seller.phone"},
		{"XRechnung, no postcode", with(full, func(p *billing.Party) { p.Country, p.VATID, p.PostalCode = "DE", "DE136695976", "" }), xr, "seller.postal_code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := billing.SellerMentionsProblem(tc.seller, tc.buyer)
			var v *core.ValidationError
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("want nothing missing, got %v", err)
			case tc.field != "" && (!errors.As(err, &v) || v.Fields[tc.field] == ""):
				t.Errorf("want a problem with %s, got %v", tc.field, err)
			}
		})
	}
}

// TestProfileEInvoiceFields: the e-invoice fields of a billing profile
// are checked when saved.
func TestProfileEInvoiceFields(t *testing.T) {
	base := billing.ProfileInput{LegalName: "Stadt Musterhausen", Country: "DE", Timezone: "Europe/Berlin"}
	for _, tc := range []struct {
		name  string
		set   func(*billing.ProfileInput)
		field string
	}{
		{"XRechnung with a Leitweg-ID", func(in *billing.ProfileInput) { in.EInvoice, in.BuyerReference = "xrechnung", "04011000-1234512345-06" }, ""},
		{"XRechnung without", func(in *billing.ProfileInput) { in.EInvoice = "xrechnung" }, "buyer_reference"},
		{"XRechnung, a typo in the Leitweg-ID", func(in *billing.ProfileInput) { in.EInvoice, in.BuyerReference = "xrechnung", "04011000-1234512354-06" }, "buyer_reference"},
		{"XRechnung, not a Leitweg-ID", func(in *billing.ProfileInput) { in.EInvoice, in.BuyerReference = "xrechnung", "PO 4711" }, "buyer_reference"},
		{"Peppol with an endpoint", func(in *billing.ProfileInput) { in.EInvoice, in.EndpointID = "peppol", "0088:4000001000005" }, ""},
		{"Peppol without", func(in *billing.ProfileInput) { in.EInvoice = "peppol" }, "endpoint_id"},
		{"an unknown scheme", func(in *billing.ProfileInput) { in.EndpointID = "1234:abc" }, "endpoint_id"},
		{"no scheme", func(in *billing.ProfileInput) { in.EndpointID = "4000001000005" }, "endpoint_id"},
		{"an unknown format", func(in *billing.ProfileInput) { in.EInvoice = "edifact" }, "einvoice"},
		{"a phone", func(in *billing.ProfileInput) { in.Phone = "+49 (30) 123-4567" }, ""},
		{"not a phone", func(in *billing.ProfileInput) { in.Phone = "call me" }, "phone"},
		{"too few digits", func(in *billing.ProfileInput) { in.Phone = "+1" }, "phone"},
		{"a long tax number", func(in *billing.ProfileInput) { in.TaxNumber = strings.Repeat("1", 41) }, "tax_number"},
		{"a long order reference", func(in *billing.ProfileInput) { in.OrderReference = strings.Repeat("P", 101) }, "order_reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			tc.set(&in)
			err := in.Validate()
			var v *core.ValidationError
			switch {
			case tc.field == "" && err != nil:
				t.Errorf("want valid, got %v", err)
			case tc.field != "" && (!errors.As(err, &v) || v.Fields[tc.field] == ""):
				t.Errorf("want a problem with %s, got %v", tc.field, err)
			}
		})
	}
}

// TestFinalizeNeedsSellerIDs: a seller without the id its country's
// invoices must carry cannot finalize (a field error naming it), its run
// holds the invoice instead, and once the id is set the held invoice is
// approved with the seller's details as they are now.
func TestFinalizeNeedsSellerIDs(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h, nov2)
		f.profile(f.reseller, billing.ProfileInput{LegalName: "Reseller R SARL", Country: "FR", VATID: "FR40303265045", Timezone: "Europe/Paris", InvoicePrefix: "R-"})
		inv, err := f.s.CreateInvoice(f.ctx(), f.reseller, billing.InvoiceInput{CustomerID: f.rclient.TenantID, Currency: "EUR",
			Lines: []billing.LineInput{{Description: "Migration service", UnitPrice: "40"}}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.s.Finalize(f.ctx(), f.reseller, inv.ID)
		var v *core.ValidationError
		if !errors.As(err, &v) || !strings.Contains(v.Fields["seller.registration_id"], "SIREN") {
			t.Fatalf("finalize without a SIREN: %v", err)
		}
		if got := f.invoices(f.rclient, billing.InvoiceFilter{})[0]; got.Status != billing.InvoiceStatusDraft || got.Number != nil {
			t.Fatalf("the refused draft is %s, number %v", got.Status, got.Number)
		}
		f.profile(f.reseller, billing.ProfileInput{LegalName: "Reseller R SARL", Country: "FR", VATID: "FR40303265045", RegistrationID: "303265045",
			Timezone: "Europe/Paris", InvoicePrefix: "R-"})
		done, err := f.s.Finalize(f.ctx(), f.reseller, inv.ID)
		if err == nil && done.Status == billing.InvoiceStatusAwaitingApproval { // held for its manual line
			done, err = f.s.Approve(audit.WithActor(context.Background(), audit.Actor{UserID: 8, Label: "second@r.test"}), f.reseller, inv.ID)
		}
		if err != nil || done.Number == nil || !strings.Contains(done.Seller, `"registration_id":"303265045"`) {
			t.Fatalf("finalize with the SIREN = %v %s, %v", done.Number, done.Seller, err)
		}
		f.checkInvariants()
	})
}
