package billing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/db"
)

// BilledPeriod records that a subject's period was invoiced, whichever
// contract did it. Its key (subject, period start) is unique in the
// database: a contract closed and opened again for the same resource, or
// two runs at once, can never bill a period twice.
type BilledPeriod struct {
	SubjectKey  string `gorm:"primaryKey"`
	PeriodStart string `gorm:"primaryKey"`
	PeriodEnd   string
	ContractID  int64
	CreatedAt   time.Time
}

// TableName implements gorm's Tabler.
func (BilledPeriod) TableName() string { return "billed_periods" }

// subjectKey names what a contract bills, for billed_periods: the seller
// and the resource (the contract itself for a manual contract).
func subjectKey(c Contract) string {
	if c.SubjectKind == SubjectManual {
		return openKey(c.SellerID, SubjectManual, c.ID)
	}
	return openKey(c.SellerID, c.SubjectKind, c.SubjectID)
}

// recordPeriods writes the billed periods of the drafts' recurring
// lines, in the caller's transaction, before the documents themselves; a
// period billed already is ErrConflict.
func (s *Service) recordPeriods(ctx context.Context, ds []*draft, now time.Time) error {
	var ps []BilledPeriod
	for _, d := range ds {
		for _, l := range d.lines {
			if l.subjectKey != "" && l.ContractID != nil {
				ps = append(ps, BilledPeriod{SubjectKey: l.subjectKey, PeriodStart: l.PeriodStart, PeriodEnd: l.PeriodEnd, ContractID: *l.ContractID, CreatedAt: now})
			}
		}
	}
	if len(ps) == 0 {
		return nil
	}
	if err := s.db.Conn(ctx).CreateInBatches(ps, 1000).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return core.E(core.ErrConflict, "a period was invoiced meanwhile: %v", err)
		}
		return fmt.Errorf("record billed periods: %w", err)
	}
	return nil
}

// releaseLines frees the billed periods of recurring lines that are gone
// (deleted from a draft) or credited in full, so a contract opened again
// for the resource may bill them.
func (s *Service) releaseLines(ctx context.Context, lines []Line) error {
	var ids []int64
	for _, l := range lines {
		if l.Kind == LineRecurring && l.ContractID != nil {
			ids = append(ids, *l.ContractID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var cs []Contract
	if err := s.db.Conn(ctx).Select("id, seller_id, subject_kind, subject_id").Where("id IN ?", ids).Find(&cs).Error; err != nil {
		return fmt.Errorf("contracts of released lines: %w", err)
	}
	keys := map[int64]string{}
	for _, c := range cs {
		keys[c.ID] = subjectKey(c)
	}
	for _, l := range lines {
		if l.Kind != LineRecurring || l.ContractID == nil {
			continue
		}
		err := s.db.Conn(ctx).Where("subject_key = ? AND period_start = ? AND contract_id = ?", keys[*l.ContractID], l.PeriodStart, *l.ContractID).
			Delete(&BilledPeriod{}).Error
		if err != nil {
			return fmt.Errorf("release billed period: %w", err)
		}
	}
	return nil
}

// billedThrough is the end of the last billed period of a subject, and
// the anchor day of the contract that billed it; "" when none was.
func (s *Service) billedThrough(ctx context.Context, key string) (string, int, error) {
	var last BilledPeriod
	err := s.db.Conn(ctx).Where("subject_key = ?", key).Order("period_end DESC").Take(&last).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("billed periods of %s: %w", key, err)
	}
	var anchor int
	if err := s.db.Conn(ctx).Model(&Contract{}).Where("id = ?", last.ContractID).Pluck("anchor_day", &anchor).Error; err != nil {
		return "", 0, fmt.Errorf("anchor of contract %d: %w", last.ContractID, err)
	}
	return last.PeriodEnd, anchor, nil
}
