package dunning

import (
	"context"
	"fmt"
	"strings"

	"faktura/panel/core"
)

// DailyStep is billing.dunning in the daily run (after billing.overdue).
type DailyStep struct{ S *Service }

// Name implements automation.Step.
func (DailyStep) Name() string { return "billing.dunning" }

// DryRunSafe implements automation.DryRunner: the step only writes the
// database (mails and server jobs are queued, not sent).
func (DailyStep) DryRunSafe() {}

// Run implements automation.Step. Invoices whose steps failed are
// reported; the next run tries them again.
func (st DailyStep) Run(ctx context.Context, day core.Date) (map[string]int64, error) {
	sum, err := st.S.Run(ctx, day)
	if err == nil && sum.Failed > 0 {
		err = fmt.Errorf("%d invoices could not be chased (the next run retries them): %s", sum.Failed, strings.Join(sum.Errors[:min(3, len(sum.Errors))], "; "))
	}
	return sum.Counts(), err
}
