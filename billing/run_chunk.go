package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm/clause"

	"faktura/panel/core/db"
)

// plannedContract is a due contract with the last day its next period may
// start on to be invoiced in this run.
type plannedContract struct {
	Contract
	horizon string
}

// runChunk writes a chunk's documents in one transaction: it locks the
// units' contracts (those the plan found, and for customers billed per
// customer any due contract opened since), invoices those still due now,
// and advances them. Documents to finalize are numbered right there
// (numberHere), or on Galera written as issuing and returned for issue,
// a second transaction.
func (s *Service) runChunk(ctx context.Context, r *run, ch []unit) (RunSummary, []issuingRow, error) {
	var sum RunSummary
	var issuing []issuingRow
	err := s.db.WithTxOpts(ctx, db.TxOptions{ReadCommitted: true, Savepoint: true}, func(ctx context.Context) error {
		sum, issuing = RunSummary{}, nil
		b, ds, err := s.chunkDrafts(ctx, r, ch, &sum)
		if err != nil {
			return err
		}
		series, err := b.decideAll(ctx, ds, &sum)
		if err != nil {
			return err
		}
		if err := b.advance(ctx); err != nil {
			return err
		}
		if err := s.recordPeriods(ctx, ds, b.now); err != nil {
			return err
		}
		inline, err := s.numberHere(ctx, series)
		if err != nil {
			return err
		}
		for _, d := range ds {
			switch {
			case d.inv.Status != InvoiceStatusFinalized:
			case inline:
				sum.Finalized++
			default:
				d.inv.Status = InvoiceStatusIssuing
			}
		}
		if err := s.insertDrafts(ctx, ds, b.now); err != nil {
			return err
		}
		for _, d := range ds {
			if d.inv.Status == InvoiceStatusIssuing {
				issuing = append(issuing, issuingRow{ID: d.inv.ID, SellerID: d.inv.SellerID, Kind: d.inv.Kind, IssueDate: d.inv.IssueDate})
			}
		}
		return s.fire("chunk.inserted")
	})
	if err == nil {
		s.fire("chunk.committed")
	}
	return sum, issuing, err
}

// chunkDrafts locks the chunk's contracts and builds one draft per unit
// with contracts still due, counting contracts, periods and skips.
func (s *Service) chunkDrafts(ctx context.Context, r *run, ch []unit, sum *RunSummary) (*batch, []*draft, error) {
	due, planned, err := s.lockUnits(ctx, r, ch)
	if err != nil {
		return nil, nil, err
	}
	var all []Contract
	for _, cs := range due {
		for _, c := range cs {
			all = append(all, c.Contract)
		}
	}
	b, err := s.newBatch(ctx, r.snap, r.day, all)
	if err != nil {
		return nil, nil, err
	}
	var ds []*draft
	invoiced := map[int64]bool{}
	for _, u := range ch {
		cs := due[u.key]
		if len(cs) == 0 {
			continue
		}
		d, err := b.unitDraft(ctx, u, cs)
		if err != nil {
			return nil, nil, fmt.Errorf("unit %s: %w", u.key, err)
		}
		for _, c := range cs {
			invoiced[c.ID] = true
		}
		sum.Contracts += len(cs)
		ds = append(ds, d)
	}
	for _, id := range planned {
		if !invoiced[id] {
			sum.Skipped++
		}
	}
	for _, d := range ds {
		for _, l := range d.lines {
			if l.Kind == LineRecurring {
				sum.Periods++
			}
		}
	}
	sum.Invoices = len(ds)
	return b, ds, s.applyThreshold(ctx, b.parties, ds)
}

// numberHere locks the series of the documents a chunk finalizes, so the
// chunk numbers them itself, in seriesKey order (two chunks never
// deadlock), after it has built them and advanced its contracts: the lock
// is held only while the documents are written and committed. On Galera
// (IssueSeparately) it answers false: a series row that two nodes lock is
// a certification conflict at commit, so the documents are written as
// issuing and issue numbers them in a short transaction of its own.
func (s *Service) numberHere(ctx context.Context, keys []seriesKey) (bool, error) {
	if len(keys) == 0 || s.opt.IssueSeparately {
		return false, nil
	}
	slices.SortFunc(keys, seriesKey.compare)
	for _, k := range slices.Compact(keys) {
		if _, err := s.lockSeries(ctx, k); err != nil {
			return false, err
		}
	}
	return true, nil
}

// runUnits is the slow path after a chunk failed: one transaction per
// unit, failures counted and logged.
func (s *Service) runUnits(ctx context.Context, r *run, ch []unit) (RunSummary, []issuingRow) {
	var sum RunSummary
	var issuing []issuingRow
	for _, u := range ch {
		got, ids, err := s.runChunk(ctx, r, []unit{u})
		if err != nil {
			sum.Failed++
			sum.Errors = append(sum.Errors, fmt.Sprintf("%s: %v", u.key, err))
			s.log.Error("invoice run unit failed", "unit", u.key, "err", err)
			continue
		}
		sum.add(got)
		issuing = append(issuing, ids...)
	}
	return sum, issuing
}

// lockUnits locks the contracts of a chunk's units and returns, per unit
// key, those due now (in subproject and id order), and the ids the plan
// had. For customers billed per customer it also looks (without locking)
// for their due contracts the plan did not see, opened since by another
// process or an event, so such a customer still gets one invoice. (A
// contract a subproject gains after the plan is invoiced by the next
// run.) Locks are taken in id order in one statement, so two chunks never
// deadlock.
func (s *Service) lockUnits(ctx context.Context, r *run, ch []unit) (map[string][]plannedContract, []int64, error) {
	keys := map[string]bool{}
	var planned, customers []int64
	for _, u := range ch {
		keys[u.key] = true
		planned = append(planned, u.planned...)
		if u.grouped {
			customers = append(customers, u.customer)
		}
	}
	ids := slices.Clone(planned)
	extra, err := s.unplanned(ctx, r, keys, planned, customers)
	if err != nil {
		return nil, nil, err
	}
	ids = append(ids, extra...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	q := s.db.Conn(ctx)
	if s.db.Dialect == db.MySQL {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var cs []Contract
	if err := q.Where("id IN ?", ids).Order("id").Find(&cs).Error; err != nil {
		return nil, nil, fmt.Errorf("lock contracts: %w", err)
	}
	out := map[string][]plannedContract{}
	for _, c := range cs {
		if c.Status != ContractActive || c.Included {
			continue
		}
		u, err := r.unitOf(c.SellerID, c.CustomerID, c.Currency, c.Subproject)
		if err != nil {
			return nil, nil, err
		}
		if !keys[u.key] {
			continue
		}
		h, err := r.dueBy(c.ID, c.SellerID, c.ProductID, c.CustomerID)
		if err != nil {
			return nil, nil, err
		}
		if c.NextDue > h {
			continue // invoiced by another run meanwhile
		}
		out[u.key] = append(out[u.key], plannedContract{Contract: c, horizon: h})
	}
	for _, cs := range out {
		slices.SortFunc(cs, func(a, b plannedContract) int {
			return cmp.Or(cmp.Compare(a.Subproject, b.Subproject), cmp.Compare(a.ID, b.ID))
		})
	}
	return out, planned, nil
}

// unplanned lists due contracts of the chunk's customers billed per
// customer that the plan did not see (a plain read; lockUnits locks and
// re-checks them). It asks by the indexed customer column only and
// filters here, so the database cannot pick a plan that walks every due
// contract.
func (s *Service) unplanned(ctx context.Context, r *run, keys map[string]bool, planned []int64, customers []int64) ([]int64, error) {
	if len(customers) == 0 {
		return nil, nil
	}
	type row struct {
		ID, SellerID, CustomerID int64
		Currency, Subproject     string
		NextDue, Status          string
		Included                 bool
	}
	var rows []row
	slices.Sort(customers)
	err := s.db.Conn(ctx).Model(&Contract{}).Select("id, seller_id, customer_id, currency, subproject, next_due, status, included").
		Where("customer_id IN ?", slices.Compact(customers)).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("find unplanned contracts: %w", err)
	}
	known := make(map[int64]bool, len(planned))
	for _, id := range planned {
		known[id] = true
	}
	var out []int64
	for _, c := range rows {
		if known[c.ID] || c.Status != ContractActive || c.Included || c.NextDue > r.horizon {
			continue
		}
		u, err := r.unitOf(c.SellerID, c.CustomerID, c.Currency, c.Subproject)
		if err != nil {
			return nil, err
		}
		if keys[u.key] {
			out = append(out, c.ID)
		}
	}
	return out, nil
}
