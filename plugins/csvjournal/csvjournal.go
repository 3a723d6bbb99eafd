// Package csvjournal exports a seller's journal as a plain CSV file: one
// row per journal line, UTF-8, comma separated, amounts with a decimal
// point, for spreadsheets and accounting software without a format of
// their own.
package csvjournal

import (
	"encoding/csv"
	"io"
	"strconv"

	"faktura/billing/ledger"
)

// Columns are the file's columns.
var Columns = []string{"journal", "number", "date", "document", "document_date", "kind", "account", "account_name", "role", "tax_key",
	"debit", "credit", "currency", "customer_id", "customer", "cost_centre", "settles", "text"}

func init() {
	ledger.Register(ledger.Format{Name: "csv", Label: "CSV journal", Extension: ".csv", ContentType: "text/csv; charset=utf-8",
		New: func(map[string]string) (ledger.Exporter, error) { return Exporter{}, nil }})
}

// Exporter writes CSV journals.
type Exporter struct{}

var _ ledger.Exporter = Exporter{}

// Write writes the header and one row per line.
func (Exporter) Write(w io.Writer, b *ledger.Batch) error {
	c := csv.NewWriter(w)
	if err := c.Write(Columns); err != nil {
		return err
	}
	row := make([]string, len(Columns))
	for _, e := range b.Entries {
		for _, l := range e.Lines {
			cust := ""
			if e.CustomerID > 0 {
				cust = strconv.FormatInt(e.CustomerID, 10)
			}
			row = append(row[:0], e.Journal, strconv.FormatInt(e.Num, 10), e.Date, e.DocNumber, e.DocDate, e.Kind, l.Account, l.AccountLabel,
				l.Role, l.TaxKey, ledger.Amount(l.Debit, b.Currency, '.'), ledger.Amount(l.Credit, b.Currency, '.'), b.Currency, cust,
				e.CustomerName, e.CostCentre, l.Ref, e.Text)
			if err := c.Write(row); err != nil {
				return err
			}
		}
	}
	c.Flush()
	return c.Error()
}
