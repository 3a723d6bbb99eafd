package billing_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
)

func i64(n int64) *int64 { return &n }

func TestBadInputWritesNothing(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		cases := append(append(badCatalogCases(f), badProfileCases(f)...), badDocumentCases(f)...)
		tables := []string{"products", "prices", "coupons", "contracts", "invoices", "invoice_lines", "number_series", "audit_log"}
		count := func() map[string]int64 {
			out := countRows(f.h, tables...)
			var p billing.Profile
			f.h.W.Where("tenant_id = ?", f.de.TenantID).Take(&p)
			out["profile:"+p.Country+p.VATID+p.Currency+p.Timezone] = 1
			return out
		}
		before := count()
		wantFieldErrors(t, cases)
		after := count()
		for k, n := range before {
			if after[k] != n {
				t.Errorf("%s: %d rows before, %d after bad input", k, n, after[k])
			}
		}
		if len(after) != len(before) {
			t.Errorf("profile changed: %v -> %v", before, after)
		}
	})
}

// badCatalogCases: bad products and contracts.
func badCatalogCases(f *fixture) []badCase {
	ctx, basic := f.ctx(), f.products["basic"]
	return []badCase{
		{"negative price", "prices.0.amount", func() error {
			_, err := f.s.CreateProduct(ctx, operator, billing.ProductInput{Code: "neg", Name: "Neg", Kind: billing.KindOneOff,
				Prices: []billing.PriceInput{{Currency: "EUR", Cycle: billing.CycleOnce, AmountMinor: i64(-100)}}})
			return err
		}},
		{"too many decimals", "prices.0.amount", func() error {
			_, err := f.s.CreateProduct(ctx, operator, billing.ProductInput{Code: "dec", Name: "Dec", Kind: billing.KindOneOff,
				Prices: []billing.PriceInput{{Currency: "EUR", Cycle: billing.CycleOnce, Amount: "9.999"}}})
			return err
		}},
		{"unknown currency", "prices.0.currency", func() error {
			_, err := f.s.CreateProduct(ctx, operator, billing.ProductInput{Code: "xxx", Name: "X", Kind: billing.KindHosting, MatchCode: "x",
				Prices: []billing.PriceInput{price("EUX", billing.CycleMonthly, 100, 0)}})
			return err
		}},
		{"unknown cycle", "prices.0.cycle", func() error {
			_, err := f.s.CreateProduct(ctx, operator, billing.ProductInput{Code: "wk", Name: "W", Kind: billing.KindHosting, MatchCode: "x",
				Prices: []billing.PriceInput{price("EUR", "weekly", 100, 0)}})
			return err
		}},
		{"cycle the product does not offer", "cycle", func() error {
			_, err := f.s.CreateContract(ctx, operator, billing.ContractInput{CustomerID: f.de.TenantID, ProductID: basic.ID, Cycle: billing.CycleQuarterly, Currency: "EUR"})
			return err
		}},
		{"currency the product is not priced in", "cycle", func() error {
			_, err := f.s.CreateContract(ctx, operator, billing.ContractInput{CustomerID: f.de.TenantID, ProductID: basic.ID, Cycle: billing.CycleMonthly, Currency: "DKK"})
			return err
		}},
		{"contract in an unknown currency", "currency", func() error {
			_, err := f.s.CreateContract(ctx, operator, billing.ContractInput{CustomerID: f.de.TenantID, ProductID: basic.ID, Cycle: billing.CycleMonthly, Currency: "ZZZ"})
			return err
		}},
	}
}

// badProfileCases: bad billing profiles.
func badProfileCases(f *fixture) []badCase {
	ctx := f.ctx()
	return []badCase{
		{"malformed VAT id", "vat_id", func() error {
			_, err := f.s.SaveProfile(ctx, operator, f.de.TenantID, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE", VATID: "DE12345"})
			return err
		}},
		{"VAT id failing its check digit", "vat_id", func() error {
			_, err := f.s.SaveProfile(ctx, operator, f.de.TenantID, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE", VATID: "DE136695977"})
			return err
		}},
		{"missing buyer country", "country", func() error {
			_, err := f.s.SaveProfile(ctx, operator, f.de.TenantID, billing.ProfileInput{LegalName: "Kunde GmbH"})
			return err
		}},
		{"unknown country", "country", func() error {
			_, err := f.s.SaveProfile(ctx, operator, f.de.TenantID, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "XX"})
			return err
		}},
		{"exemption without a reason", "tax_exempt_reason", func() error {
			_, err := f.s.SaveProfile(ctx, operator, f.de.TenantID, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE", TaxExempt: true})
			return err
		}},
		{"profile currency", "currency", func() error {
			_, err := f.s.SaveProfile(ctx, operator, f.de.TenantID, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE", Currency: "EURO"})
			return err
		}},
		{"unknown time zone", "timezone", func() error {
			_, err := f.s.SaveProfile(ctx, operator, f.de.TenantID, billing.ProfileInput{LegalName: "Kunde GmbH", Country: "DE", Timezone: "Europe/Atlantis"})
			return err
		}},
	}
}

// badDocumentCases: bad coupons, invoices and credit notes, and a second
// product under a taken code.
func badDocumentCases(f *fixture) []badCase {
	ctx, basic := f.ctx(), f.products["basic"]
	return []badCase{
		{"coupon over 100 percent", "percent", func() error {
			_, err := f.s.CreateCoupon(ctx, operator, billing.CouponInput{Code: "BIG", Kind: billing.CouponPercent, Percent: "150"})
			return err
		}},
		{"coupon on another seller's product", "product_ids", func() error {
			_, err := f.s.CreateCoupon(ctx, operator, billing.CouponInput{Code: "R", Kind: billing.CouponPercent, Percent: "10", ProductIDs: []int64{f.products["r-basic"].ID}})
			return err
		}},
		{"manual line with a negative price", "lines.0.unit_price", func() error {
			_, err := f.s.CreateInvoice(ctx, operator, billing.InvoiceInput{CustomerID: f.de.TenantID, Currency: "EUR",
				Lines: []billing.LineInput{{Description: "refund", UnitPrice: "-5"}}})
			return err
		}},
		{"invoice for another seller's customer", "customer_id", func() error {
			_, err := f.s.CreateInvoice(ctx, operator, billing.InvoiceInput{CustomerID: f.rclient.TenantID, Currency: "EUR",
				Lines: []billing.LineInput{{Description: "x", UnitPrice: "5"}}})
			return err
		}},
		{"contract start that is not a date", "start", func() error {
			_, err := f.s.CreateContract(ctx, operator, billing.ContractInput{CustomerID: f.de.TenantID, ProductID: basic.ID, Cycle: billing.CycleMonthly,
				Currency: "EUR", Start: "2026-02-30"})
			return err
		}},
		{"manual line with no quantity", "lines.0.quantity", func() error {
			_, err := f.s.CreateInvoice(ctx, operator, billing.InvoiceInput{CustomerID: f.de.TenantID, Currency: "EUR",
				Lines: []billing.LineInput{{Description: "x", Quantity: "0", UnitPrice: "5"}}})
			return err
		}},
		{"coupon ending before it starts", "valid_to", func() error {
			_, err := f.s.CreateCoupon(ctx, operator, billing.CouponInput{Code: "WINTER", Kind: billing.CouponFixed, AmountMinor: 500, Currency: "EUR",
				ValidFrom: "2026-12-01", ValidTo: "2026-11-01"})
			return err
		}},
		{"credit note without a reason", "reason", func() error {
			_, err := f.s.CreditNote(ctx, operator, 1, billing.CreditNoteInput{Full: true})
			return err
		}},
		{"duplicate product code", "code", func() error {
			_, err := f.s.CreateProduct(ctx, operator, billing.ProductInput{Code: "basic", Name: "Again", Kind: billing.KindHosting, MatchCode: "basic",
				Prices: []billing.PriceInput{price("EUR", billing.CycleMonthly, 100, 0)}})
			return err
		}},
	}
}

func TestReconcile(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		acc := f.account(f.de, operator, "basic", "kunde")
		// A resource whose event was lost, one the catalog does not price,
		// and a contract whose resource is gone.
		inv := fakeInventory{
			{Kind: "account", ID: acc.AccountID, AccountID: acc.AccountID, TenantID: f.de.TenantID, SellerID: 1, Package: "basic", Name: "kunde", Account: "kunde"},
			{Kind: "domain", ID: 201, AccountID: acc.AccountID, TenantID: f.de.TenantID, SellerID: 1, Name: "verloren.com", Account: "kunde"},
			{Kind: "subdomain", ID: 202, AccountID: acc.AccountID, TenantID: f.de.TenantID, SellerID: 1, Name: "x.verloren.com", Account: "kunde"},
		}
		f.publish(provisioning.DomainAdded{AccountRef: acc, DomainID: 300, Name: "weg.de"})
		dry, err := f.s.Reconcile(context.Background(), inv, false)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, d := range dry.Drift {
			kinds[d.Kind]++
		}
		if dry.Opened != 1 || dry.Closed != 1 || kinds["missing_contract"] != 1 || kinds["unpriced"] != 1 || kinds["orphan_contract"] != 1 {
			t.Fatalf("dry run = %+v", dry)
		}
		if n := len(f.contracts(f.de)); n != 2 {
			t.Fatalf("the dry run changed contracts: %d", n)
		}
		rep, err := f.s.Reconcile(context.Background(), inv, true)
		if err != nil || rep.Opened != 1 || rep.Closed != 1 {
			t.Fatalf("repair = %+v, %v", rep, err)
		}
		again, err := f.s.Reconcile(context.Background(), inv, true)
		if err != nil || again.Opened != 0 || again.Closed != 0 {
			t.Fatalf("second repair = %+v, %v; want nothing to do", again, err)
		}
		var open []string
		for _, c := range f.contracts(f.de) {
			if c.Status == billing.ContractActive {
				open = append(open, c.SubjectName)
			}
		}
		if strings.Join(open, ",") != "verloren.com,kunde" {
			t.Fatalf("open contracts = %v", open)
		}
	})
}

type fakeInventory []provisioning.Item

func (fi fakeInventory) Inventory(context.Context) ([]provisioning.Item, error) { return fi, nil }

func TestVIES(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		it := f.client("Cliente", "IT")
		p := f.profile(it, billing.ProfileInput{LegalName: "Cliente SRL", Country: "IT", VATID: "IT 00743110157"})
		if p.VATStatus != billing.VATValid || p.VATValidAt == nil {
			t.Fatalf("valid id: %+v", p)
		}
		// The check is made on behalf of the seller (its own VAT id): VIES
		// answers with a consultation number, kept with the profile.
		if reqs := f.vies.Requesters(); len(reqs) == 0 || reqs[len(reqs)-1] != "DE136695976" || p.VATRequestID == "" {
			t.Fatalf("requesters %v, consultation number %q; want the operator's id and a number", reqs, p.VATRequestID)
		}
		// A reseller's client is checked on behalf of the reseller.
		rit := f.tenant(tenancy.KindClient, f.reseller, "Cliente di R")
		f.profile(rit, billing.ProfileInput{LegalName: "Cliente di R SRL", Country: "IT", VATID: "IT00743110157"})
		if reqs := f.vies.Requesters(); reqs[len(reqs)-1] != "FR40303265045" {
			t.Fatalf("the reseller's client was checked for %q", reqs[len(reqs)-1])
		}
		// Italy goes down: the recorded state says unavailable, the last
		// valid answer stays, and the run taxes by it with a flag.
		f.vies.Down("IT", "MS_UNAVAILABLE")
		f.clock.Set(nov2.Add(40 * 24 * time.Hour))
		if _, err := (billing.VIESStep{S: f.s}).Run(context.Background(), mustDay(t, "2026-12-12")); err != nil {
			t.Fatal(err)
		}
		p, _ = f.s.Profile(context.Background(), operator, it.TenantID)
		if p.VATStatus != billing.VATUnavailable || p.VATValidAt == nil || p.VATMessage != "MS_UNAVAILABLE" {
			t.Fatalf("after an outage: %s %q valid_at %v", p.VATStatus, p.VATMessage, p.VATValidAt)
		}
		f.account(it, operator, "basic", "cliente")
		f.run("2026-12-12")
		inv := f.invoices(it, billing.InvoiceFilter{})[0]
		if !strings.Contains(inv.Taxes, `"AE"`) || inv.Flags != billing.FlagVATUnverified {
			t.Errorf("invoice during the outage: taxes %s flags %q; want reverse charge, flagged", inv.Taxes, inv.Flags)
		}
		// A rejected id taxes as a consumer (Italian rate).
		f.vies.Down("IT", "")
		fake := f.client("Finto", "IT")
		p = f.profile(fake, billing.ProfileInput{LegalName: "Finto SRL", Country: "IT", VATID: "IT12345678903"})
		if p.VATStatus != billing.VATInvalid {
			t.Fatalf("unregistered id: %s", p.VATStatus)
		}
		// A slow VIES times out: no verdict, no error, no blocking.
		f.vies.Delay(3 * time.Second)
		slow := f.client("Lento", "IT")
		start := time.Now()
		p = f.profile(slow, billing.ProfileInput{LegalName: "Lento SRL", Country: "IT", VATID: "IT00743110157"})
		if p.VATStatus != billing.VATUnavailable || time.Since(start) > 2900*time.Millisecond {
			t.Fatalf("slow VIES: %s after %v", p.VATStatus, time.Since(start))
		}
	})
}

func TestVIESClientAnswers(t *testing.T) {
	fake := newFakeVIES(t)
	c := &billing.VIESClient{BaseURL: fake.URL, Attempts: 1, Timeout: time.Second}
	cases := []struct {
		id   string
		want billing.VATStatus
		msg  string
	}{
		{"DE136695976", billing.VATValid, ""},
		{"DE811907980", billing.VATInvalid, ""},
		{"XX1", billing.VATInvalid, "INVALID_INPUT"},
	}
	for _, tc := range cases {
		got := c.Check(context.Background(), tc.id)
		if got.Status != tc.want || got.Message != tc.msg {
			t.Errorf("%s: %+v, want %s %q", tc.id, got, tc.want, tc.msg)
		}
	}
	for _, code := range []string{"MS_UNAVAILABLE", "MS_MAX_CONCURRENT_REQ", "TIMEOUT", "IP_BLOCKED"} {
		for _, status := range []int{400, 500} {
			fake.Down("DE", code)
			fake.ErrorStatus(status)
			if got := c.Check(context.Background(), "DE136695976"); got.Status != billing.VATUnavailable || got.Message != code {
				t.Errorf("%s (HTTP %d): %+v, want unavailable", code, status, got)
			}
		}
	}
	if got := (&billing.VIESClient{BaseURL: "http://127.0.0.1:1", Attempts: 1}).Check(context.Background(), "DE136695976"); got.Status != billing.VATUnavailable {
		t.Errorf("unreachable VIES: %+v", got)
	}
}

// TestMoneyLimits: amounts beyond the documented maxima (money.MaxAmount,
// 9,999,999,999,999.99 EUR; quantities below 10^12) are field errors that
// write nothing, wherever they come in, and their neighbours just inside
// the limits are accepted with exact totals. Nothing ever wraps.
func TestMoneyLimits(t *testing.T) {
	eachFixture(t, func(t *testing.T, f *fixture) {
		ctx := f.ctx()
		us := f.client("US Corp", "US") // 0 % VAT: the total equals the net
		line := func(price string, qty ...string) billing.LineInput {
			l := billing.LineInput{Description: "item", UnitPrice: price}
			if len(qty) > 0 {
				l.Quantity = qty[0]
			}
			return l
		}
		invoice := func(cust int64, ls ...billing.LineInput) func() error {
			return func() error {
				_, err := f.s.CreateInvoice(ctx, operator, billing.InvoiceInput{CustomerID: cust, Currency: "EUR", Lines: ls})
				return err
			}
		}
		product := func(p billing.PriceInput) func() error {
			return func() error {
				_, err := f.s.CreateProduct(ctx, operator, billing.ProductInput{Code: "huge", Name: "Huge", Kind: billing.KindOneOff,
					Prices: []billing.PriceInput{p}})
				return err
			}
		}
		bad := []badCase{
			{"unit price of int64's limit next to 10.00", "lines.0.unit_price", invoice(us.TenantID, line("92233720368547758.07"), line("10.00"))},
			{"two lines of 5*10^16", "lines.0.unit_price", invoice(us.TenantID, line("50000000000000000"), line("50000000000000000"))},
			{"unit price a cent over the maximum", "lines.0.unit_price", invoice(us.TenantID, line("10000000000000.00"))},
			{"quantity of 10^12", "lines.0.quantity", invoice(us.TenantID, line("1", "1000000000000"))},
			{"price times quantity over the maximum", "lines.0.quantity", invoice(us.TenantID, line("5000000000000", "2"))},
			{"lines that sum over the maximum", "lines", invoice(us.TenantID, line("9999999999999.99"), line("0.01"))},
			{"VAT that takes the total over the maximum", "lines", invoice(f.de.TenantID, line("9000000000000"))},
			{"price of int64's limit in minor units", "prices.0.amount", product(billing.PriceInput{Currency: "EUR", Cycle: billing.CycleOnce, AmountMinor: i64(math.MaxInt64)})},
			{"price as a decimal over the maximum", "prices.0.amount", product(billing.PriceInput{Currency: "EUR", Cycle: billing.CycleOnce, Amount: "92233720368547758.07"})},
			{"setup fee over the maximum", "prices.0.setup", product(billing.PriceInput{Currency: "EUR", Cycle: billing.CycleOnce, AmountMinor: i64(1), SetupMinor: i64(money1e15)})},
			{"fixed coupon over the maximum", "amount_minor", func() error {
				_, err := f.s.CreateCoupon(ctx, operator, billing.CouponInput{Code: "HUGE", Kind: billing.CouponFixed, AmountMinor: math.MaxInt64, Currency: "EUR"})
				return err
			}},
		}
		tables := []string{"products", "prices", "coupons", "invoices", "invoice_lines", "number_series", "audit_log"}
		before := countRows(f.h, tables...)
		wantFieldErrors(t, bad)
		for k, n := range countRows(f.h, tables...) {
			if before[k] != n {
				t.Errorf("%s: %d rows before, %d after bad input", k, before[k], n)
			}
		}

		// The neighbours inside the limits.
		inv, err := f.s.CreateInvoice(ctx, operator, billing.InvoiceInput{CustomerID: us.TenantID, Currency: "EUR",
			Lines: []billing.LineInput{line("9999999999999.98"), line("0.01")}})
		if err != nil || inv.TotalMinor != 999_999_999_999_999 {
			t.Fatalf("an invoice of exactly the maximum = %d, %v", inv.TotalMinor, err)
		}
		if _, err := f.s.AddLine(ctx, operator, inv.ID, line("0.01")); !isField(err, "lines") {
			t.Fatalf("a line taking that invoice over the maximum: %v, want a field error on lines", err)
		}
		if got, _ := f.s.Invoice(ctx, operator, inv.ID); len(got.Lines) != 2 || got.TotalMinor != 999_999_999_999_999 {
			t.Fatalf("the refused line changed the invoice: %d lines, total %d", len(got.Lines), got.TotalMinor)
		}
		small, err := f.s.CreateInvoice(ctx, operator, billing.InvoiceInput{CustomerID: us.TenantID, Currency: "EUR",
			Lines: []billing.LineInput{line("0.000001", "999999999999.999999")}})
		if err != nil || small.NetMinor != 100_000_000 {
			t.Fatalf("the largest quantity at the smallest rate = %d, %v; want 1,000,000.00", small.NetMinor, err)
		}
		if _, err := f.s.CreateProduct(ctx, operator, billing.ProductInput{Code: "max", Name: "Max", Kind: billing.KindOneOff,
			Prices: []billing.PriceInput{{Currency: "EUR", Cycle: billing.CycleOnce, Amount: "9999999999999.99"}}}); err != nil {
			t.Fatalf("a price of exactly the maximum: %v", err)
		}
		f.checkInvariants()
	})
}

const money1e15 = 1_000_000_000_000_000

func isField(err error, field string) bool {
	var v *core.ValidationError
	return errors.As(err, &v) && v.Fields[field] != ""
}
