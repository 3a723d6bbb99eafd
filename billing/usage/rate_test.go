package usage_test

import (
	"errors"
	"testing"

	"faktura/billing/usage"
	"faktura/panel/core"
)

const gb = 1_000_000_000

// TestRate: the rating rules, one row each.
func TestRate(t *testing.T) {
	perGB := usage.Price{Meter: "traffic", Currency: "EUR", Model: usage.ModelPerUnit, Included: 100 * gb, Per: gb, UnitName: "GB", UnitPrice: "0.015"}
	tiers := []usage.Tier{{UpTo: 10, UnitPrice: "1.00"}, {UpTo: 50, UnitPrice: "0.80"}, {UpTo: 0, UnitPrice: "0.50"}}
	grad := usage.Price{Meter: "disk", Currency: "EUR", Model: usage.ModelGraduated, Per: gb, UnitName: "GB", Tiers: tiers}
	vol := grad
	vol.Model = usage.ModelVolume
	pkg := usage.Price{Meter: "traffic", Currency: "EUR", Model: usage.ModelPackage, Included: 50 * gb, Per: gb, UnitName: "GB", Package: 10, PackagePrice: "2.50"}
	mails := usage.Price{Meter: "mail.sent", Currency: "EUR", Model: usage.ModelPerUnit, Included: 1000, UnitName: "mails", UnitPrice: "0.000125"}
	cases := []struct {
		name    string
		price   usage.Price
		qty     int64
		amounts []int64
		qtys    []string
	}{
		{"a period with no usage", perGB, 0, nil, nil},
		{"within the included quantity", perGB, 100 * gb, nil, nil},
		{"per unit above the included quantity", perGB, 130*gb + 500_000_000, []int64{46}, []string{"30.5"}},   // 30.5 GB × 0.015 = 0.4575 -> 0.46
		{"six decimals, rounded once per line", mails, 1000 + 12_345, []int64{154}, []string{"12345"}},         // 1.543125 -> 1.54
		{"graduated inside the first tier", grad, 4 * gb, []int64{400}, []string{"4"}},                         // 4 × 1.00
		{"graduated exactly at a tier boundary", grad, 10 * gb, []int64{1000}, []string{"10"}},                 // the 10th GB is still tier 1
		{"graduated across three tiers", grad, 75 * gb, []int64{1000, 3200, 1250}, []string{"10", "40", "25"}}, // 10 + 32 + 12.50
		{"volume: all units at the tier of the total", vol, 75 * gb, []int64{3750}, []string{"75"}},            // 75 × 0.50
		{"volume exactly at a tier boundary", vol, 50 * gb, []int64{4000}, []string{"50"}},                     // 50 × 0.80
		{"volume just past it", vol, 50*gb + 1, []int64{2500}, []string{"50.000000001"}},                       // × 0.50
		{"package: per started 10 GB", pkg, 71 * gb, []int64{750}, []string{"3"}},                              // 21 GB over -> 3 packages
		{"package: exactly full packages", pkg, 70 * gb, []int64{500}, []string{"2"}},
		{"package: within the included quantity", pkg, 50 * gb, nil, nil},
	}
	for _, c := range cases {
		got, err := usage.Rate(c.price, c.qty)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(got) != len(c.amounts) {
			t.Errorf("%s: %d lines %+v, want %d", c.name, len(got), got, len(c.amounts))
			continue
		}
		for i, r := range got {
			if r.AmountMinor != c.amounts[i] || r.Quantity.String() != c.qtys[i] {
				t.Errorf("%s: line %d = %s × %s = %d, want %s, %d", c.name, i, r.Quantity, r.UnitPrice, r.AmountMinor, c.qtys[i], c.amounts[i])
			}
		}
	}
}

// TestIncludedMidPeriod: a package change on day 16 of a 30-day period
// (10 GB before, 20 GB after) includes 15.33 GB, rounded to a byte; the
// overage is rated above it.
func TestIncludedMidPeriod(t *testing.T) {
	inc := usage.IncludedOver([]usage.Segment{{Days: 15, Included: 10 * gb}, {Days: 15, Included: 20 * gb}})
	if inc != 15*gb {
		t.Fatalf("included %d, want 15 GB", inc)
	}
	inc = usage.IncludedOver([]usage.Segment{{Days: 10, Included: 10 * gb}, {Days: 20, Included: 20 * gb}})
	if inc != 16_666_666_667 {
		t.Fatalf("included %d, want 16,666,666,667 bytes", inc)
	}
	p := usage.Price{Meter: "disk", Currency: "EUR", Model: usage.ModelPerUnit, Included: inc, Per: gb, UnitName: "GB", UnitPrice: "0.10"}
	got, err := usage.Rate(p, 20*gb)
	if err != nil || len(got) != 1 || got[0].AmountMinor != 33 {
		t.Fatalf("rated %+v %v; want 3.333 GB × 0.10 = 0.33", got, err)
	}
	if usage.IncludedOver(nil) != 0 {
		t.Fatal("no segments include something")
	}
}

// TestPriceBadInput: each bad price is a field error on its field.
func TestPriceBadInput(t *testing.T) {
	cases := []struct {
		name  string
		p     usage.Price
		field string
	}{
		{"unknown model", usage.Price{Currency: "EUR", Model: "auction"}, "model"},
		{"bad currency", usage.Price{Currency: "EURO", Model: usage.ModelPerUnit, UnitPrice: "1"}, "currency"},
		{"seven decimals", usage.Price{Currency: "EUR", Model: usage.ModelPerUnit, UnitPrice: "0.0000001"}, "unit_price"},
		{"negative price", usage.Price{Currency: "EUR", Model: usage.ModelPerUnit, UnitPrice: "-1"}, "unit_price"},
		{"negative included", usage.Price{Currency: "EUR", Model: usage.ModelPerUnit, UnitPrice: "1", Included: -1}, "included"},
		{"no tiers", usage.Price{Currency: "EUR", Model: usage.ModelGraduated}, "tiers"},
		{"tiers out of order", usage.Price{Currency: "EUR", Model: usage.ModelVolume, Tiers: []usage.Tier{{UpTo: 50, UnitPrice: "1"}, {UpTo: 10, UnitPrice: "1"}, {UnitPrice: "1"}}}, "tiers.1.up_to"},
		{"last tier limited", usage.Price{Currency: "EUR", Model: usage.ModelGraduated, Tiers: []usage.Tier{{UpTo: 10, UnitPrice: "1"}}}, "tiers.0.up_to"},
		{"no package size", usage.Price{Currency: "EUR", Model: usage.ModelPackage, PackagePrice: "1"}, "package"},
	}
	for _, c := range cases {
		_, err := usage.Rate(c.p, 1)
		var v *core.ValidationError
		if !errors.As(err, &v) || v.Fields[c.field] == "" {
			t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
		}
	}
}
