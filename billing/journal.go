package billing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// Journals, as an accountant's software names them (the FEC's
// JournalCode): sales, bank, miscellaneous operations.
const (
	JournalSales = "VT" // invoices and credit notes
	JournalBank  = "BQ" // money received and given back
	JournalMisc  = "OD" // credit applied or released, write-offs
)

// Entry kinds: the billing event an entry books.
const (
	EntryInvoice       = "invoice"
	EntryCreditNote    = "credit_note"
	EntryPayment       = "payment"
	EntryCreditApplied = "credit_applied"  // a customer's credit pays an invoice
	EntryCreditRelease = "credit_released" // an allocation goes back to credit
	EntryRefund        = "refund"
	EntryWriteOff      = "write_off"
)

// Account roles: what a journal line's account is for. The account
// number comes from the seller's chart by role and key.
const (
	RoleReceivable = "receivable"      // what customers owe (one per customer where the chart keeps personal accounts)
	RoleRevenue    = "revenue"         // key: the tax key; a product may have its own
	RoleVAT        = "vat"             // key: the tax key
	RoleCash       = "cash"            // the bank or a gateway's clearing account; key: the gateway
	RoleCredit     = "customer_credit" // money received and not yet owed: a liability
	RoleBadDebt    = "bad_debt"        // key: the tax key of what was written off
)

// Roles lists the roles in a chart's order.
var Roles = []string{RoleReceivable, RoleRevenue, RoleVAT, RoleCash, RoleCredit, RoleBadDebt}

// JournalEntry is one balanced booking. Entries are append-only (the
// database refuses changes): a correction is a new entry. Num is the
// entry's number in its journal and fiscal year, given when its month
// closes.
type JournalEntry struct {
	ID           int64         `json:"id"`
	SellerID     int64         `json:"seller_id"`
	Journal      string        `json:"journal"`
	Kind         string        `json:"kind"`
	SourceKey    *string       `json:"-"`
	DocNumber    string        `json:"doc_number"`
	DocDate      string        `json:"doc_date"`
	EntryDate    string        `json:"entry_date"`
	Period       string        `json:"period"`
	Currency     string        `json:"currency"`
	CustomerID   int64         `json:"customer_id,omitempty"`
	CustomerName string        `json:"customer_name,omitempty"`
	BuyerCountry string        `json:"buyer_country,omitempty"`
	BuyerVATID   string        `json:"buyer_vat_id,omitempty"`
	CostCentre   string        `json:"cost_centre,omitempty"`
	Text         string        `json:"text"`
	Num          *int64        `json:"num,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
	Lines        []JournalLine `json:"lines" gorm:"-"`
}

// TableName implements gorm's Tabler.
func (JournalEntry) TableName() string { return "journal_entries" }

// JournalLine is one debit or credit of an entry.
type JournalLine struct {
	ID          int64  `json:"-"`
	EntryID     int64  `json:"-"`
	Position    int    `json:"position"`
	Role        string `json:"role"`
	TaxKey      string `json:"tax_key,omitempty"`
	ProductID   *int64 `json:"product_id,omitempty"`
	Gateway     string `json:"gateway,omitempty"`
	Ref         string `json:"ref,omitempty"` // the invoice a receivable line settles
	DebitMinor  int64  `json:"debit_minor"`
	CreditMinor int64  `json:"credit_minor"`
	Account     string `json:"account,omitempty"`      // frozen when the month closes
	AccountName string `json:"account_name,omitempty"` // the account's name in the chart, frozen with it
}

// TableName implements gorm's Tabler.
func (JournalLine) TableName() string { return "journal_lines" }

// Debit and Credit make a line of amount on role's side (a negative
// amount goes to the other side).
func Debit(role string, amount int64) JournalLine  { return side(JournalLine{Role: role}, amount) }
func Credit(role string, amount int64) JournalLine { return side(JournalLine{Role: role}, -amount) }

func side(l JournalLine, signed int64) JournalLine {
	if signed >= 0 {
		l.DebitMinor = signed
	} else {
		l.CreditMinor = -signed
	}
	return l
}

// Key sets a line's tax key.
func (l JournalLine) Key(k string) JournalLine { l.TaxKey = k; return l }

// For sets the invoice a receivable line settles.
func (l JournalLine) For(ref string) JournalLine { l.Ref = ref; return l }

// Via sets a cash line's gateway.
func (l JournalLine) Via(gw string) JournalLine { l.Gateway = gw; return l }

// Balance is an entry's debits less its credits (0 when balanced).
func (e JournalEntry) Balance() int64 {
	var b int64
	for _, l := range e.Lines {
		b += l.DebitMinor - l.CreditMinor
	}
	return b
}

// TaxKey names the VAT treatment of an amount: its category, rate and
// the decision's basis ("S:19:domestic", "S:20:oss", "AE:0:reverse_charge",
// "O:0:damages"). Charts map revenue, VAT and bad-debt accounts by it.
func TaxKey(cat Category, rate, basis string) string {
	r := "0"
	if d, err := decimal.NewFromString(rate); err == nil {
		r = d.String()
	}
	return string(cat) + ":" + r + ":" + basis
}

// ErrClosedPeriod is the kind of a change to a closed month.
var ErrClosedPeriod = core.ErrPrecondition

// Post writes entries in the caller's transaction. Each must balance.
// An entry dated in a month its seller closed goes into the first open
// month, dated its first day (a late correction), except a document:
// an invoice or credit note dated in a closed month is refused. Lines of
// zero are dropped, and an entry left without lines is not written.
func (s *Service) Post(ctx context.Context, es ...JournalEntry) error {
	var out []*JournalEntry
	for i := range es {
		e := &es[i]
		e.Lines = slices.DeleteFunc(e.Lines, func(l JournalLine) bool { return l.DebitMinor == 0 && l.CreditMinor == 0 })
		if len(e.Lines) == 0 {
			continue
		}
		if b := e.Balance(); b != 0 {
			return fmt.Errorf("journal entry %s %s does not balance: debits less credits are %d", e.Kind, e.DocNumber, b)
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil
	}
	if err := s.dateEntries(ctx, out); err != nil {
		return err
	}
	if err := s.nameCustomers(ctx, out); err != nil {
		return err
	}
	now := s.now()
	for _, e := range out {
		e.CreatedAt = now
	}
	for chunk := range slices.Chunk(out, 500) {
		if err := s.insertEntries(ctx, chunk); err != nil {
			return err
		}
	}
	var lines []*JournalLine
	for _, e := range out {
		for i := range e.Lines {
			e.Lines[i].EntryID, e.Lines[i].Position = e.ID, i+1
			lines = append(lines, &e.Lines[i])
		}
	}
	for chunk := range slices.Chunk(lines, 1000) {
		if err := s.insertLines(ctx, chunk); err != nil {
			return err
		}
	}
	return nil
}

const entryColumns = "seller_id, journal, kind, source_key, doc_number, doc_date, entry_date, period, currency, customer_id, customer_name, " +
	"buyer_country, buyer_vat_id, cost_centre, text, created_at"

// insertEntries writes entries with one multi-row INSERT and reads their
// ids back in order (RETURNING, on SQLite and MariaDB alike: ids need not
// be consecutive, as they are not on Galera). The run posts thousands of
// entries per chunk; building the statement here spares the reflection
// of an ORM insert.
func (s *Service) insertEntries(ctx context.Context, es []*JournalEntry) error {
	var b strings.Builder
	b.Grow(64 + len(es)*40)
	b.WriteString("INSERT INTO journal_entries (" + entryColumns + ") VALUES ")
	args := make([]any, 0, len(es)*16)
	for i, e := range es {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
		args = append(args, e.SellerID, e.Journal, e.Kind, e.SourceKey, e.DocNumber, e.DocDate, e.EntryDate, e.Period, e.Currency,
			e.CustomerID, e.CustomerName, e.BuyerCountry, e.BuyerVATID, e.CostCentre, e.Text, e.CreatedAt)
	}
	b.WriteString(" RETURNING id")
	rows, err := s.db.Conn(ctx).Raw(b.String(), args...).Rows()
	if err != nil {
		return fmt.Errorf("write journal entries: %w", err)
	}
	defer rows.Close()
	i := 0
	for rows.Next() {
		if i >= len(es) {
			return fmt.Errorf("write journal entries: more ids than entries")
		}
		if err := rows.Scan(&es[i].ID); err != nil {
			return fmt.Errorf("write journal entries: %w", err)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("write journal entries: %w", err)
	}
	if i != len(es) {
		return fmt.Errorf("write journal entries: %d ids for %d entries", i, len(es))
	}
	return nil
}

// insertLines writes lines with one multi-row INSERT.
func (s *Service) insertLines(ctx context.Context, ls []*JournalLine) error {
	var b strings.Builder
	b.Grow(128 + len(ls)*24)
	b.WriteString("INSERT INTO journal_lines (entry_id, position, role, tax_key, product_id, gateway, ref, debit_minor, credit_minor, account, account_name) VALUES ")
	args := make([]any, 0, len(ls)*11)
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("(?,?,?,?,?,?,?,?,?,?,?)")
		args = append(args, l.EntryID, l.Position, l.Role, l.TaxKey, l.ProductID, l.Gateway, l.Ref, l.DebitMinor, l.CreditMinor, l.Account, l.AccountName)
	}
	if err := s.db.Conn(ctx).Exec(b.String(), args...).Error; err != nil {
		return fmt.Errorf("write journal lines: %w", err)
	}
	return nil
}

// dateEntries gives undated entries today's date where their seller is,
// and moves entries of closed months to the first open one.
func (s *Service) dateEntries(ctx context.Context, es []*JournalEntry) error {
	var sellers []int64
	for _, e := range es {
		if !slices.Contains(sellers, e.SellerID) {
			sellers = append(sellers, e.SellerID)
		}
	}
	closed, err := s.ClosedThrough(ctx, sellers...)
	if err != nil {
		return err
	}
	zones := map[int64]*time.Location{}
	for _, e := range es {
		if e.EntryDate == "" {
			loc, ok := zones[e.SellerID]
			if !ok {
				if loc, err = s.sellerZone(ctx, e.SellerID); err != nil {
					return err
				}
				zones[e.SellerID] = loc
			}
			e.EntryDate = LocalDay(s.now(), loc).String()
		}
		if e.DocDate == "" {
			e.DocDate = e.EntryDate
		}
		e.Period = e.EntryDate[:7]
		c := closed[e.SellerID]
		if c == "" || e.Period > c {
			continue
		}
		if e.Journal == JournalSales {
			return core.E(ErrClosedPeriod, "%s is dated %s, in %s, a closed accounting period: date it in an open month", docLabel(e), e.EntryDate, e.Period)
		}
		e.Period = NextMonth(c)
		e.EntryDate = e.Period + "-01"
	}
	return nil
}

func docLabel(e *JournalEntry) string {
	if e.DocNumber != "" {
		return "document " + e.DocNumber
	}
	return "the document"
}

// NextMonth is the month after m (YYYY-MM).
func NextMonth(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.AddDate(0, 1, 0).Format("2006-01")
}

// ClosedThrough reads the last closed month (YYYY-MM, or "" when none) of
// each seller, making their books' rows as needed. On MariaDB the rows
// are share-locked to the end of the transaction, so a month does not
// close under an entry being posted into it.
func (s *Service) ClosedThrough(ctx context.Context, sellers ...int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(sellers) == 0 {
		return out, nil
	}
	slices.Sort(sellers)
	now := s.now()
	rows := make([]LedgerBook, len(sellers))
	for i, id := range sellers {
		rows[i] = LedgerBook{SellerID: id, Options: "{}", UpdatedAt: now}
	}
	ins := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true})
	if s.db.Dialect == db.MySQL {
		ins = s.db.Conn(ctx).Clauses(clause.Insert{Modifier: "IGNORE"})
	}
	if err := ins.Create(&rows).Error; err != nil {
		return nil, fmt.Errorf("open books of sellers %v: %w", sellers, err)
	}
	var books []LedgerBook
	q := s.db.Conn(ctx).Where("seller_id IN ?", sellers).Order("seller_id")
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: "SHARE"})
	}
	if err := q.Find(&books).Error; err != nil {
		return nil, fmt.Errorf("read books of sellers %v: %w", sellers, err)
	}
	for _, b := range books {
		out[b.SellerID] = b.ClosedThrough
	}
	return out, nil
}

// LedgerBook is a seller's books: its chart and its last closed month.
type LedgerBook struct {
	SellerID      int64      `json:"seller_id" gorm:"primaryKey;autoIncrement:false"`
	Chart         string     `json:"chart"`
	Options       string     `json:"-"` // JSON: format -> option -> value
	ClosedThrough string     `json:"closed_through"`
	ClosedAt      *time.Time `json:"closed_at,omitempty"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// TableName implements gorm's Tabler.
func (LedgerBook) TableName() string { return "ledger_books" }

// nameCustomers fills in the customer's name where an entry names only
// its id (payments): its billing profile's legal name, else the tenant's.
func (s *Service) nameCustomers(ctx context.Context, es []*JournalEntry) error {
	var ids []int64
	for _, e := range es {
		if e.CustomerID != 0 && e.CustomerName == "" && !slices.Contains(ids, e.CustomerID) {
			ids = append(ids, e.CustomerID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var ts []struct {
		ID   int64
		Name string
	}
	// The legal name, as the customer's documents print it.
	if err := s.db.Conn(ctx).Table("tenants").Select("tenants.id, COALESCE(NULLIF(billing_profiles.legal_name, ''), tenants.name) AS name").
		Joins("LEFT JOIN billing_profiles ON billing_profiles.tenant_id = tenants.id").Where("tenants.id IN ?", ids).Scan(&ts).Error; err != nil {
		return fmt.Errorf("read customers' names: %w", err)
	}
	names := map[int64]string{}
	for _, t := range ts {
		names[t.ID] = t.Name
	}
	for _, e := range es {
		if e.CustomerName == "" {
			e.CustomerName = names[e.CustomerID]
		}
	}
	return nil
}

// SourceKey makes an entry's unique key: kind and the id of what it books.
func SourceKey(kind string, id int64) *string {
	k := kind + ":" + strconv.FormatInt(id, 10)
	return &k
}

// Entries reads a seller's entries of months from..to (YYYY-MM) in one
// currency, in journal order (journal, date, id), with their lines. It
// scans rows itself: an export reads hundreds of thousands.
func (s *Service) Entries(ctx context.Context, sellerID int64, from, to, currency string) ([]JournalEntry, error) {
	q := s.db.Read(ctx)
	rows, err := q.Raw(`SELECT id, journal, kind, doc_number, doc_date, entry_date, period, customer_id, customer_name, buyer_country,
		buyer_vat_id, cost_centre, text, num, created_at FROM journal_entries
		WHERE seller_id = ? AND period >= ? AND period <= ? AND currency = ? ORDER BY journal, entry_date, id`, sellerID, from, to, currency).Rows()
	if err != nil {
		return nil, fmt.Errorf("read journal of seller %d: %w", sellerID, err)
	}
	var es []JournalEntry
	by := map[int64]int{}
	for rows.Next() {
		e := JournalEntry{SellerID: sellerID, Currency: currency}
		if err := rows.Scan(&e.ID, &e.Journal, &e.Kind, &e.DocNumber, &e.DocDate, &e.EntryDate, &e.Period, &e.CustomerID, &e.CustomerName,
			&e.BuyerCountry, &e.BuyerVATID, &e.CostCentre, &e.Text, &e.Num, &e.CreatedAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read journal of seller %d: %w", sellerID, err)
		}
		by[e.ID] = len(es)
		es = append(es, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read journal of seller %d: %w", sellerID, err)
	}
	rows, err = q.Raw(`SELECT l.entry_id, l.position, l.role, l.tax_key, l.product_id, l.gateway, l.ref, l.debit_minor, l.credit_minor, l.account, l.account_name
		FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
		WHERE e.seller_id = ? AND e.period >= ? AND e.period <= ? AND e.currency = ? ORDER BY l.entry_id, l.position`, sellerID, from, to, currency).Rows()
	if err != nil {
		return nil, fmt.Errorf("read journal lines of seller %d: %w", sellerID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var l JournalLine
		if err := rows.Scan(&l.EntryID, &l.Position, &l.Role, &l.TaxKey, &l.ProductID, &l.Gateway, &l.Ref, &l.DebitMinor, &l.CreditMinor,
			&l.Account, &l.AccountName); err != nil {
			return nil, fmt.Errorf("read journal lines of seller %d: %w", sellerID, err)
		}
		if i, ok := by[l.EntryID]; ok {
			es[i].Lines = append(es[i].Lines, l)
		}
	}
	return es, rows.Err()
}

// AttachLines loads entries' lines in the caller's transaction.
func (s *Service) AttachLines(ctx context.Context, es []JournalEntry) error {
	return s.attachLines(s.db.Conn(ctx), es)
}

func (s *Service) attachLines(q *gorm.DB, es []JournalEntry) error {
	by := make(map[int64]int, len(es))
	ids := make([]int64, len(es))
	for i, e := range es {
		by[e.ID], ids[i] = i, e.ID
	}
	for chunk := range slices.Chunk(ids, 5000) {
		var ls []JournalLine
		if err := q.Session(&gorm.Session{}).Where("entry_id IN ?", chunk).Order("entry_id, position").Find(&ls).Error; err != nil {
			return fmt.Errorf("read journal lines: %w", err)
		}
		for _, l := range ls {
			i := by[l.EntryID]
			es[i].Lines = append(es[i].Lines, l)
		}
	}
	return nil
}

// Seller returns the party of a seller in scope (the operator or a
// reseller): who keeps the books. Anything else is not found.
func (s *Service) Seller(ctx context.Context, scope tenancy.Scope, id int64) (Party, error) {
	if _, err := s.sellerRow(ctx, scope, id); err != nil {
		return Party{}, err
	}
	return s.sellerParty(ctx, id)
}

// SellerToday is today where the seller is.
func (s *Service) SellerToday(ctx context.Context, sellerID int64) (Date, error) {
	loc, err := s.sellerZone(ctx, sellerID)
	if err != nil {
		return Date{}, err
	}
	return LocalDay(s.now(), loc), nil
}
