package payment

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"faktura/billing"
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

// numbers reads the numbers of invoices ids.
func (s *Service) numbers(ctx context.Context, ids ...int64) (map[int64]string, error) {
	out := map[int64]string{}
	var rows []struct {
		ID     int64
		Number *string
	}
	if err := s.db.Conn(ctx).Table("invoices").Select("id, number").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read invoice numbers: %w", err)
	}
	for _, r := range rows {
		if r.Number != nil {
			out[r.ID] = *r.Number
		}
	}
	return out, nil
}

// receivables are the receivable lines of a payment's entry, one per
// invoice in id order (credit: money coming in; debit: going back),
// and the entry's document: the first invoice's number, or the
// payment's reference.
func (s *Service) receivables(ctx context.Context, p Payment, amounts map[int64]int64, credit bool) ([]billing.JournalLine, string, error) {
	ids := slices.Sorted(maps.Keys(amounts))
	nums, err := s.numbers(ctx, ids...)
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
	nums, err := s.numbers(ctx, invoiceID)
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
