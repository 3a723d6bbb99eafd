// Package datev exports a seller's journal as a DATEV "Buchungsstapel":
// the EXTF format (version 700, category 21, format version 13) that
// DATEV Rechnungswesen and Unternehmen online import. Each journal entry
// becomes rows booked against its pivot account (the receivable of a
// document, the bank of a payment): a document's revenue with its VAT
// as one gross row per tax key, which DATEV splits again by the revenue
// account's automatic VAT or the row's BU-Schlüssel. Belegfeld 1 is the
// invoice number, so DATEV's open items match invoices and payments.
// The file is Windows-1252 with CRLF line ends, as DATEV reads it.
package datev

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"

	"faktura/billing/ledger"
	"faktura/panel/core/money"
)

func init() {
	ledger.Register(ledger.Format{
		Name: "datev", Label: "DATEV Buchungsstapel (EXTF)", Extension: ".csv", ContentType: "text/csv; charset=windows-1252",
		Options: []ledger.Option{
			{Name: "consultant", Label: "Beraternummer", Required: true, Pattern: regexp.MustCompile(`^[0-9]{4,7}$`), Hint: "must be the consultant number: 1001 to 9999999"},
			{Name: "client", Label: "Mandantennummer", Required: true, Pattern: regexp.MustCompile(`^[0-9]{1,5}$`), Hint: "must be the client number: 1 to 99999"},
			{Name: "account_length", Label: "Sachkontenlänge", Pattern: regexp.MustCompile(`^[4-8]$`), Hint: "must be 4 to 8", Default: "4"},
			{Name: "debtors", Label: "Debitoren", Pattern: regexp.MustCompile(`^(personal|collective)$`), Hint: "must be personal (a debtor account per customer) or collective", Default: "personal",
				Choices: []string{"personal", "collective"}},
		},
		FileName: func(b *ledger.Batch) string {
			return fmt.Sprintf("EXTF_Buchungsstapel_%s_%s.csv", strings.ReplaceAll(b.From, "-", ""), strings.ReplaceAll(b.To, "-", ""))
		},
		New: New,
	})
}

// Exporter writes Buchungsstapel files.
type Exporter struct {
	consultant, client string
	length             int
	personal           bool
}

// New makes an exporter on a seller's options.
func New(opts map[string]string) (ledger.Exporter, error) {
	if opts["consultant"] == "" || opts["client"] == "" {
		return nil, fmt.Errorf("datev: the consultant and client numbers are required")
	}
	n, err := strconv.Atoi(opts["consultant"])
	if err != nil || n < 1001 {
		return nil, fmt.Errorf("datev: consultant number %q: must be 1001 to 9999999", opts["consultant"])
	}
	l, _ := strconv.Atoi(opts["account_length"])
	if l == 0 {
		l = 4
	}
	return &Exporter{consultant: opts["consultant"], client: opts["client"], length: l, personal: opts["debtors"] != "collective"}, nil
}

var _ ledger.Exporter = (*Exporter)(nil)

// Columns is the Buchungsstapel's column header, format version 13.
var Columns = []string{"Umsatz (ohne Soll/Haben-Kz)", "Soll/Haben-Kennzeichen", "WKZ Umsatz", "Kurs", "Basis-Umsatz", "WKZ Basis-Umsatz",
	"Konto", "Gegenkonto (ohne BU-Schlüssel)", "BU-Schlüssel", "Belegdatum", "Belegfeld 1", "Belegfeld 2", "Skonto", "Buchungstext",
	"Postensperre", "Diverse Adressnummer", "Geschäftspartnerbank", "Sachverhalt", "Zinssperre", "Beleglink",
	"Beleginfo - Art 1", "Beleginfo - Inhalt 1", "Beleginfo - Art 2", "Beleginfo - Inhalt 2", "Beleginfo - Art 3", "Beleginfo - Inhalt 3",
	"Beleginfo - Art 4", "Beleginfo - Inhalt 4", "Beleginfo - Art 5", "Beleginfo - Inhalt 5", "Beleginfo - Art 6", "Beleginfo - Inhalt 6",
	"Beleginfo - Art 7", "Beleginfo - Inhalt 7", "Beleginfo - Art 8", "Beleginfo - Inhalt 8",
	"KOST1 - Kostenstelle", "KOST2 - Kostenstelle", "Kost-Menge", "EU-Land u. UStID (Bestimmung)", "EU-Steuersatz (Bestimmung)",
	"Abw. Versteuerungsart", "Sachverhalt L+L", "Funktionsergänzung L+L", "BU 49 Hauptfunktionstyp", "BU 49 Hauptfunktionsnummer",
	"BU 49 Funktionsergänzung",
	"Zusatzinformation - Art 1", "Zusatzinformation- Inhalt 1", "Zusatzinformation - Art 2", "Zusatzinformation- Inhalt 2",
	"Zusatzinformation - Art 3", "Zusatzinformation- Inhalt 3", "Zusatzinformation - Art 4", "Zusatzinformation- Inhalt 4",
	"Zusatzinformation - Art 5", "Zusatzinformation- Inhalt 5", "Zusatzinformation - Art 6", "Zusatzinformation- Inhalt 6",
	"Zusatzinformation - Art 7", "Zusatzinformation- Inhalt 7", "Zusatzinformation - Art 8", "Zusatzinformation- Inhalt 8",
	"Zusatzinformation - Art 9", "Zusatzinformation- Inhalt 9", "Zusatzinformation - Art 10", "Zusatzinformation- Inhalt 10",
	"Zusatzinformation - Art 11", "Zusatzinformation- Inhalt 11", "Zusatzinformation - Art 12", "Zusatzinformation- Inhalt 12",
	"Zusatzinformation - Art 13", "Zusatzinformation- Inhalt 13", "Zusatzinformation - Art 14", "Zusatzinformation- Inhalt 14",
	"Zusatzinformation - Art 15", "Zusatzinformation- Inhalt 15", "Zusatzinformation - Art 16", "Zusatzinformation- Inhalt 16",
	"Zusatzinformation - Art 17", "Zusatzinformation- Inhalt 17", "Zusatzinformation - Art 18", "Zusatzinformation- Inhalt 18",
	"Zusatzinformation - Art 19", "Zusatzinformation- Inhalt 19", "Zusatzinformation - Art 20", "Zusatzinformation- Inhalt 20",
	"Stück", "Gewicht", "Zahlweise", "Forderungsart", "Veranlagungsjahr", "Zugeordnete Fälligkeit", "Skontotyp", "Auftragsnummer",
	"Buchungstyp", "USt-Schlüssel (Anzahlungen)", "EU-Mitgliedstaat (Anzahlungen)", "Sachverhalt L+L (Anzahlungen)",
	"EU-Steuersatz (Anzahlungen)", "Erlöskonto (Anzahlungen)", "Herkunft-Kz", "Leerfeld", "KOST-Datum", "SEPA-Mandatsreferenz",
	"Skontosperre", "Gesellschaftername", "Beteiligtennummer", "Identifikationsnummer", "Zeichnernummer", "Postensperre bis",
	"Bezeichnung SoBil-Sachverhalt", "Kennzeichen SoBil-Buchung", "Festschreibung", "Leistungsdatum", "Datum Zuord. Steuerperiode",
	"Fälligkeit", "Generalumkehr (GU)", "Steuersatz", "Land", "Abrechnungsreferenz", "BVV-Position", "EU-Mitgliedstaat u. UStID (Ursprung)",
	"EU-Steuersatz (Ursprung)", "Abw. Skontokonto"}

// The columns a row fills (0-based).
const (
	colAmount   = 0
	colSide     = 1
	colCurrency = 2
	colAccount  = 6
	colContra   = 7
	colBU       = 8
	colDate     = 9
	colDoc1     = 10
	colText     = 13
	colKost1    = 36
	colEUID     = 39
	colEURate   = 40
)

// BU-Schlüssel for domestic VAT on an account without automatic VAT.
var buKeys = map[string]string{"19": "3", "7": "2", "16": "5", "5": "4"}

// Row is one booking of the batch.
type Row struct {
	Amount     int64
	Debit      bool // the account (Konto) is debited: "S"
	Account    string
	Contra     string
	BU         string
	Date       string // YYYY-MM-DD
	Doc        string
	Text       string
	CostCentre string
	EUID       string
	EURate     string
	Currency   string
}

// Write writes the header record, the column header and one row per
// booking.
func (x *Exporter) Write(w io.Writer, b *ledger.Batch) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := charmap.Windows1252.NewEncoder()
	enc = encoding.ReplaceUnsupported(enc)
	wr := &writer{w: bw, enc: enc}
	x.header(wr, b)
	for i, c := range Columns {
		if i > 0 {
			wr.raw(';')
		}
		wr.text(c)
	}
	wr.crlf()
	var rows []Row
	for _, e := range b.Entries {
		rows = x.Rows(rows[:0], e, b.Currency)
		for _, r := range rows {
			x.row(wr, r)
		}
	}
	if wr.err != nil {
		return wr.err
	}
	return bw.Flush()
}

// header writes the EXTF header record.
func (x *Exporter) header(wr *writer, b *ledger.Batch) {
	skr := ""
	switch b.Chart {
	case "skr03":
		skr = "03"
	case "skr04":
		skr = "04"
	}
	fixed := "0"
	if b.Closed {
		fixed = "1"
	}
	title := "Faktura " + compact(b.From) + "-" + compact(b.To)
	fields := []struct {
		v    string
		text bool
	}{{"EXTF", true}, {"700", false}, {"21", false}, {"Buchungsstapel", true}, {"13", false},
		{b.Created.UTC().Format("20060102150405") + fmt.Sprintf("%03d", b.Created.Nanosecond()/1e6), false}, {"", false},
		{"RE", true}, {"", true}, {"", true}, {x.consultant, false}, {x.client, false}, {compact(b.FiscalYearStart), false},
		{strconv.Itoa(x.length), false}, {compact(b.From), false}, {compact(b.To), false}, {title, true}, {"", true},
		{"1", false}, {"0", false}, {fixed, false}, {b.Currency, true}, {"", false}, {"", true}, {"", false}, {"", false},
		{skr, true}, {"", false}, {"", false}, {"", true}, {"", true}}
	for i, f := range fields {
		if i > 0 {
			wr.raw(';')
		}
		if f.text {
			wr.text(f.v)
		} else {
			wr.str(f.v)
		}
	}
	wr.crlf()
}

// Rows turns an entry into bookings against its pivot line.
func (x *Exporter) Rows(out []Row, e ledger.Entry, cur string) []Row {
	pivot := pivotOf(e)
	if pivot < 0 {
		return out
	}
	p := e.Lines[pivot]
	pAcc := x.account(p, e)
	lines := grossLines(e, pivot)
	for _, l := range lines {
		r := Row{Account: pAcc, Contra: x.account(l, e), Date: e.Date, Doc: docOf(e, p, l), Text: e.Text,
			CostCentre: e.CostCentre, Currency: cur}
		amt := l.Credit - l.Debit
		r.Debit = amt > 0 // the other line is credited: the pivot is debited
		if amt < 0 {
			amt = -amt
		}
		r.Amount = amt
		if amt == 0 {
			continue
		}
		if l.Role == "revenue" || l.Role == "bad_debt" {
			switch l.Basis() {
			case "domestic", "under_threshold":
				if l.Category() == "S" && !l.Automatic {
					r.BU = buKeys[l.Rate()]
				}
			case "reverse_charge":
				r.EUID = e.BuyerVATID
			case "oss":
				r.EUID, r.EURate = e.BuyerCountry, euRate(l.Rate())
			}
		}
		out = append(out, r)
	}
	return out
}

// euRate writes a rate as DATEV's EU-Steuersatz: two decimals after a
// comma ("20,00", "5,50").
func euRate(rate string) string {
	whole, frac, _ := strings.Cut(rate, ".")
	return whole + "," + (frac + "00")[:2]
}

// pivotOf picks the line the others book against: a document's or a
// write-off's receivable, a payment's or refund's bank, else the first.
func pivotOf(e ledger.Entry) int {
	want := "receivable"
	if e.Journal == "BQ" {
		want = "cash"
	}
	for i, l := range e.Lines {
		if l.Role == want {
			return i
		}
	}
	if len(e.Lines) == 0 {
		return -1
	}
	return 0
}

// grossLines folds each VAT line into the revenue (or bad-debt) lines of
// its tax key, split by their amounts with the largest remainder, so
// DATEV gets gross amounts; a VAT line with no such line stays a row.
func grossLines(e ledger.Entry, pivot int) []ledger.Line {
	var out []ledger.Line
	var vat []ledger.Line
	for i, l := range e.Lines {
		switch {
		case i == pivot:
		case l.Role == "vat":
			vat = append(vat, l)
		default:
			out = append(out, l)
		}
	}
	for _, v := range vat {
		var idx []int
		var weights []int64
		for i, l := range out {
			if (l.Role == "revenue" || l.Role == "bad_debt") && l.TaxKey == v.TaxKey {
				idx = append(idx, i)
				weights = append(weights, abs(l.Credit-l.Debit))
			}
		}
		signed := v.Credit - v.Debit
		parts, err := money.Money{Amount: signed, Currency: "EUR"}.Allocate(weights...)
		if len(idx) == 0 || err != nil {
			out = append(out, v)
			continue
		}
		for k, i := range idx {
			if out[i].Credit >= out[i].Debit {
				out[i].Credit += parts[k].Amount
			} else {
				out[i].Debit -= parts[k].Amount
			}
			if out[i].Credit < 0 || out[i].Debit < 0 { // a part turned the side: normalise
				n := out[i].Credit - out[i].Debit
				out[i].Credit, out[i].Debit = max(n, 0), max(-n, 0)
			}
		}
	}
	return out
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// account is a line's DATEV account: a customer's own debtor account
// (10000 + customer, in the length DATEV gives personal accounts) for a
// receivable, where the seller keeps personal accounts.
func (x *Exporter) account(l ledger.Line, e ledger.Entry) string {
	if x.personal && l.Role == "receivable" && e.CustomerID > 0 {
		base := int64(1)
		for range x.length {
			base *= 10
		}
		// Debtors run from 1·10^length to 7·10^length - 1.
		if n := base + e.CustomerID; n < 7*base {
			return strconv.FormatInt(n, 10)
		}
	}
	return l.Account
}

// docOf is the row's Belegfeld 1: a document's own number; for money
// moving, the invoice the line settles, else the entry's document.
func docOf(e ledger.Entry, pivot, l ledger.Line) string {
	if e.Journal == "VT" {
		return belegfeld(e.DocNumber)
	}
	ref := l.Ref
	if ref == "" {
		ref = pivot.Ref
	}
	if ref == "" {
		ref = e.DocNumber
	}
	return belegfeld(ref)
}

// belegfeld keeps what Belegfeld 1 allows (letters, digits and $ & % *
// + - /), at most 36 characters.
func belegfeld(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 36; i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("$&%*+-/", c) >= 0:
			b = append(b, c)
		case c == '_' || c == '.' || c == ' ':
			b = append(b, '-')
		}
	}
	return string(b)
}

// kost keeps a cost centre's letters and digits, at most 36.
func kost(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 36; i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return string(b)
}

// row writes a booking's 125 fields.
func (x *Exporter) row(wr *writer, r Row) {
	for i := range len(Columns) {
		if i > 0 {
			wr.raw(';')
		}
		switch i {
		case colAmount:
			wr.amount(r.Amount, r.Currency)
		case colSide:
			if r.Debit {
				wr.str(`"S"`)
			} else {
				wr.str(`"H"`)
			}
		case colCurrency:
			wr.text(r.Currency)
		case colAccount:
			wr.str(r.Account)
		case colContra:
			wr.str(r.Contra)
		case colBU:
			if r.BU != "" {
				wr.text(r.BU)
			}
		case colDate:
			wr.str(r.Date[8:10] + r.Date[5:7])
		case colDoc1:
			wr.text(r.Doc)
		case colText:
			wr.text(cut(r.Text, 60))
		case colKost1:
			if k := kost(r.CostCentre); k != "" {
				wr.text(k)
			}
		case colEUID:
			if r.EUID != "" {
				wr.text(r.EUID)
			}
		case colEURate:
			wr.str(r.EURate)
		}
	}
	wr.crlf()
}

func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func compact(day string) string { return strings.ReplaceAll(day, "-", "") }

// writer writes fields in Windows-1252, ASCII straight through.
type writer struct {
	w   *bufio.Writer
	enc *encoding.Encoder
	err error
}

func (w *writer) raw(c byte) { _ = w.w.WriteByte(c) }
func (w *writer) crlf()      { _, _ = w.w.WriteString("\r\n") }

// str writes s, which the caller knows to be plain.
func (w *writer) str(s string) { w.encoded(s) }

// text writes s quoted, its quotes doubled.
func (w *writer) text(s string) {
	w.raw('"')
	if strings.IndexByte(s, '"') >= 0 {
		s = strings.ReplaceAll(s, `"`, `""`)
	}
	w.encoded(s)
	w.raw('"')
}

func (w *writer) encoded(s string) {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			out, err := w.enc.String(s)
			if err != nil && w.err == nil {
				w.err = err
			}
			_, _ = w.w.WriteString(out)
			return
		}
	}
	_, _ = w.w.WriteString(s)
}

// amount writes minor units with a decimal comma ("119,00").
func (w *writer) amount(n int64, cur string) {
	_, _ = w.w.WriteString(ledger.Amount(n, cur, ','))
}
