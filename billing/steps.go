package billing

import (
	"context"
	"fmt"
	"strings"

	"faktura/panel/core"
)

// InvoiceStep is billing.invoice in the daily run.
type InvoiceStep struct{ S *Service }

// Name implements automation.Step.
func (InvoiceStep) Name() string { return "billing.invoice" }

// DryRunSafe implements automation.DryRunner: the run only touches the
// database, and works in the transaction of its context.
func (InvoiceStep) DryRunSafe() {}

// Run implements automation.Step.
func (st InvoiceStep) Run(ctx context.Context, day core.Date) (map[string]int64, error) {
	sum, err := st.S.InvoiceRun(ctx, day)
	counts := map[string]int64{"invoices_created": int64(sum.Invoices), "finalized": int64(sum.Finalized), "awaiting_approval": int64(sum.Held),
		"drafts": int64(sum.Drafts), "contracts_billed": int64(sum.Contracts), "periods": int64(sum.Periods), "skipped": int64(sum.Skipped),
		"failed": int64(sum.Failed), "pending": int64(sum.Pending), "retries": sum.Retries}
	switch {
	case err != nil:
	case sum.Failed > 0:
		err = fmt.Errorf("%d invoice units failed (the next run retries them), first: %s", sum.Failed, sum.Errors[0])
	case sum.Pending > 0 || len(sum.Errors) > 0:
		err = fmt.Errorf("the run did not finish: %s", strings.Join(sum.Errors, "; "))
	}
	return counts, err
}

// OverdueStep is billing.overdue in the daily run.
type OverdueStep struct{ S *Service }

// Name implements automation.Step.
func (OverdueStep) Name() string { return "billing.overdue" }

// DryRunSafe implements automation.DryRunner.
func (OverdueStep) DryRunSafe() {}

// Run implements automation.Step.
func (st OverdueStep) Run(ctx context.Context, day core.Date) (map[string]int64, error) {
	n, err := st.S.MarkOverdue(ctx, day)
	return map[string]int64{"overdue": n}, err
}

// VIESStep is billing.vies: it re-checks VAT ids that were never checked,
// got no verdict, or were checked longer ago than the maximum age. VIES
// is called outside any transaction, one id at a time.
type VIESStep struct{ S *Service }

// Name implements automation.Step.
func (VIESStep) Name() string { return "billing.vies" }

// Run implements automation.Step.
func (st VIESStep) Run(ctx context.Context, _ core.Date) (map[string]int64, error) {
	s := st.S
	if s.opt.VIES == nil {
		n, err := s.RedecideHeld(ctx)
		return map[string]int64{"checked": 0, "held_decided": int64(n)}, err
	}
	stale := s.now().Add(-s.opt.VIESMaxAge)
	var ids []int64
	err := s.db.Read(ctx).Model(&Profile{}).Where("vat_id <> '' AND vat_status <> '' AND (vat_status IN ? OR vat_checked_at IS NULL OR vat_checked_at < ?)",
		[]VATStatus{VATUnchecked, VATUnavailable}, stale).Order("tenant_id").Limit(1000).Pluck("tenant_id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("find VAT ids to check: %w", err)
	}
	counts := map[string]int64{"checked": 0}
	for _, id := range ids {
		if err := s.CheckVAT(ctx, id); err != nil {
			return counts, err
		}
		counts["checked"]++
	}
	n, err := s.RedecideHeld(ctx)
	counts["held_decided"] = int64(n)
	return counts, err
}

// ReconcileStep is billing.reconcile: the daily repair of drift between
// resources and contracts.
type ReconcileStep struct {
	S   *Service
	Inv Inventory
}

// Name implements automation.Step.
func (ReconcileStep) Name() string { return "billing.reconcile" }

// DryRunSafe implements automation.DryRunner.
func (ReconcileStep) DryRunSafe() {}

// Run implements automation.Step: runs of the same day at once share one
// reconcile.
func (st ReconcileStep) Run(ctx context.Context, day core.Date) (map[string]int64, error) {
	rep, shared, err := st.S.ReconcileDay(ctx, st.Inv, day)
	if shared {
		return map[string]int64{"done_by_another_run": 1}, err
	}
	return map[string]int64{"resources": int64(rep.Resources), "contracts": int64(rep.Contracts), "opened": int64(rep.Opened),
		"closed": int64(rep.Closed), "unpriced": int64(rep.Unpriced)}, err
}
