package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// Service keeps sellers' books over billing's journal.
type Service struct {
	db    *db.Handle
	clock core.Clock
	audit *audit.Log
	bill  *billing.Service
}

// New makes the service.
func New(h *db.Handle, clock core.Clock, log *audit.Log, bill *billing.Service) *Service {
	return &Service{db: h, clock: clock, audit: log, bill: bill}
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// OwnAccount is a seller's own account for a match key.
type OwnAccount struct {
	SellerID  int64     `json:"-" gorm:"primaryKey;autoIncrement:false"`
	Role      string    `json:"-" gorm:"primaryKey"`
	MatchKey  string    `json:"key" gorm:"primaryKey"` // role|refinement, as in Chart
	Account   string    `json:"account"`
	UpdatedAt time.Time `json:"-"`
}

// TableName implements gorm's Tabler.
func (OwnAccount) TableName() string { return "ledger_accounts" }

// Book is a seller's books.
type Book struct {
	SellerID      int64                        `json:"seller_id"`
	Seller        string                       `json:"seller"`
	Country       string                       `json:"country"`
	Chart         string                       `json:"chart"`
	ClosedThrough string                       `json:"closed_through,omitempty"`
	ClosedAt      *time.Time                   `json:"closed_at,omitempty"`
	Accounts      []OwnAccount                 `json:"accounts"`
	Options       map[string]map[string]string `json:"options"`
	Months        []Month                      `json:"months"`
	Exports       []ExportRecord               `json:"exports"`
}

// Month sums a month of the journal in one currency.
type Month struct {
	Period   string `json:"period"`
	Currency string `json:"currency"`
	Entries  int64  `json:"entries"`
	Debit    int64  `json:"debit_minor"`
	Credit   int64  `json:"credit_minor"`
	Closed   bool   `json:"closed"`
}

// Book reads a seller's books: chart, own accounts, options, the last
// months with entries (per currency, up to 24 rows) and the last
// exports.
func (s *Service) Book(ctx context.Context, scope tenancy.Scope, sellerID int64) (Book, error) {
	seller, err := s.bill.Seller(ctx, scope, sellerID)
	if err != nil {
		return Book{}, err
	}
	b := Book{SellerID: sellerID, Seller: seller.Name, Country: seller.Country, Options: map[string]map[string]string{}, Accounts: []OwnAccount{}}
	var row billing.LedgerBook
	if err := s.db.Read(ctx).Where("seller_id = ?", sellerID).Limit(1).Find(&row).Error; err != nil {
		return b, fmt.Errorf("read books of seller %d: %w", sellerID, err)
	}
	b.Chart, b.ClosedThrough, b.ClosedAt = row.Chart, row.ClosedThrough, row.ClosedAt
	if row.Options != "" {
		if err := json.Unmarshal([]byte(row.Options), &b.Options); err != nil {
			return b, fmt.Errorf("books of seller %d: options: %w", sellerID, err)
		}
	}
	if err := s.db.Read(ctx).Where("seller_id = ?", sellerID).Order("match_key").Find(&b.Accounts).Error; err != nil {
		return b, fmt.Errorf("read accounts of seller %d: %w", sellerID, err)
	}
	err = s.db.Read(ctx).Raw(`SELECT e.period, e.currency, COUNT(DISTINCT e.id) AS entries, SUM(l.debit_minor) AS debit, SUM(l.credit_minor) AS credit
		FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id WHERE e.seller_id = ?
		GROUP BY e.period, e.currency ORDER BY e.period DESC, e.currency LIMIT 24`, sellerID).Scan(&b.Months).Error
	if err != nil {
		return b, fmt.Errorf("sum months of seller %d: %w", sellerID, err)
	}
	for i := range b.Months {
		b.Months[i].Closed = b.ClosedThrough != "" && b.Months[i].Period <= b.ClosedThrough
	}
	if err := s.db.Read(ctx).Where("seller_id = ?", sellerID).Order("id DESC").Limit(10).Find(&b.Exports).Error; err != nil {
		return b, fmt.Errorf("read exports of seller %d: %w", sellerID, err)
	}
	return b, nil
}

// BookInput changes a seller's chart, own accounts and format options.
type BookInput struct {
	Chart    string                       `json:"chart"`
	Accounts []OwnAccount                 `json:"accounts"`
	Options  map[string]map[string]string `json:"options"`
}

var (
	accountPattern = regexp.MustCompile(`^[0-9A-Za-z]{1,20}$`)
	refinement     = regexp.MustCompile(`^([a-z_]+:[0-9.]+|[a-z_]+|product:[0-9]+|[a-z_]+:[a-z_]+)$`)
)

// Validate reports every problem.
func (in *BookInput) Validate() error {
	var v core.ValidationError
	in.Chart = strings.TrimSpace(in.Chart)
	if _, ok := ChartOf(in.Chart); !ok {
		names := make([]string, len(charts))
		for i, c := range charts {
			names[i] = c.Name
		}
		v.Addf("chart", "must be one of %s", strings.Join(names, ", "))
	}
	seen := map[string]bool{}
	for i, a := range in.Accounts {
		f := fmt.Sprintf("accounts.%d.", i)
		a.MatchKey, a.Account = strings.TrimSpace(a.MatchKey), strings.TrimSpace(a.Account)
		role, ref, _ := strings.Cut(a.MatchKey, "|")
		switch {
		case !slices.Contains(billing.Roles, role):
			v.Addf(f+"key", "must start with a role: %s", strings.Join(billing.Roles, ", "))
		case ref != "" && !refinement.MatchString(ref):
			v.Add(f+"key", `refines a role by basis and rate ("revenue|domestic:7"), basis ("revenue|oss"), product ("revenue|product:12") or gateway ("cash|stripe")`)
		case seen[a.MatchKey]:
			v.Addf(f+"key", "%s is mapped twice", a.MatchKey)
		}
		seen[a.MatchKey] = true
		if !accountPattern.MatchString(a.Account) {
			v.Add(f+"account", "must be 1-20 letters or digits")
		}
		a.Role = role
		in.Accounts[i] = a
	}
	for name, opts := range in.Options {
		f, ok := FormatOf(name)
		if !ok {
			v.Addf("options."+name, "is not an export format")
			continue
		}
		for k, val := range opts {
			i := slices.IndexFunc(f.Options, func(o Option) bool { return o.Name == k })
			switch {
			case i < 0:
				v.Addf("options."+name+"."+k, "is not an option of %s", f.Label)
			case val != "" && f.Options[i].Pattern != nil && !f.Options[i].Pattern.MatchString(val):
				v.Addf("options."+name+"."+k, "%s", f.Options[i].Hint)
			}
		}
	}
	return v.Err()
}

// SaveBook sets a seller's chart, replaces its own accounts and its
// format options. Closed months keep the accounts they closed with.
func (s *Service) SaveBook(ctx context.Context, scope tenancy.Scope, sellerID int64, in BookInput) (Book, error) {
	if _, err := s.bill.Seller(ctx, scope, sellerID); err != nil {
		return Book{}, err
	}
	if err := in.Validate(); err != nil {
		return Book{}, err
	}
	opts, _ := json.Marshal(in.Options)
	if in.Options == nil {
		opts = []byte("{}")
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.lockBook(ctx, sellerID); err != nil {
			return err
		}
		now := s.now()
		if err := s.db.Conn(ctx).Model(&billing.LedgerBook{}).Where("seller_id = ?", sellerID).
			Updates(map[string]any{"chart": in.Chart, "options": string(opts), "updated_at": now}).Error; err != nil {
			return fmt.Errorf("save books of seller %d: %w", sellerID, err)
		}
		if err := s.db.Conn(ctx).Where("seller_id = ?", sellerID).Delete(&OwnAccount{}).Error; err != nil {
			return fmt.Errorf("replace accounts of seller %d: %w", sellerID, err)
		}
		for i := range in.Accounts {
			in.Accounts[i].SellerID, in.Accounts[i].UpdatedAt = sellerID, now
		}
		if len(in.Accounts) > 0 {
			if err := s.db.Conn(ctx).Create(&in.Accounts).Error; err != nil {
				return fmt.Errorf("save accounts of seller %d: %w", sellerID, err)
			}
		}
		return s.audit.Record(ctx, audit.Entry{Action: "ledger.book.save", ObjectType: "ledger", ObjectID: strconv.FormatInt(sellerID, 10),
			TenantID: sellerID, After: map[string]any{"chart": in.Chart, "accounts": len(in.Accounts), "options": in.Options}})
	})
	if err != nil {
		return Book{}, err
	}
	return s.Book(ctx, scope, sellerID)
}

// lockBook makes and locks a seller's books row for the transaction.
func (s *Service) lockBook(ctx context.Context, sellerID int64) (billing.LedgerBook, error) {
	if _, err := s.bill.ClosedThrough(ctx, sellerID); err != nil {
		return billing.LedgerBook{}, err
	}
	var b billing.LedgerBook
	q := s.db.Conn(ctx)
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Where("seller_id = ?", sellerID).Take(&b).Error; err != nil {
		return b, fmt.Errorf("lock books of seller %d: %w", sellerID, err)
	}
	return b, nil
}

// mapping reads a seller's chart and own accounts.
func (s *Service) mapping(ctx context.Context, sellerID int64) (Mapping, billing.LedgerBook, error) {
	var b billing.LedgerBook
	if err := s.db.Conn(ctx).Where("seller_id = ?", sellerID).Limit(1).Find(&b).Error; err != nil {
		return Mapping{}, b, fmt.Errorf("read books of seller %d: %w", sellerID, err)
	}
	c, _ := ChartOf(b.Chart)
	m := Mapping{Chart: c, Own: map[string]Account{}}
	var own []OwnAccount
	if err := s.db.Conn(ctx).Where("seller_id = ?", sellerID).Find(&own).Error; err != nil {
		return m, b, fmt.Errorf("read accounts of seller %d: %w", sellerID, err)
	}
	for _, a := range own {
		m.Own[a.MatchKey] = Account{Number: a.Account, Label: ownLabel(c, a.MatchKey)}
	}
	return m, b, nil
}

// ownLabel labels a seller's own account as the preset labels the key,
// or by its key.
func ownLabel(c Chart, key string) string {
	if a, ok := c.Accounts[key]; ok {
		return a.Label
	}
	return key
}

// resolve gives each line its account (a closed month's lines have
// theirs) and lists the match keys nothing maps.
func resolve(m Mapping, es []billing.JournalEntry) (missing []string) {
	for i := range es {
		for j := range es[i].Lines {
			l := &es[i].Lines[j]
			if l.Account != "" {
				continue
			}
			var product int64
			if l.ProductID != nil {
				product = *l.ProductID
			}
			a, ok := m.Resolve(l.Role, l.TaxKey, product, l.Gateway)
			if !ok {
				k := matchKeys(l.Role, l.TaxKey, 0, l.Gateway)
				if want := k[0]; !slices.Contains(missing, want) {
					missing = append(missing, want)
				}
				continue
			}
			l.Account, l.AccountName = a.Number, a.Label
		}
	}
	slices.Sort(missing)
	return missing
}

// missingError names the accounts a seller's chart lacks.
func missingError(chart string, missing []string) error {
	if chart == "" {
		return core.Invalid("chart", "no chart of accounts is chosen: choose one (skr03, skr04, pcg, generic or custom) and map these accounts: %s", strings.Join(missing, ", "))
	}
	return core.Invalid("accounts", "the chart %s maps no account for: %s", chart, strings.Join(missing, ", "))
}
