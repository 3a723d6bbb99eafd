package billing

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// postDocuments books finalized documents (ids) in the sales journal, in
// the transaction that finalized them.
func (s *Service) postDocuments(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	var invs []Invoice
	if err := s.db.Conn(ctx).Where("id IN ? AND finalized_at IS NOT NULL", ids).Order("id").Find(&invs).Error; err != nil {
		return fmt.Errorf("read documents to book: %w", err)
	}
	var lines []Line
	if err := s.db.Conn(ctx).Where("invoice_id IN ?", ids).Order("invoice_id, position").Find(&lines).Error; err != nil {
		return fmt.Errorf("read lines of documents to book: %w", err)
	}
	by := map[int64][]Line{}
	for _, l := range lines {
		by[l.InvoiceID] = append(by[l.InvoiceID], l)
	}
	ps := make([]*Invoice, len(invs))
	for i := range invs {
		invs[i].Lines = by[invs[i].ID]
		ps[i] = &invs[i]
	}
	return s.postDocs(ctx, ps)
}

// postDocs books documents that carry their lines.
func (s *Service) postDocs(ctx context.Context, invs []*Invoice) error {
	if len(invs) == 0 {
		return nil
	}
	products, err := s.productsOfLines(ctx, invs)
	if err != nil {
		return err
	}
	refs, err := s.creditedNumbers(ctx, invs)
	if err != nil {
		return err
	}
	es := make([]JournalEntry, 0, len(invs))
	for _, inv := range invs {
		var ref string
		if inv.CreditsID != nil {
			ref = refs[*inv.CreditsID]
		}
		e, err := documentEntry(inv, products, ref)
		if err != nil {
			return err
		}
		es = append(es, e)
	}
	return s.Post(ctx, es...)
}

// productsOfLines maps the contracts the documents' lines bill to their
// products: a product may have its own revenue account.
func (s *Service) productsOfLines(ctx context.Context, invs []*Invoice) (map[int64]int64, error) {
	var ids []int64
	seen := map[int64]bool{}
	for _, inv := range invs {
		for _, l := range inv.Lines {
			if l.ContractID != nil && !seen[*l.ContractID] {
				seen[*l.ContractID] = true
				ids = append(ids, *l.ContractID)
			}
		}
	}
	out := map[int64]int64{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct{ ID, ProductID int64 }
	if err := s.db.Conn(ctx).Table("contracts").Select("id, product_id").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read products of contracts: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.ProductID
	}
	return out, nil
}

// documentEntry books an invoice as receivable against revenue per tax
// key (and product) and VAT per tax key; a credit note the other way.
// Its VAT is the document's, rounded once per category and rate.
// ref is the invoice a credit note credits: its receivable is that one's.
func documentEntry(inv *Invoice, products map[int64]int64, ref string) (JournalEntry, error) {
	var sum TaxSummary
	if err := jsonUnmarshal(inv.Taxes, &sum); err != nil {
		return JournalEntry{}, fmt.Errorf("document %d taxes: %w", inv.ID, err)
	}
	var buyer Party
	if inv.Buyer != "" {
		if err := json.Unmarshal([]byte(inv.Buyer), &buyer); err != nil {
			return JournalEntry{}, fmt.Errorf("document %d buyer: %w", inv.ID, err)
		}
	}
	basis := cmp.Or(sum.Decision.Basis, inv.TaxBasis)
	sign := int64(1) // an invoice: the customer owes
	kind := EntryInvoice
	if inv.Kind == DocCreditNote {
		sign, kind = -1, EntryCreditNote
	}
	num := ""
	if inv.Number != nil {
		num = *inv.Number
	}
	e := JournalEntry{SellerID: inv.SellerID, Journal: JournalSales, Kind: kind, SourceKey: SourceKey("doc", inv.ID),
		DocNumber: num, DocDate: inv.IssueDate, EntryDate: inv.IssueDate, Currency: inv.Currency,
		CustomerID: inv.CustomerID, CustomerName: buyer.Name, BuyerCountry: buyer.Country, BuyerVATID: buyer.VATID,
		CostCentre: inv.Subproject, Text: EntryText(num, buyer.Name)}
	e.Lines = append(e.Lines, Debit(RoleReceivable, sign*inv.TotalMinor).For(cmp.Or(ref, num)))
	type group struct {
		key     string
		product int64
	}
	var order []group
	net := map[group]int64{}
	for _, l := range inv.Lines {
		g := group{key: TaxKey(l.TaxCategory, l.TaxRate, basis)}
		if l.ContractID != nil {
			g.product = products[*l.ContractID]
		}
		if _, ok := net[g]; !ok {
			order = append(order, g)
		}
		net[g] += l.NetMinor
	}
	for _, g := range order {
		l := Credit(RoleRevenue, sign*net[g]).Key(g.key)
		if g.product != 0 {
			p := g.product
			l.ProductID = &p
		}
		e.Lines = append(e.Lines, l)
	}
	for _, t := range sum.Lines {
		e.Lines = append(e.Lines, Credit(RoleVAT, sign*t.Tax).Key(TaxKey(t.Category, t.Rate, basis)))
	}
	return e, nil
}

// EntryText is an entry's booking text: its parts (the kind of event,
// the document, the customer or a reference), each once, cut to the 60
// characters accounting imports take.
func EntryText(parts ...string) string {
	var s string
	var seen []string
	for _, p := range parts {
		if p == "" || slices.Contains(seen, p) {
			continue
		}
		seen = append(seen, p)
		if s != "" {
			s += " "
		}
		s += p
	}
	if r := []rune(s); len(r) > 60 {
		s = string(r[:60])
	}
	return s
}

// EntryLabels name the kinds of money movement in booking texts.
var EntryLabels = map[string]string{EntryPayment: "Payment", EntryRefund: "Refund", EntryCreditApplied: "Credit applied",
	EntryCreditRelease: "Credit released", EntryWriteOff: "Write-off"}

// creditedNumbers maps the invoices the credit notes among invs credit to
// their numbers.
func (s *Service) creditedNumbers(ctx context.Context, invs []*Invoice) (map[int64]string, error) {
	var ids []int64
	for _, inv := range invs {
		if inv.CreditsID != nil {
			ids = append(ids, *inv.CreditsID)
		}
	}
	return s.Numbers(ctx, ids...)
}

// Numbers maps documents ids to their numbers (a draft has none), read
// in the caller's transaction.
func (s *Service) Numbers(ctx context.Context, ids ...int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID     int64
		Number *string
	}
	if err := s.db.Conn(ctx).Table("invoices").Select("id, number").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("read document numbers: %w", err)
	}
	for _, r := range rows {
		if r.Number != nil {
			out[r.ID] = *r.Number
		}
	}
	return out, nil
}
