package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// CheckJournal compares the journal with the books it mirrors and
// reports every disagreement:
//   - each entry has lines and balances (debits = credits), and so does
//     each seller's month;
//   - the sales journal's receivables are the documents' totals
//     (invoices less credit notes), per seller and currency;
//   - receivables per customer are what is open on its invoices;
//   - customer credit is the credit balance;
//   - cash is the money received less refunds, per seller and currency.
//
// Tests call it after every billing scenario; it reads only.
func (s *Service) CheckJournal(ctx context.Context) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	q := s.db.Read(ctx)
	var unbalanced []struct {
		ID, Debit, Credit int64
	}
	if err := q.Raw(`SELECT e.id, COALESCE(SUM(l.debit_minor), 0) AS debit, COALESCE(SUM(l.credit_minor), 0) AS credit
		FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id GROUP BY e.id
		HAVING COUNT(l.id) = 0 OR SUM(l.debit_minor) <> SUM(l.credit_minor)`).Scan(&unbalanced).Error; err != nil {
		return fmt.Errorf("check entries: %w", err)
	}
	for _, u := range unbalanced {
		add("entry %d: debits %d, credits %d", u.ID, u.Debit, u.Credit)
	}
	var months []struct {
		SellerID      int64
		Period        string
		Debit, Credit int64
	}
	if err := q.Raw(`SELECT e.seller_id, e.period, SUM(l.debit_minor) AS debit, SUM(l.credit_minor) AS credit
		FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id GROUP BY e.seller_id, e.period
		HAVING SUM(l.debit_minor) <> SUM(l.credit_minor)`).Scan(&months).Error; err != nil {
		return fmt.Errorf("check months: %w", err)
	}
	for _, m := range months {
		add("seller %d, %s: debits %d, credits %d", m.SellerID, m.Period, m.Debit, m.Credit)
	}
	for _, c := range []struct{ name, journal, books string }{
		{"sales receivables", `SELECT e.seller_id, 0 AS customer_id, e.currency, SUM(l.debit_minor - l.credit_minor) AS amount
			FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id WHERE e.journal = 'VT' AND l.role = 'receivable'
			GROUP BY e.seller_id, e.currency`,
			`SELECT seller_id, 0 AS customer_id, currency, SUM(CASE WHEN kind = 'invoice' THEN total_minor ELSE -total_minor END) AS amount
			FROM invoices WHERE finalized_at IS NOT NULL AND status <> 'issuing' GROUP BY seller_id, currency`},
		{"receivables", `SELECT e.seller_id, e.customer_id, e.currency, SUM(l.debit_minor - l.credit_minor) AS amount
			FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id WHERE l.role = 'receivable'
			GROUP BY e.seller_id, e.customer_id, e.currency`,
			`SELECT seller_id, customer_id, currency, SUM(total_minor - paid_minor - credited_minor - written_off_minor) AS amount
			FROM invoices WHERE kind = 'invoice' AND finalized_at IS NOT NULL AND status <> 'issuing' GROUP BY seller_id, customer_id, currency`},
		{"customer credit", `SELECT e.seller_id, e.customer_id, e.currency, SUM(l.credit_minor - l.debit_minor) AS amount
			FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id WHERE l.role = 'customer_credit'
			GROUP BY e.seller_id, e.customer_id, e.currency`,
			`SELECT seller_id, customer_id, currency, SUM(balance_minor) AS amount FROM credit_balances GROUP BY seller_id, customer_id, currency`},
		{"cash", `SELECT e.seller_id, 0 AS customer_id, e.currency, SUM(l.debit_minor - l.credit_minor) AS amount
			FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id WHERE l.role = 'cash'
			GROUP BY e.seller_id, e.currency`,
			`SELECT seller_id, 0 AS customer_id, currency, SUM(amount_minor - refunded_minor) AS amount FROM payments
			WHERE status IN ('succeeded', 'partially_refunded', 'refunded') GROUP BY seller_id, currency`},
	} {
		if err := s.compareSums(ctx, c.name, c.journal, c.books, add); err != nil {
			return err
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if len(problems) > 20 {
		problems = append(problems[:20], fmt.Sprintf("and %d more", len(problems)-20))
	}
	return errors.New("journal disagrees with the books: " + strings.Join(problems, "; "))
}

type sumRow struct {
	SellerID, CustomerID int64
	Currency             string
	Amount               int64
}

// compareSums compares two queries' sums by seller, customer and currency
// (a missing row is zero).
func (s *Service) compareSums(ctx context.Context, name, journal, books string, add func(string, ...any)) error {
	read := func(sql string) (map[[2]int64]map[string]int64, error) {
		var rows []sumRow
		if err := s.db.Read(ctx).Raw(sql).Scan(&rows).Error; err != nil {
			return nil, fmt.Errorf("check %s: %w", name, err)
		}
		out := map[[2]int64]map[string]int64{}
		for _, r := range rows {
			k := [2]int64{r.SellerID, r.CustomerID}
			if out[k] == nil {
				out[k] = map[string]int64{}
			}
			out[k][r.Currency] += r.Amount
		}
		return out, nil
	}
	j, err := read(journal)
	if err != nil {
		return err
	}
	b, err := read(books)
	if err != nil {
		return err
	}
	for k, curs := range b {
		for cur, want := range curs {
			if got := j[k][cur]; got != want {
				add("%s of seller %d customer %d in %s: journal %d, books %d", name, k[0], k[1], cur, got, want)
			}
		}
	}
	for k, curs := range j {
		for cur, got := range curs {
			if _, ok := b[k][cur]; !ok && got != 0 {
				add("%s of seller %d customer %d in %s: journal %d, books none", name, k[0], k[1], cur, got)
			}
		}
	}
	return nil
}
