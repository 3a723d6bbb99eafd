package datev

import (
	"testing"

	"faktura/billing/ledger"
)

// TestRows: how entries become bookings against their pivot.
func TestRows(t *testing.T) {
	x := &Exporter{length: 4, personal: true}
	recv := func(d, c int64) ledger.Line {
		return ledger.Line{Account: "1400", Role: "receivable", Debit: d, Credit: c}
	}
	rev := func(acc, key string, d, c int64, auto bool) ledger.Line {
		return ledger.Line{Account: acc, Role: "revenue", TaxKey: key, Debit: d, Credit: c, Automatic: auto}
	}
	vat := func(key string, d, c int64) ledger.Line {
		return ledger.Line{Account: "1776", Role: "vat", TaxKey: key, Debit: d, Credit: c}
	}
	cases := []struct {
		name string
		e    ledger.Entry
		want []Row
	}{
		{"invoice on an automatic account: gross, no key", ledger.Entry{Journal: "VT", CustomerID: 7, DocNumber: "INV-1", Date: "2026-10-01",
			Lines: []ledger.Line{recv(11900, 0), rev("8400", "S:19:domestic", 0, 10000, true), vat("S:19:domestic", 0, 1900)}},
			[]Row{{Amount: 11900, Debit: true, Account: "10007", Contra: "8400", Date: "2026-10-01", Doc: "INV-1"}}},
		{"two products at one rate share the VAT by largest remainder", ledger.Entry{Journal: "VT", CustomerID: 7, DocNumber: "INV-2", Date: "2026-10-01",
			Lines: []ledger.Line{recv(2380, 0), rev("8401", "S:19:domestic", 0, 1000, false), rev("8402", "S:19:domestic", 0, 1000, false), vat("S:19:domestic", 0, 380)}},
			[]Row{{Amount: 1190, Debit: true, Account: "10007", Contra: "8401", BU: "3", Date: "2026-10-01", Doc: "INV-2"},
				{Amount: 1190, Debit: true, Account: "10007", Contra: "8402", BU: "3", Date: "2026-10-01", Doc: "INV-2"}}},
		{"a discount group books the other way", ledger.Entry{Journal: "VT", CustomerID: 7, DocNumber: "INV-3", Date: "2026-10-01",
			Lines: []ledger.Line{recv(1190, 0), rev("8400", "S:19:domestic", 0, 2000, true), rev("8400", "S:7:domestic", 1000, 0, true), vat("S:19:domestic", 0, 380), vat("S:7:domestic", 70, 0)}},
			[]Row{{Amount: 2380, Debit: true, Account: "10007", Contra: "8400", Date: "2026-10-01", Doc: "INV-3"},
				{Amount: 1070, Debit: false, Account: "10007", Contra: "8400", Date: "2026-10-01", Doc: "INV-3"}}},
		{"OSS: the member state and its rate", ledger.Entry{Journal: "VT", CustomerID: 7, DocNumber: "INV-4", Date: "2026-10-01", BuyerCountry: "FR",
			Lines: []ledger.Line{recv(12000, 0), rev("8339", "S:20:oss", 0, 10000, false), vat("S:20:oss", 0, 2000)}},
			[]Row{{Amount: 12000, Debit: true, Account: "10007", Contra: "8339", Date: "2026-10-01", Doc: "INV-4", EUID: "FR", EURate: "20,00"}}},
		{"a credit note credits the debtor", ledger.Entry{Journal: "VT", CustomerID: 7, DocNumber: "CN-1", Date: "2026-10-05",
			Lines: []ledger.Line{recv(0, 2380), rev("8400", "S:19:domestic", 2000, 0, true), vat("S:19:domestic", 380, 0)}},
			[]Row{{Amount: 2380, Debit: false, Account: "10007", Contra: "8400", Date: "2026-10-05", Doc: "CN-1"}}},
		{"a payment: bank against the invoice it pays and the credit", ledger.Entry{Journal: "BQ", CustomerID: 99999, DocNumber: "INV-1", Date: "2026-10-10",
			Lines: []ledger.Line{{Account: "1200", Role: "cash", Debit: 6000}, {Account: "1400", Role: "receivable", Ref: "INV-1", Credit: 5000}, {Account: "1719", Role: "customer_credit", Credit: 1000}}},
			[]Row{{Amount: 5000, Debit: true, Account: "1200", Contra: "1400", Date: "2026-10-10", Doc: "INV-1"},
				{Amount: 1000, Debit: true, Account: "1200", Contra: "1719", Date: "2026-10-10", Doc: "INV-1"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := x.Rows(nil, c.e, "")
			if len(got) != len(c.want) {
				t.Fatalf("rows %+v, want %+v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("row %d = %+v, want %+v", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestEURate(t *testing.T) {
	for in, want := range map[string]string{"20": "20,00", "5.5": "5,50", "8.5": "8,50", "0": "0,00", "16.25": "16,25"} {
		if got := euRate(in); got != want {
			t.Errorf("euRate(%s) = %s, want %s", in, got, want)
		}
	}
}
