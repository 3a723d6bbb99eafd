package billing

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core/db"
)

// Default prefixes of the number series.
const (
	DefaultInvoicePrefix = "INV-"
	DefaultCreditPrefix  = "CN-"
)

// FormatNumber renders a document number: prefix, year, a dash and the
// counter padded to six digits ("INV-2026-000042").
func FormatNumber(prefix string, year int, seq int64) string {
	return fmt.Sprintf("%s%d-%06d", prefix, year, seq)
}

// reserveNumbers takes the next n numbers of a seller's series for kind
// and year, in the caller's transaction: the series row stays locked
// until commit, so numbers are gapless (a rollback returns them) and no
// two documents share one. It returns the first number and the prefix.
func (s *Service) reserveNumbers(ctx context.Context, sellerID int64, kind string, year int, n int64) (int64, string, error) {
	sr, err := s.lockSeries(ctx, seriesKey{sellerID, kind, year})
	if err != nil {
		return 0, "", err
	}
	return s.takeNumbers(ctx, sr, n)
}

// seriesKey names one gapless series.
type seriesKey struct {
	seller int64
	kind   string
	year   int
}

func (a seriesKey) compare(b seriesKey) int {
	return cmp.Or(cmp.Compare(a.seller, b.seller), cmp.Compare(a.kind, b.kind), cmp.Compare(a.year, b.year))
}

// lockSeries creates the series row if needed and locks it (MariaDB) for
// the rest of the caller's transaction. Callers that lock several take
// them in seriesKey order, so two of them never deadlock.
func (s *Service) lockSeries(ctx context.Context, k seriesKey) (Series, error) {
	var sr Series
	load := func() error {
		q := s.db.Conn(ctx)
		if s.db.Dialect == db.MySQL {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		return q.Where("seller_id = ? AND kind = ? AND year = ?", k.seller, k.kind, k.year).Take(&sr).Error
	}
	err := load()
	if errors.Is(err, gorm.ErrRecordNotFound) {
		prefix, perr := s.seriesPrefix(ctx, k.seller, k.kind)
		if perr != nil {
			return sr, perr
		}
		fresh := Series{SellerID: k.seller, Kind: k.kind, Year: k.year, Prefix: prefix, NextSeq: 1}
		err = s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&fresh).Error
		if err == nil {
			err = load()
		}
	}
	if err != nil {
		return sr, fmt.Errorf("number series %d/%s/%d: %w", k.seller, k.kind, k.year, err)
	}
	return sr, nil
}

// takeNumbers advances a locked series by n and returns the first number
// taken and the prefix.
func (s *Service) takeNumbers(ctx context.Context, sr Series, n int64) (int64, string, error) {
	res := s.db.Conn(ctx).Model(&Series{}).Where("id = ? AND next_seq = ?", sr.ID, sr.NextSeq).Update("next_seq", sr.NextSeq+n)
	if res.Error != nil {
		return 0, "", fmt.Errorf("advance number series %d: %w", sr.ID, res.Error)
	}
	if res.RowsAffected != 1 {
		return 0, "", fmt.Errorf("number series %d moved under us", sr.ID)
	}
	return sr.NextSeq, sr.Prefix, nil
}

// seriesPrefix is the seller's configured prefix for kind.
func (s *Service) seriesPrefix(ctx context.Context, sellerID int64, kind string) (string, error) {
	var p Profile
	err := s.db.Conn(ctx).Select("invoice_prefix", "credit_prefix").Where("tenant_id = ?", sellerID).Take(&p).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", fmt.Errorf("load prefixes of seller %d: %w", sellerID, err)
	}
	if kind == DocCreditNote {
		return cmp.Or(p.CreditPrefix, DefaultCreditPrefix), nil
	}
	return cmp.Or(p.InvoicePrefix, DefaultInvoicePrefix), nil
}
