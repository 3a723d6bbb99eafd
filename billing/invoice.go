package billing

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/money"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

// ErrFrozen is the error for any change to a finalized document.
var ErrFrozen = fmt.Errorf("invoice is finalized: corrections only by credit note: %w", core.ErrPrecondition)

// InvoiceFilter narrows an invoice listing.
type InvoiceFilter struct {
	Kind       string
	Status     string
	CustomerID int64
	SellerID   int64
	Number     string
	CreditsID  int64 // credit notes of this invoice
	Subproject string
	From, To   string // issue dates, inclusive
}

// Validate reports malformed filters.
func (f *InvoiceFilter) Validate() error {
	var v core.ValidationError
	if f.Status != "" {
		if _, ok := invoiceTransitions[InvoiceStatus(f.Status)]; !ok {
			v.Add("status", "is not an invoice status")
		}
	}
	if f.Kind != "" && f.Kind != DocInvoice && f.Kind != DocCreditNote {
		v.Add("kind", "must be invoice or credit_note")
	}
	for name, d := range map[string]string{"from": f.From, "to": f.To} {
		if d != "" {
			if _, err := ParseDay(name, d); err != nil {
				v.Add(name, "want a date as YYYY-MM-DD")
			}
		}
	}
	return v.Err()
}

// Invoices lists documents of customers in the caller's subtree (what it
// buys and what it sells), newest first.
func (s *Service) Invoices(ctx context.Context, scope tenancy.Scope, f InvoiceFilter, p core.Page) ([]Invoice, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	if !scope.Valid() {
		return nil, nil
	}
	q := db.Filter(s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")),
		db.Eq("kind", f.Kind), db.Eq("status", f.Status), db.Eq("customer_id", f.CustomerID), db.Eq("seller_id", f.SellerID),
		db.Eq("subproject", f.Subproject), db.Eq("credits_id", f.CreditsID),
		db.When(f.Number != "", "number LIKE ?"+db.LikeEscape, db.Contains(f.Number)),
		db.When(f.From != "", "issue_date >= ?", f.From), db.When(f.To != "", "issue_date <= ?", f.To))
	return db.FindPage[Invoice](q, p, "invoices")
}

// Invoice returns one document in the caller's subtree with its lines.
func (s *Service) Invoice(ctx context.Context, scope tenancy.Scope, id int64) (Invoice, error) {
	var inv Invoice
	err := s.db.Read(ctx).Scopes(scope.PathColumn("customer_path")).Where("id = ?", id).Take(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || !scope.Valid() {
		return inv, core.E(core.ErrNotFound, "invoice %d not found", id)
	} else if err != nil {
		return inv, fmt.Errorf("load invoice %d: %w", id, err)
	}
	err = s.db.Read(ctx).Where("invoice_id = ?", id).Order("position").Find(&inv.Lines).Error
	return inv, err
}

// sellerInvoice loads a document the caller issues, locked for update.
func (s *Service) sellerInvoice(ctx context.Context, scope tenancy.Scope, id int64) (Invoice, error) {
	inv, err := s.Invoice(ctx, scope, id)
	if err != nil {
		return inv, err
	}
	if inv.SellerID != scope.TenantID {
		return inv, core.E(core.ErrForbidden, "invoice %d is issued by another seller", id)
	}
	if err := s.lockRows(ctx, "invoices", id); err != nil {
		return inv, err
	}
	return s.Invoice(ctx, scope, id)
}

// changeInvoice runs fn in a transaction on a document the caller
// issues, loaded with its lines and locked for update (one outside the
// scope is not found, one another seller issued is forbidden); it returns
// the document as fn left it. Every change to a stored document starts
// here.
func (s *Service) changeInvoice(ctx context.Context, scope tenancy.Scope, id int64, fn func(ctx context.Context, inv *Invoice) error) (Invoice, error) {
	return changeLocked(ctx, s, func(ctx context.Context) (Invoice, error) { return s.sellerInvoice(ctx, scope, id) }, fn)
}

// changeLocked runs fn in a transaction on what load returns (loaded and
// locked in that transaction) and returns it as fn left it.
func changeLocked[T any](ctx context.Context, s *Service, load func(ctx context.Context) (T, error), fn func(ctx context.Context, v *T) error) (T, error) {
	var v T
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if v, err = load(ctx); err != nil {
			return err
		}
		return fn(ctx, &v)
	})
	return v, err
}

// move changes a document's status by the transition table.
func (s *Service) move(ctx context.Context, inv *Invoice, to InvoiceStatus, extra map[string]any) error {
	if !CanMove(inv.Status, to) {
		return core.E(core.ErrPrecondition, "invoice %d is %s and cannot become %s", inv.ID, inv.Status, to)
	}
	upd := map[string]any{"status": to, "updated_at": s.now()}
	for k, v := range extra {
		upd[k] = v
	}
	res := s.db.Conn(ctx).Model(&Invoice{}).Where("id = ? AND status = ?", inv.ID, inv.Status).Updates(upd)
	if res.Error != nil {
		return fmt.Errorf("invoice %d to %s: %w", inv.ID, to, res.Error)
	}
	if res.RowsAffected != 1 {
		return core.E(core.ErrConflict, "invoice %d changed meanwhile", inv.ID)
	}
	inv.Status = to
	return nil
}

// Finalize asks to finalize a draft: the approval rules may hold it
// (awaiting approval); otherwise it is numbered and frozen.
func (s *Service) Finalize(ctx context.Context, scope tenancy.Scope, id int64) (Invoice, error) {
	return s.changeInvoice(ctx, scope, id, func(ctx context.Context, inv *Invoice) error {
		if inv.Frozen() {
			return ErrFrozen
		}
		if inv.Status != InvoiceStatusDraft {
			return core.E(core.ErrPrecondition, "invoice %d is %s: only a draft can be finalized (approve it instead)", id, inv.Status)
		}
		if len(inv.Lines) == 0 {
			return core.Invalid("lines", "an invoice needs at least one line")
		}
		if inv.TotalMinor < 0 {
			return core.Invalid("lines", "the total is negative: issue a credit note instead")
		}
		snap, err := s.settings.Snapshot(ctx, runSettings...)
		if err != nil {
			return err
		}
		d := &draft{inv: *inv, lines: inv.Lines}
		for _, l := range inv.Lines {
			d.manual = d.manual || l.Kind == LineManual || l.Kind == LineOneOff
		}
		pc := s.newPartyCache(snap, mustDay(inv.IssueDate))
		p, err := pc.get(ctx, inv.SellerID, inv.CustomerID)
		if err != nil {
			return err
		}
		if err := SellerMentionsProblem(p.seller, p.buyer); err != nil {
			return err // by hand, say what is missing rather than hold
		}

		hold, err := holdReason(ctx, snap, d, p)
		if err != nil {
			return err
		}
		if hold != "" {
			if err := s.move(ctx, inv, InvoiceStatusAwaitingApproval, map[string]any{"hold_reason": hold}); err != nil {
				return err
			}
			inv.HoldReason = hold
			return s.record(ctx, "billing.invoice.hold", "invoice", id, inv.CustomerID, inv.CustomerPath, nil, map[string]string{"reason": hold})
		}
		return s.finalizeNow(ctx, inv, "")
	})
}

// HoldSellerIDs holds a document whose seller lacks an id its invoices
// must carry (SellerMentionsProblem) until the seller sets it.
const HoldSellerIDs = "seller_ids"

// HoldVIES holds an invoice to a buyer whose VAT id VIES has not
// confirmed yet (billing.vies_unconfirmed = hold); the daily run decides
// its tax anew once VIES answers.
const HoldVIES = "vies_unverified"

// finalizeNow numbers and freezes a document in the caller's transaction.
// The seller's details are taken afresh from its billing profile (a
// draft may be older than the seller's last change); a seller lacking an
// id its country's invoices must carry cannot finalize.
func (s *Service) finalizeNow(ctx context.Context, inv *Invoice, approver string) error {
	seller, err := s.sellerParty(ctx, inv.SellerID)
	if err != nil {
		return err
	}
	var buyer Party
	if inv.Buyer != "" {
		if err := json.Unmarshal([]byte(inv.Buyer), &buyer); err != nil {
			return fmt.Errorf("invoice %d buyer: %w", inv.ID, err)
		}
	}
	if err := SellerMentionsProblem(seller, buyer); err != nil {
		return err
	}
	var sum TaxSummary
	if err := jsonUnmarshal(inv.Taxes, &sum); err != nil {
		return err
	}
	if err := ReverseChargeProblem(seller, sum.Decision.Category); err != nil {
		return err
	}
	if err := s.checkCategories(ctx, inv.ID); err != nil {
		return err
	}
	sj, _ := json.Marshal(seller)
	issue := mustDay(inv.IssueDate)
	first, prefix, err := s.reserveNumbers(ctx, inv.SellerID, inv.Kind, issue.Year, 1)
	if err != nil {
		return err
	}
	closed, err := s.ClosedThrough(ctx, inv.SellerID)
	if err != nil {
		return err
	}
	if c := closed[inv.SellerID]; c != "" && inv.IssueDate[:7] <= c {
		return core.E(ErrClosedPeriod, "this document is dated %s, in %s, a month whose books are closed: delete the draft and create it again to date it today",
			inv.IssueDate, inv.IssueDate[:7])
	}
	num, now := FormatNumber(prefix, issue.Year, first), s.now()
	extra := map[string]any{"number": num, "seq": first, "finalized_at": now, "hold_reason": "", "seller": string(sj)}
	if approver != "" {
		extra["approved_by"] = approver
	}
	if err := s.move(ctx, inv, InvoiceStatusFinalized, extra); err != nil {
		return err
	}
	inv.Number, inv.Seq, inv.FinalizedAt, inv.ApprovedBy, inv.Seller = &num, &first, &now, approver, string(sj)
	if err := s.postDocuments(ctx, []int64{inv.ID}); err != nil {
		return err
	}
	if err := s.publish(ctx, InvoiceFinalized{factsOf(*inv)}); err != nil {
		return err
	}
	return s.record(ctx, "billing.invoice.finalize", "invoice", inv.ID, inv.CustomerID, inv.CustomerPath, nil,
		map[string]any{"number": num, "total_minor": inv.TotalMinor, "approved_by": approver})
}

// checkCategories refuses a document that mixes lines outside the scope
// of VAT (O) with lines of another category: EN 16931 forbids it
// (BR-O-11 to BR-O-14), and such supplies go on invoices of their own.
func (s *Service) checkCategories(ctx context.Context, id int64) error {
	var cats []Category
	if err := s.db.Conn(ctx).Model(&Line{}).Distinct("tax_category").Where("invoice_id = ?", id).Pluck("tax_category", &cats).Error; err != nil {
		return fmt.Errorf("categories of document %d: %w", id, err)
	}
	if len(cats) > 1 && slices.Contains(cats, CategoryOutside) {
		return core.Invalid("lines", "lines outside the scope of VAT (O) cannot share an invoice with lines of category %s (EN 16931 BR-O-11); issue them on an invoice of their own",
			cats[slices.IndexFunc(cats, func(c Category) bool { return c != CategoryOutside })])
	}
	return nil
}

// Approve finalizes a document awaiting approval. With four-eyes on,
// whoever created it may not approve it.
func (s *Service) Approve(ctx context.Context, scope tenancy.Scope, id int64) (Invoice, error) {
	return s.changeInvoice(ctx, scope, id, func(ctx context.Context, inv *Invoice) error {
		if inv.Status != InvoiceStatusAwaitingApproval {
			return core.E(core.ErrPrecondition, "invoice %d is %s, not awaiting approval", id, inv.Status)
		}
		me := actorLabel(ctx)
		fe, err := settings.Get(ctx, s.settings, FourEyes, settings.Scope{Seller: itoa(inv.SellerID), Customer: itoa(inv.CustomerID)})
		if err != nil {
			return err
		}
		if fe.Value && me == inv.CreatedBy {
			return core.E(core.ErrForbidden, "four-eyes rule: you created invoice %d, so someone else must approve it", id)
		}
		return s.finalizeNow(ctx, inv, me)
	})
}

// Validate normalises the input and reports every problem.
func (in *LineInput) Validate(prefix string) error {
	var v core.ValidationError
	in.Description = strings.TrimSpace(in.Description)
	if in.Description == "" || len(in.Description) > 500 {
		v.Add(prefix+"description", "must be 1-500 characters")
	}
	q, err := decimal.NewFromString(cmp.Or(strings.TrimSpace(in.Quantity), "1"))
	switch {
	case err != nil || !q.IsPositive() || q.Exponent() < -money.MaxUnitDecimals:
		v.Add(prefix+"quantity", "must be a positive number with at most 6 decimals")
	case !q.LessThan(money.MaxQuantity):
		v.Addf(prefix+"quantity", "must be below %s", money.MaxQuantity)
	}
	p, err := decimal.NewFromString(strings.TrimSpace(in.UnitPrice))
	switch {
	case err != nil || p.Exponent() < -money.MaxUnitDecimals:
		v.Add(prefix+"unit_price", "must be a number with at most 6 decimals")
	case p.IsNegative():
		v.Add(prefix+"unit_price", "must not be negative: credit notes correct invoices")
	}
	in.Quantity, in.UnitPrice = q.String(), p.String()
	return v.Err()
}

// LastDocumentID is the id of the newest document (0 when none): a dry
// run notes it before its steps, to list what they wrote.
func (s *Service) LastDocumentID(ctx context.Context) (int64, error) {
	var id int64
	if err := s.db.Read(ctx).Model(&Invoice{}).Select("COALESCE(MAX(id), 0)").Scan(&id).Error; err != nil {
		return 0, fmt.Errorf("newest document: %w", err)
	}
	return id, nil
}

// DocumentsAfter lists every document with an id above after, oldest
// first, with their lines (system work: no scope).
func (s *Service) DocumentsAfter(ctx context.Context, after int64) ([]Invoice, error) {
	var out []Invoice
	if err := s.db.Read(ctx).Where("id > ?", after).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list documents: %w", err)
	}
	for i := range out {
		if err := s.db.Read(ctx).Where("invoice_id = ?", out[i].ID).Order("position").Find(&out[i].Lines).Error; err != nil {
			return nil, fmt.Errorf("lines of document %d: %w", out[i].ID, err)
		}
	}
	return out, nil
}
