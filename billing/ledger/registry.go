// Package ledger is the accounting side of billing's journal: charts of
// accounts per seller, closing months, exports for an accountant's
// software and the VAT, OSS and EU sales list reports. The journal itself
// is written by billing, in the transaction of each event that moves
// money; this package reads it.
//
// Export formats are plugins (plugins/<name>) that register here in
// init(), the database/sql way. A plugin gets a Batch: the seller's
// entries of a period with their accounts resolved and numbered, and
// writes the file. It never touches billing's tables.
package ledger

import (
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Exporter writes a batch in its format.
type Exporter interface {
	Write(w io.Writer, b *Batch) error
}

// Option is a setting a format takes from each seller (a DATEV
// consultant number).
type Option struct {
	Name     string
	Label    string
	Required bool
	Pattern  *regexp.Regexp // what a value must match; nil: anything
	Hint     string         // what the pattern asks, for the error
	Default  string
	Choices  []string // the values it takes, when it is a choice
}

// Format is a registered export format.
type Format struct {
	Name        string // "datev"
	Label       string // "DATEV Buchungsstapel (EXTF)"
	Extension   string // ".csv"
	ContentType string
	Options     []Option
	// OneFiscalYear: a file covers at most one fiscal year (the FEC).
	OneFiscalYear bool
	// FileName names a batch's file (nil: <format>_<from>_<to><ext>).
	FileName func(b *Batch) string
	New      func(opts map[string]string) (Exporter, error)
}

var (
	regMu   sync.RWMutex
	formats = map[string]Format{}
)

// Register makes a format available. It panics when the name is empty or
// taken, or New is missing: from a plugin's init().
func Register(f Format) {
	regMu.Lock()
	defer regMu.Unlock()
	if f.Name == "" || f.New == nil {
		panic(fmt.Sprintf("ledger: register format %q: empty name or no constructor", f.Name))
	}
	if _, dup := formats[f.Name]; dup {
		panic(fmt.Sprintf("ledger: format %q registered twice", f.Name))
	}
	formats[f.Name] = f
}

// Formats lists the registered formats by name.
func Formats() []Format {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Format, 0, len(formats))
	for _, f := range formats {
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b Format) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// FormatOf returns a registered format (false when unknown).
func FormatOf(name string) (Format, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	f, ok := formats[name]
	return f, ok
}

// Batch is what an export writes: a seller's entries of a period in one
// currency, in journal order, each account resolved from its chart.
type Batch struct {
	Seller   Seller
	Chart    string // the preset: skr03, skr04, pcg, generic, custom
	From, To string // YYYY-MM-DD
	// FiscalYearStart is the first day of the fiscal year From falls in.
	FiscalYearStart string
	Currency        string
	// Closed: every month of the batch is closed; the file is final.
	Closed bool
	// Created is when the batch was made: for a closed period, when it
	// closed, so its file is the same every time.
	Created time.Time
	Options map[string]string
	Entries []Entry
}

// Seller is who keeps the books.
type Seller struct {
	ID             int64
	Name           string
	Country        string
	VATID          string
	RegistrationID string // SIREN/SIRET, Handelsregister, CVR
	TaxNumber      string
}

// Entry is a numbered journal entry.
type Entry struct {
	Journal      string // VT, BQ, OD
	JournalLabel string
	Num          int64 // continuous per journal and fiscal year
	Kind         string
	Date         string // YYYY-MM-DD: the booking date
	DocDate      string
	DocNumber    string
	ValidDate    string // when it became final: the close, or when it was written
	Text         string
	CustomerID   int64
	CustomerName string
	BuyerCountry string
	BuyerVATID   string
	CostCentre   string
	Lines        []Line
}

// Line is a debit or credit on a resolved account.
type Line struct {
	Account      string
	AccountLabel string
	Role         string
	TaxKey       string // category:rate:basis
	Customer     bool   // a customer's account (receivable, credit): a personal account where the format keeps them
	Ref          string // the invoice a receivable line settles
	Debit        int64
	Credit       int64
	Automatic    bool // the chart computes VAT on this account itself (DATEV Automatikkonto)
}

// Category, Rate and Basis split a line's tax key.
func (l Line) Category() string { c, _, _ := splitKey(l.TaxKey); return c }
func (l Line) Rate() string     { _, r, _ := splitKey(l.TaxKey); return r }
func (l Line) Basis() string    { _, _, b := splitKey(l.TaxKey); return b }

func splitKey(k string) (cat, rate, basis string) {
	parts := strings.SplitN(k, ":", 3)
	if len(parts) != 3 {
		return "", "", ""
	}
	return parts[0], parts[1], parts[2]
}
