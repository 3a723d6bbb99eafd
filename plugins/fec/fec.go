// Package fec exports a seller's journal as a French "fichier des
// écritures comptables" (FEC): the 18 columns of article A47 A-1 of the
// Livre des procédures fiscales, in their order, tab or pipe separated,
// dates as yyyyMMdd, amounts with a decimal comma, one file per fiscal
// year, named SIREN FEC closing date. Entries are numbered
// continuously per journal (EcritureNum); a customer's account carries
// the customer as auxiliary account (CompAuxNum). The file is ISO
// 8859-15, one of the encodings the article allows.
package fec

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"faktura/billing/ledger"
)

// Columns are the FEC's 18 columns, in the order the article gives.
var Columns = []string{"JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum", "CompAuxLib",
	"PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise"}

func init() {
	ledger.Register(ledger.Format{
		Name: "fec", Label: "FEC (article A47 A-1 LPF)", Extension: ".txt", ContentType: "text/plain; charset=iso-8859-15", OneFiscalYear: true,
		Options: []ledger.Option{
			{Name: "separator", Label: "Séparateur", Pattern: regexp.MustCompile(`^(tab|pipe)$`), Hint: "must be tab or pipe", Default: "tab", Choices: []string{"tab", "pipe"}},
		},
		FileName: func(b *ledger.Batch) string {
			siren := digits(b.Seller.RegistrationID)
			if len(siren) >= 9 {
				siren = siren[:9]
			} else {
				siren = ""
			}
			// The closing date of the fiscal year the file covers.
			return siren + "FEC" + b.FiscalYearStart[:4] + "1231.txt"
		},
		New: New,
	})
}

// Exporter writes FEC files.
type Exporter struct{ sep byte }

// New makes an exporter on a seller's options.
func New(opts map[string]string) (ledger.Exporter, error) {
	switch opts["separator"] {
	case "", "tab":
		return &Exporter{sep: '\t'}, nil
	case "pipe":
		return &Exporter{sep: '|'}, nil
	}
	return nil, fmt.Errorf("fec: separator %q: must be tab or pipe", opts["separator"])
}

var _ ledger.Exporter = (*Exporter)(nil)

// Write writes the header and one row per journal line.
func (x *Exporter) Write(w io.Writer, b *ledger.Batch) error {
	if b.Currency != "EUR" {
		return fmt.Errorf("fec: the FEC is kept in euros; %s entries need their own books", b.Currency)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := encoding.ReplaceUnsupported(charmap.ISO8859_15.NewEncoder())
	var err error
	put := func(fields []string) {
		for i, f := range fields {
			if i > 0 {
				_ = bw.WriteByte(x.sep)
			}
			f = x.clean(f)
			if !ascii(f) {
				if f, err = enc.String(f); err != nil {
					return
				}
			}
			_, _ = bw.WriteString(f)
		}
		_, _ = bw.WriteString("\r\n")
	}
	put(Columns)
	row := make([]string, len(Columns))
	// In the order the entries were booked: by date, then journal and
	// number (each journal's numbers follow its dates).
	entries := slices.Clone(b.Entries)
	slices.SortStableFunc(entries, func(a, b ledger.Entry) int {
		return cmp.Or(cmp.Compare(a.Date, b.Date), cmp.Compare(a.Journal, b.Journal), cmp.Compare(a.Num, b.Num))
	})
	for _, e := range entries {
		for _, l := range e.Lines {
			row[0], row[1], row[2], row[3] = e.Journal, e.JournalLabel, strconv.FormatInt(e.Num, 10), compact(e.Date)
			row[4], row[5], row[6], row[7] = l.Account, l.AccountLabel, "", ""
			if l.Customer && e.CustomerID > 0 {
				row[6], row[7] = fmt.Sprintf("C%06d", e.CustomerID), e.CustomerName
			}
			row[8] = e.DocNumber
			row[9], row[10] = compact(e.DocDate), e.Text
			row[11], row[12] = ledger.Amount(l.Debit, b.Currency, ','), ledger.Amount(l.Credit, b.Currency, ',')
			row[13], row[14], row[15], row[16], row[17] = "", "", compact(e.ValidDate), "", ""
			put(row)
		}
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// clean keeps a field on its line and off the separator.
func (x *Exporter) clean(s string) string {
	if strings.IndexByte(s, x.sep) < 0 && strings.IndexAny(s, "\r\n") < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == rune(x.sep) || r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func compact(day string) string { return strings.ReplaceAll(day, "-", "") }

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
