package payment

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/db"
)

// cashKey is the gateway a cash line books through: a payment recorded
// by hand is keyed by how it arrived ("manual:cash"), so a chart can tell
// the till from the bank.
func cashKey(p Payment) string {
	if p.Gateway == GatewayManual && p.Method != "" {
		return GatewayManual + ":" + p.Method
	}
	return p.Gateway
}

// paymentEntry starts an entry about p.
func paymentEntry(p Payment, journal, kind, doc string) billing.JournalEntry {
	return billing.JournalEntry{SellerID: p.SellerID, Journal: journal, Kind: kind, DocNumber: doc, Currency: p.Currency,
		CustomerID: p.CustomerID, Text: billing.EntryText(billing.EntryLabels[kind], doc, p.Reference)}
}

// receivables are the receivable lines of a payment's entry, one per
// invoice in id order (credit: money coming in; debit: going back),
// and the entry's document: the first invoice's number, or the
// payment's reference.
func (s *Service) receivables(ctx context.Context, p Payment, amounts map[int64]int64, credit bool) ([]billing.JournalLine, string, error) {
	ids := slices.Sorted(maps.Keys(amounts))
	nums, err := s.bill.Numbers(ctx, ids...)
	if err != nil {
		return nil, "", err
	}
	doc := cmp.Or(p.Reference, "P"+strconv.FormatInt(p.ID, 10))
	if len(ids) > 0 {
		doc = nums[ids[0]]
	}
	out := make([]billing.JournalLine, len(ids))
	for i, id := range ids {
		out[i] = billing.Debit(billing.RoleReceivable, amounts[id]).For(nums[id])
		if credit {
			out[i] = billing.Credit(billing.RoleReceivable, amounts[id]).For(nums[id])
		}
	}
	return out, doc, nil
}

// postReceipt books money received: the bank (or the gateway's clearing
// account) against the invoices it paid and the customer's credit for
// the rest, dated the day it was received.
func (s *Service) postReceipt(ctx context.Context, p Payment, allocs map[int64]int64, rest int64) error {
	recv, doc, err := s.receivables(ctx, p, allocs, true)
	if err != nil {
		return err
	}
	e := paymentEntry(p, billing.JournalBank, billing.EntryPayment, doc)
	e.SourceKey, e.EntryDate = billing.SourceKey("payment", p.ID), p.ReceivedOn
	e.Lines = append(e.Lines, billing.Debit(billing.RoleCash, p.AmountMinor).Via(cashKey(p)))
	e.Lines = append(append(e.Lines, recv...), billing.Credit(billing.RoleCredit, rest))
	return s.bill.Post(ctx, e)
}

// postCredit books credit moving to (applied, amount > 0) or back from
// (released, amount < 0) invoice id, today.
func (s *Service) postCredit(ctx context.Context, p Payment, invoiceID, amount int64) error {
	nums, err := s.bill.Numbers(ctx, invoiceID)
	if err != nil {
		return err
	}
	kind := billing.EntryCreditApplied
	if amount < 0 {
		kind = billing.EntryCreditRelease
	}
	e := paymentEntry(p, billing.JournalMisc, kind, nums[invoiceID])
	e.Lines = []billing.JournalLine{billing.Debit(billing.RoleCredit, amount), billing.Credit(billing.RoleReceivable, amount).For(nums[invoiceID])}
	return s.bill.Post(ctx, e)
}

// postRefund books money given back: from the customer's credit and from
// the invoices whose allocations it released, against the bank, today.
func (s *Service) postRefund(ctx context.Context, p Payment, amount, fromCredit int64, released map[int64]int64) error {
	recv, doc, err := s.receivables(ctx, p, released, false)
	if err != nil {
		return err
	}
	e := paymentEntry(p, billing.JournalBank, billing.EntryRefund, doc)
	e.Lines = append(append(e.Lines, billing.Debit(billing.RoleCredit, fromCredit)), recv...)
	e.Lines = append(e.Lines, billing.Credit(billing.RoleCash, amount).Via(cashKey(p)))
	return s.bill.Post(ctx, e)
}

// BackfillJournal books what was issued and received before the journal
// existed (a database upgraded to it): the documents without an entry
// (billing's BackfillDocuments), then each payment whose money counts
// without its receipt, as it stands now: its allocations against the
// invoices, the rest as the customer's credit, and what was refunded
// given back from that credit. Balances come out as the books have them;
// run again, it books nothing. It returns the documents and payments
// booked.
func (s *Service) BackfillJournal(ctx context.Context) (docs, payments int, err error) {
	if docs, err = s.bill.BackfillDocuments(ctx); err != nil {
		return docs, 0, err
	}
	key := "'payment:' || p.id"
	if s.db.Dialect == db.MySQL {
		key = "CONCAT('payment:', p.id)"
	}
	for after := int64(0); ; {
		var ps []Payment
		err := s.db.Read(ctx).Raw(`SELECT p.* FROM payments p WHERE p.status IN ? AND p.id > ?
			AND NOT EXISTS (SELECT 1 FROM journal_entries e WHERE e.seller_id = p.seller_id AND e.source_key = `+key+`)
			ORDER BY p.id LIMIT 200`, []string{StatusSucceeded, StatusPartlyRefunds, StatusRefunded}, after).Scan(&ps).Error
		if err != nil {
			return docs, payments, fmt.Errorf("find payments without journal entries: %w", err)
		}
		if len(ps) == 0 {
			return docs, payments, nil
		}
		for _, p := range ps {
			if err := s.db.WithTx(ctx, func(ctx context.Context) error { return s.backfillPayment(ctx, p) }); err != nil {
				return docs, payments, err
			}
			payments++
		}
		after = ps[len(ps)-1].ID
	}
}

// backfillPayment books one payment's receipt and refunds as they stand.
func (s *Service) backfillPayment(ctx context.Context, p Payment) error {
	var as []Allocation
	if err := s.db.Conn(ctx).Where("payment_id = ?", p.ID).Find(&as).Error; err != nil {
		return fmt.Errorf("read allocations of payment %d: %w", p.ID, err)
	}
	allocs := map[int64]int64{}
	rest := p.AmountMinor
	for _, a := range as {
		allocs[a.InvoiceID] += a.AmountMinor
		rest -= a.AmountMinor
	}
	if err := s.postReceipt(ctx, p, allocs, rest); err != nil {
		return err
	}
	if p.RefundedMinor == 0 {
		return nil
	}
	return s.postRefund(ctx, p, p.RefundedMinor, p.RefundedMinor, nil)
}

// JournalStep books, in the daily run, what was issued and received
// before the journal existed (BackfillJournal); on a database kept from
// the start it finds nothing.
type JournalStep struct{ S *Service }

// Name implements automation.Step.
func (JournalStep) Name() string { return "billing.journal" }

// Run implements automation.Step.
func (st JournalStep) Run(ctx context.Context, _ core.Date) (map[string]int64, error) {
	docs, payments, err := st.S.BackfillJournal(ctx)
	return map[string]int64{"documents_booked": int64(docs), "payments_booked": int64(payments)}, err
}
