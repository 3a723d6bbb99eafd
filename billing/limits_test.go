package billing_test

import (
	"errors"
	"math"
	"testing"

	"faktura/billing"
	"faktura/panel/core"
)

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
