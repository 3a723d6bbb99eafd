package billing

import (
	"context"
	"fmt"

	"faktura/panel/core/db"
)

// BackfillDocuments books the finalized documents that have no journal
// entry: those issued before the journal existed (a database upgraded
// to it). It posts them in batches, each in its own transaction, dated
// their issue day, and returns how many it booked; run again, it finds
// nothing. A document dated in a month closed meanwhile is refused, as
// Post refuses it.
func (s *Service) BackfillDocuments(ctx context.Context) (int, error) {
	key := "'doc:' || i.id"
	if s.db.Dialect == db.MySQL {
		key = "CONCAT('doc:', i.id)"
	}
	n := 0
	for after := int64(0); ; {
		var ids []int64
		err := s.db.Read(ctx).Raw(`SELECT i.id FROM invoices i WHERE i.finalized_at IS NOT NULL AND i.status <> ? AND i.id > ?
			AND NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.seller_id = i.seller_id AND e.source_key = `+key+`)
			ORDER BY i.id LIMIT 500`, InvoiceStatusIssuing, after).Scan(&ids).Error
		if err != nil {
			return n, fmt.Errorf("find documents without journal entries: %w", err)
		}
		if len(ids) == 0 {
			return n, nil
		}
		if err := s.db.WithTx(ctx, func(ctx context.Context) error { return s.postDocuments(ctx, ids) }); err != nil {
			return n, err
		}
		n += len(ids)
		after = ids[len(ids)-1]
	}
}
