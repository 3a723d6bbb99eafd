package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/db"
)

// issue numbers and finalizes those of docs that are still issuing: on
// Galera, the second, short transaction of a chunk. The first wrote the
// documents with their lines and advanced the contracts; this one only
// locks the sellers' series rows (in seriesKey order, then the
// documents), takes one block of numbers per series and stamps them, so
// nodes collide (certification conflicts, retried) only on this small
// transaction, and numbers stay gapless and follow the order of
// finalization. It also numbers what a crash left issuing. It returns how
// many documents it finalized.
func (s *Service) issue(ctx context.Context, docs []issuingRow) (int, error) {
	if len(docs) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	var done int
	err := s.db.WithTxOpts(ctx, db.TxOptions{ReadCommitted: true, Savepoint: true}, func(ctx context.Context) error {
		done = 0
		series, err := s.lockSeriesOf(ctx, docs)
		if err != nil {
			return err
		}
		// Lock the documents after the series: whoever issued some of them
		// meanwhile (a crashed run's clean-up) has committed by now.
		var rows []issuingRow
		q := s.db.Conn(ctx).Model(&Invoice{}).Select("id, seller_id, kind, issue_date").Where("id IN ? AND status = ?", ids, InvoiceStatusIssuing).Order("id")
		if s.db.Dialect == db.MySQL {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Find(&rows).Error; err != nil {
			return fmt.Errorf("lock documents to issue: %w", err)
		}
		numbers := map[int64][2]any{}
		for _, g := range groupBySeries(rows) {
			sr, ok := series[g.key]
			if !ok {
				return fmt.Errorf("document series %v was not locked", g.key)
			}
			first, prefix, err := s.takeNumbers(ctx, sr, int64(len(g.ids)))
			if err != nil {
				return err
			}
			for i, id := range g.ids {
				seq := first + int64(i)
				numbers[id] = [2]any{seq, FormatNumber(prefix, g.key.year, seq)}
			}
		}
		if len(numbers) == 0 {
			return nil
		}
		n, err := s.stampNumbers(ctx, numbers)
		done = n
		return err
	})
	return done, err
}

// issuingRow is what numbering needs of a document.
type issuingRow struct {
	ID        int64
	SellerID  int64
	Kind      string
	IssueDate string
}

func (r issuingRow) series() (seriesKey, error) {
	d, err := ParseDay("issue_date", r.IssueDate)
	if err != nil {
		return seriesKey{}, err
	}
	return seriesKey{r.SellerID, r.Kind, d.Year}, nil
}

type seriesGroup struct {
	key seriesKey
	ids []int64
}

// groupBySeries sorts documents into their series, in seriesKey order,
// each series' documents by id.
func groupBySeries(rows []issuingRow) []seriesGroup {
	by := map[seriesKey]*seriesGroup{}
	var out []*seriesGroup
	for _, r := range rows {
		k, err := r.series()
		if err != nil {
			continue // issue dates are written by the run as YYYY-MM-DD
		}
		g := by[k]
		if g == nil {
			g = &seriesGroup{key: k}
			by[k] = g
			out = append(out, g)
		}
		g.ids = append(g.ids, r.ID)
	}
	slices.SortFunc(out, func(a, b *seriesGroup) int { return a.key.compare(b.key) })
	res := make([]seriesGroup, len(out))
	for i, g := range out {
		slices.Sort(g.ids)
		res[i] = *g
	}
	return res
}

// lockSeriesOf locks the series of rows in seriesKey order.
func (s *Service) lockSeriesOf(ctx context.Context, rows []issuingRow) (map[seriesKey]Series, error) {
	out := map[seriesKey]Series{}
	for _, g := range groupBySeries(rows) {
		sr, err := s.lockSeries(ctx, g.key)
		if err != nil {
			return nil, err
		}
		out[g.key] = sr
	}
	return out, nil
}

// stampNumbers writes number, sequence and finalization time onto issuing
// documents in one statement.
func (s *Service) stampNumbers(ctx context.Context, numbers map[int64][2]any) (int, error) {
	ids := make([]int64, 0, len(numbers))
	for id := range numbers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var seqCase, numCase strings.Builder
	seqArgs := make([]any, 0, 2*len(ids))
	numArgs := make([]any, 0, 2*len(ids))
	for _, id := range ids {
		seqCase.WriteString(" WHEN ? THEN ?")
		numCase.WriteString(" WHEN ? THEN ?")
		seqArgs = append(seqArgs, id, numbers[id][0])
		numArgs = append(numArgs, id, numbers[id][1])
	}
	now := s.now()
	args := []any{InvoiceStatusFinalized, now, now}
	args = append(append(append(args, seqArgs...), numArgs...), ids, InvoiceStatusIssuing)
	sql := "UPDATE invoices SET status = ?, finalized_at = ?, updated_at = ?, seq = CASE id" + seqCase.String() +
		" END, number = CASE id" + numCase.String() + " END WHERE id IN ? AND status = ?"
	res := s.db.Conn(ctx).Exec(sql, args...)
	if res.Error != nil {
		return 0, fmt.Errorf("number %d documents: %w", len(ids), res.Error)
	}
	if int(res.RowsAffected) != len(ids) {
		return 0, core.E(core.ErrConflict, "%d of %d documents were issued meanwhile", len(ids)-int(res.RowsAffected), len(ids))
	}
	if err := s.postDocuments(ctx, ids); err != nil {
		return 0, err
	}
	return len(ids), s.publishFinalized(ctx, ids)
}

// IssuePending finalizes documents a run wrote but did not number (it
// crashed between its two transactions, or its numbering transaction
// failed): the run calls it at its end, so a re-run finishes them. It
// returns how many it finalized.
func (s *Service) IssuePending(ctx context.Context) (int, error) {
	total := 0
	for after := int64(0); ; {
		var docs []issuingRow
		err := s.db.Read(ctx).Model(&Invoice{}).Select("id, seller_id, kind, issue_date").Where("status = ? AND id > ?", InvoiceStatusIssuing, after).
			Order("id").Limit(500).Find(&docs).Error
		if err != nil {
			return total, fmt.Errorf("find documents left issuing: %w", err)
		}
		if len(docs) == 0 {
			return total, nil
		}
		n, err := s.issue(ctx, docs)
		total += n
		if err != nil {
			return total, err
		}
		after = docs[len(docs)-1].ID
	}
}
