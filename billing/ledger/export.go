package ledger

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/tenancy"
)

// ExportRecord is an export made.
type ExportRecord struct {
	ID         int64     `json:"id"`
	SellerID   int64     `json:"seller_id"`
	Format     string    `json:"format"`
	PeriodFrom string    `json:"period_from"`
	PeriodTo   string    `json:"period_to"`
	Currency   string    `json:"currency"`
	Closed     bool      `json:"closed"`
	Entries    int       `json:"entries"`
	SHA256     string    `json:"sha256" gorm:"column:sha256"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// TableName implements gorm's Tabler.
func (ExportRecord) TableName() string { return "ledger_exports" }

// ExportInput asks for a seller's entries of months From..To (YYYY-MM)
// in a currency, in a format.
type ExportInput struct {
	Format   string `json:"format" query:"format" form:"format"`
	From     string `json:"from" query:"from" form:"from"`
	To       string `json:"to" query:"to" form:"to"`
	Currency string `json:"currency" query:"currency" form:"currency"`
}

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate reports every problem.
func (in *ExportInput) Validate() (Format, error) {
	var v core.ValidationError
	in.Format, in.From, in.To = strings.TrimSpace(in.Format), strings.TrimSpace(in.From), strings.TrimSpace(in.To)
	in.Currency = strings.ToUpper(cmp.Or(strings.TrimSpace(in.Currency), "EUR"))
	f, ok := FormatOf(in.Format)
	if !ok {
		var names []string
		for _, f := range Formats() {
			names = append(names, f.Name)
		}
		v.Addf("format", "must be one of %s", strings.Join(names, ", "))
	}
	from, errFrom := time.Parse("2006-01", in.From)
	if errFrom != nil {
		v.Add("from", "must be a month as YYYY-MM")
	}
	in.To = cmp.Or(in.To, in.From)
	to, errTo := time.Parse("2006-01", in.To)
	switch {
	case errTo != nil:
		v.Add("to", "must be a month as YYYY-MM")
	case errFrom == nil && to.Before(from):
		v.Add("to", "must not be before from")
	case errFrom == nil && ok && f.OneFiscalYear && to.Year() != from.Year():
		v.Addf("to", "%s covers one fiscal year: from and to must be in the same year", f.Label)
	case errFrom == nil && to.Sub(from) > 366*24*time.Hour:
		v.Add("to", "an export covers at most twelve months")
	}
	if !currencyPattern.MatchString(in.Currency) {
		v.Add("currency", "must be a three-letter ISO 4217 code")
	}
	return f, v.Err()
}

// ExportFile is an export's file.
type ExportFile struct {
	Name        string
	ContentType string
	Body        []byte
	Record      ExportRecord
	// SameAs is an earlier export of the same closed period whose file
	// had the same hash; DiffersFrom one whose file did not (its format's
	// options changed since).
	SameAs, DiffersFrom int64
}

// Export writes a seller's entries of a period in a format and records
// the export with its file's hash. The accounts come from the chart (an
// unmapped one is an error naming it); the entries of closed months
// carry their numbers, open ones are numbered as closing would number
// them. A closed period's file is the same every time.
func (s *Service) Export(ctx context.Context, scope tenancy.Scope, sellerID int64, in ExportInput) (ExportFile, error) {
	f, b, err := s.Batch(ctx, scope, sellerID, &in)
	if err != nil {
		return ExportFile{}, err
	}
	ex, err := f.New(b.Options)
	if err != nil {
		return ExportFile{}, err
	}
	var buf bytes.Buffer
	if err := ex.Write(&buf, b); err != nil {
		return ExportFile{}, fmt.Errorf("write %s export: %w", f.Name, err)
	}
	sum := sha256.Sum256(buf.Bytes())
	out := ExportFile{Name: fileName(f, b), ContentType: cmp.Or(f.ContentType, "text/csv; charset=utf-8"), Body: buf.Bytes()}
	out.Record = ExportRecord{SellerID: sellerID, Format: f.Name, PeriodFrom: in.From, PeriodTo: in.To, Currency: in.Currency, Closed: b.Closed,
		Entries: len(b.Entries), SHA256: hex.EncodeToString(sum[:]), CreatedBy: audit.Label(ctx), CreatedAt: s.now()}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if b.Closed {
			var prev []ExportRecord
			if err := s.db.Conn(ctx).Where("seller_id = ? AND format = ? AND period_from = ? AND period_to = ? AND currency = ? AND closed = ?",
				sellerID, f.Name, in.From, in.To, in.Currency, true).Order("id").Find(&prev).Error; err != nil {
				return fmt.Errorf("read earlier exports: %w", err)
			}
			for _, p := range prev {
				if p.SHA256 == out.Record.SHA256 && out.SameAs == 0 {
					out.SameAs = p.ID
				} else if p.SHA256 != out.Record.SHA256 {
					out.DiffersFrom = p.ID
				}
			}
		}
		if err := s.db.Conn(ctx).Create(&out.Record).Error; err != nil {
			return fmt.Errorf("record export: %w", err)
		}
		return s.audit.Record(ctx, audit.Entry{Action: "ledger.export", ObjectType: "ledger_export", ObjectID: fmt.Sprint(out.Record.ID),
			TenantID: sellerID, After: map[string]any{"format": f.Name, "from": in.From, "to": in.To, "currency": in.Currency,
				"entries": len(b.Entries), "sha256": out.Record.SHA256, "closed": b.Closed}})
	})
	return out, err
}

// Batch checks an export request and reads its batch: what Export
// writes, for a format's own tests and measurements.
func (s *Service) Batch(ctx context.Context, scope tenancy.Scope, sellerID int64, in *ExportInput) (Format, *Batch, error) {
	seller, err := s.bill.Seller(ctx, scope, sellerID)
	if err != nil {
		return Format{}, nil, err
	}
	f, err := in.Validate()
	if err != nil {
		return f, nil, err
	}
	b, err := s.batch(ctx, seller, f, *in)
	return f, b, err
}

func fileName(f Format, b *Batch) string {
	if f.FileName != nil {
		return f.FileName(b)
	}
	return fmt.Sprintf("%s_%s_%s%s", f.Name, strings.ReplaceAll(b.From, "-", ""), strings.ReplaceAll(b.To, "-", ""), cmp.Or(f.Extension, ".csv"))
}

// batch reads, resolves and numbers the entries of an export.
func (s *Service) batch(ctx context.Context, seller billing.Party, f Format, in ExportInput) (*Batch, error) {
	sellerID := seller.TenantID
	mp, book, err := s.mapping(ctx, sellerID)
	if err != nil {
		return nil, err
	}
	es, err := s.bill.Entries(ctx, sellerID, in.From, in.To, in.Currency)
	if err != nil {
		return nil, err
	}
	var problems core.ValidationError
	if missing := resolve(mp, es); len(missing) > 0 {
		merge(&problems, missingError(book.Chart, missing))
	}
	opts, err := formatOptions(f, book.Options)
	if !merge(&problems, err) {
		return nil, err
	}
	if err := problems.Err(); err != nil {
		return nil, err
	}
	if err := s.numberOpen(ctx, sellerID, in.From, es); err != nil {
		return nil, err
	}
	to, _ := time.Parse("2006-01", in.To)
	b := &Batch{Seller: Seller{ID: sellerID, Name: seller.Name, Country: seller.Country, VATID: seller.VATID, RegistrationID: seller.RegistrationID,
		TaxNumber: seller.TaxNumber}, Chart: book.Chart, From: in.From + "-01", To: to.AddDate(0, 1, -1).Format("2006-01-02"),
		FiscalYearStart: in.From[:4] + "-01-01", Currency: in.Currency, Options: opts,
		Closed: book.ClosedThrough != "" && in.To <= book.ClosedThrough, Created: s.now()}
	if b.Closed && book.ClosedAt != nil {
		b.Created = book.ClosedAt.UTC()
	}
	labels := accountLabels(mp)
	b.Entries = make([]Entry, len(es))
	for i, e := range es {
		b.Entries[i] = entryOf(e, labels, mp, book)
	}
	return b, nil
}

// entryOf is a journal entry as exports see it.
func entryOf(e billing.JournalEntry, labels map[string]string, mp Mapping, book billing.LedgerBook) Entry {
	valid := e.CreatedAt.UTC().Format("2006-01-02")
	if book.ClosedAt != nil && book.ClosedThrough != "" && e.Period <= book.ClosedThrough {
		valid = book.ClosedAt.UTC().Format("2006-01-02")
	}
	out := Entry{Journal: e.Journal, JournalLabel: journalLabels[e.Journal], Kind: e.Kind, Date: e.EntryDate, DocDate: e.DocDate,
		DocNumber: e.DocNumber, ValidDate: valid, Text: e.Text, CustomerID: e.CustomerID, CustomerName: e.CustomerName,
		BuyerCountry: e.BuyerCountry, BuyerVATID: e.BuyerVATID, CostCentre: e.CostCentre, Lines: make([]Line, len(e.Lines))}
	if e.Num != nil {
		out.Num = *e.Num
	}
	for j, l := range e.Lines {
		out.Lines[j] = Line{Account: l.Account, AccountLabel: cmp.Or(l.AccountName, labels[l.Account], l.Account), Role: l.Role, TaxKey: l.TaxKey,
			Customer: l.Role == billing.RoleReceivable || l.Role == billing.RoleCredit, Ref: l.Ref, Debit: l.DebitMinor, Credit: l.CreditMinor,
			Automatic: mp.Automatic(l.Account)}
	}
	return out
}

var journalLabels = map[string]string{billing.JournalSales: "Ventes", billing.JournalBank: "Banque", billing.JournalMisc: "Opérations diverses"}

// accountLabels names account numbers: the seller's own, then the preset's.
func accountLabels(mp Mapping) map[string]string {
	out := map[string]string{}
	for _, a := range mp.Chart.Accounts {
		if _, ok := out[a.Number]; !ok {
			out[a.Number] = a.Label
		}
	}
	for _, a := range mp.Own {
		out[a.Number] = a.Label
	}
	return out
}

// numberOpen numbers entries of open months as closing would: after the
// last closed number of their journal and year, counting the open
// entries of that year before from.
func (s *Service) numberOpen(ctx context.Context, sellerID int64, from string, es []billing.JournalEntry) error {
	next := map[string]int64{}
	for i := range es {
		e := &es[i]
		if e.Num != nil {
			continue
		}
		year := e.EntryDate[:4]
		k := e.Journal + year
		if _, ok := next[k]; !ok {
			var last *int64
			if err := s.db.Read(ctx).Model(&billing.JournalEntry{}).Select("MAX(num)").
				Where("seller_id = ? AND journal = ? AND entry_date LIKE ? AND num IS NOT NULL", sellerID, e.Journal, year+"-%").Scan(&last).Error; err != nil {
				return fmt.Errorf("last number of journal %s: %w", e.Journal, err)
			}
			var before int64
			if err := s.db.Read(ctx).Model(&billing.JournalEntry{}).
				Where("seller_id = ? AND journal = ? AND entry_date LIKE ? AND num IS NULL AND period < ?", sellerID, e.Journal, year+"-%", from).Count(&before).Error; err != nil {
				return fmt.Errorf("count open entries of journal %s: %w", e.Journal, err)
			}
			next[k] = before
			if last != nil {
				next[k] += *last
			}
		}
		next[k]++
		n := next[k]
		e.Num = &n
	}
	return nil
}

// formatOptions merges a seller's options for a format over its defaults
// and checks the required ones are there.
func formatOptions(f Format, raw string) (map[string]string, error) {
	all := map[string]map[string]string{}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &all); err != nil {
			return nil, fmt.Errorf("export options: %w", err)
		}
	}
	out := map[string]string{}
	var v core.ValidationError
	for _, o := range f.Options {
		val := cmp.Or(all[f.Name][o.Name], o.Default)
		if o.Required && val == "" {
			v.Addf("options."+f.Name+"."+o.Name, "%s needs the seller's %s: set it on the books page", f.Label, o.Label)
		}
		out[o.Name] = val
	}
	return out, v.Err()
}

// merge adds err's field problems to v; false when err is another error.
func merge(v *core.ValidationError, err error) bool {
	if err == nil {
		return true
	}
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for k, m := range ve.Fields {
		v.Add(k, m)
	}
	return true
}
