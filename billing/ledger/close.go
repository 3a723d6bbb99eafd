package ledger

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/tenancy"
)

// Close closes a seller's books through month (YYYY-MM): every entry up
// to its end gets its account from the chart and its number in its
// journal and fiscal year (continuing the last closed), both written
// once. From then on nothing posts into those months: a document dated
// in one is refused, and a late payment, credit or write-off is booked
// on the first day of the next open month. The month must have ended,
// and every account must be mapped; closing is in the audit log and
// cannot be undone.
func (s *Service) Close(ctx context.Context, scope tenancy.Scope, sellerID int64, month string) (Book, error) {
	if _, err := s.bill.Seller(ctx, scope, sellerID); err != nil {
		return Book{}, err
	}
	m, err := time.Parse("2006-01", strings.TrimSpace(month))
	if err != nil {
		return Book{}, core.Invalid("month", "must be a month as YYYY-MM")
	}
	month = m.Format("2006-01")
	today, err := s.bill.SellerToday(ctx, sellerID)
	if err != nil {
		return Book{}, err
	}
	if month >= today.String()[:7] {
		return Book{}, core.Invalid("month", "%s has not ended yet: a month closes once it is over", month)
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		book, err := s.lockBook(ctx, sellerID)
		if err != nil {
			return err
		}
		if book.ClosedThrough != "" && month <= book.ClosedThrough {
			return core.E(core.ErrPrecondition, "%s is closed already: the books are closed through %s", month, book.ClosedThrough)
		}
		mp, _, err := s.mapping(ctx, sellerID)
		if err != nil {
			return err
		}
		var es []billing.JournalEntry
		if err := s.db.Conn(ctx).Where("seller_id = ? AND period <= ? AND num IS NULL", sellerID, month).
			Order("journal, entry_date, id").Find(&es).Error; err != nil {
			return fmt.Errorf("read entries to close: %w", err)
		}
		if err := s.bill.AttachLines(ctx, es); err != nil {
			return err
		}
		if missing := resolve(mp, es); len(missing) > 0 {
			return missingError(book.Chart, missing)
		}
		if err := s.freeze(ctx, sellerID, es); err != nil {
			return err
		}
		now := s.now()
		if err := s.db.Conn(ctx).Model(&billing.LedgerBook{}).Where("seller_id = ?", sellerID).
			Updates(map[string]any{"closed_through": month, "closed_at": now, "updated_at": now}).Error; err != nil {
			return fmt.Errorf("close books of seller %d: %w", sellerID, err)
		}
		return s.audit.Record(ctx, audit.Entry{Action: "ledger.close", ObjectType: "ledger", ObjectID: strconv.FormatInt(sellerID, 10),
			TenantID: sellerID, Before: map[string]any{"closed_through": book.ClosedThrough},
			After: map[string]any{"closed_through": month, "entries": len(es)}})
	})
	if err != nil {
		return Book{}, err
	}
	return s.Book(ctx, scope, sellerID)
}

// freeze writes the resolved accounts onto the lines and numbers the
// entries per journal and fiscal year, after the last closed number.
func (s *Service) freeze(ctx context.Context, sellerID int64, es []billing.JournalEntry) error {
	byAccount := map[[2]string][]int64{}
	for _, e := range es {
		for _, l := range e.Lines {
			k := [2]string{l.Account, l.AccountName}
			byAccount[k] = append(byAccount[k], l.ID)
		}
	}
	keys := slices.SortedFunc(maps.Keys(byAccount), func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, k := range keys {
		for chunk := range slices.Chunk(byAccount[k], 1000) {
			if err := s.db.Conn(ctx).Model(&billing.JournalLine{}).Where("id IN ? AND account = ''", chunk).
				Updates(map[string]any{"account": k[0], "account_name": k[1]}).Error; err != nil {
				return fmt.Errorf("freeze account %s: %w", k[0], err)
			}
		}
	}
	next := map[string]int64{}
	nums := map[int64]int64{}
	for _, e := range es {
		k := e.Journal + e.EntryDate[:4]
		if _, ok := next[k]; !ok {
			var last *int64
			if err := s.db.Conn(ctx).Model(&billing.JournalEntry{}).Select("MAX(num)").
				Where("seller_id = ? AND journal = ? AND entry_date LIKE ? AND num IS NOT NULL", sellerID, e.Journal, e.EntryDate[:4]+"-%").Scan(&last).Error; err != nil {
				return fmt.Errorf("last number of journal %s: %w", e.Journal, err)
			}
			if last != nil {
				next[k] = *last
			}
		}
		next[k]++
		nums[e.ID] = next[k]
	}
	return s.stampNums(ctx, nums)
}

// stampNums writes entry numbers with one statement per chunk.
func (s *Service) stampNums(ctx context.Context, nums map[int64]int64) error {
	ids := slices.Sorted(maps.Keys(nums))
	for chunk := range slices.Chunk(ids, 500) {
		var b strings.Builder
		args := make([]any, 0, 2*len(chunk)+1)
		b.WriteString("UPDATE journal_entries SET num = CASE id")
		for _, id := range chunk {
			b.WriteString(" WHEN ? THEN ?")
			args = append(args, id, nums[id])
		}
		b.WriteString(" END WHERE id IN ? AND num IS NULL")
		args = append(args, chunk)
		res := s.db.Conn(ctx).Exec(b.String(), args...)
		if res.Error != nil {
			return fmt.Errorf("number entries: %w", res.Error)
		}
		if int(res.RowsAffected) != len(chunk) {
			return core.E(core.ErrConflict, "%d entries were numbered meanwhile", len(chunk)-int(res.RowsAffected))
		}
	}
	return nil
}
