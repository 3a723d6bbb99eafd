package dunning

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/panel/core"
	"faktura/panel/core/mail"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
)

// Bucket is a currency's overdue amounts by age.
type Bucket struct {
	Currency string   `json:"currency"`
	Ages     [4]int64 `json:"ages_minor"` // 1-30, 31-60, 61-90, over 90 days
	Counts   [4]int64 `json:"counts"`
	Total    int64    `json:"total_minor"`
}

// AgeLabels name the buckets' ages.
var AgeLabels = [4]string{"1-30", "31-60", "61-90", ">90"}

func ageIndex(days int) int {
	switch {
	case days <= 30:
		return 0
	case days <= 60:
		return 1
	case days <= 90:
		return 2
	}
	return 3
}

// Row is an overdue invoice as the collections view shows it.
type Row struct {
	InvoiceID    int64  `json:"invoice_id"`
	Number       string `json:"number"`
	CustomerID   int64  `json:"customer_id"`
	CustomerName string `json:"customer_name"`
	Currency     string `json:"currency"`
	OpenMinor    int64  `json:"open_minor"`
	DueDate      string `json:"due_date"`
	Days         int    `json:"days_overdue"`
	LastStep     string `json:"last_step,omitempty"` // e.g. reminder+7
	LastDay      string `json:"last_day,omitempty"`  // the day it ran
	NextStep     string `json:"next_step,omitempty"`
	NextDay      string `json:"next_day,omitempty"`
	SuspendOn    string `json:"suspend_on,omitempty"`
	Hold         *Hold  `json:"hold,omitempty"`
}

// StepRef is a step as a page names it: its action, its day relative to
// the due date ("+7") and the day it ran or runs.
type StepRef struct {
	Action Action
	Offset string
	Day    string
}

func stepRef(key, day string) *StepRef {
	if key == "" {
		return nil
	}
	i := strings.IndexAny(key, "+-")
	if i < 0 {
		return nil
	}
	return &StepRef{Action: Action(key[:i]), Offset: key[i:], Day: day}
}

// Last is the last step done, for the pages.
func (r Row) Last() *StepRef { return stepRef(r.LastStep, r.LastDay) }

// Next is the next step due, for the pages.
func (r Row) Next() *StepRef { return stepRef(r.NextStep, r.NextDay) }

// HeldRow is an account or reseller suspended for non-payment, with where
// it stands on its server.
type HeldRow struct {
	Suspension
	CustomerName string                  `json:"customer_name"`
	Numbers      map[int64]string        `json:"numbers"` // the invoices' numbers by id
	Server       *provisioning.HeldState `json:"server,omitempty"`
}

// Report is a seller's collections view.
type Report struct {
	Day       string    `json:"day"`
	Buckets   []Bucket  `json:"buckets"`
	Invoices  []Row     `json:"invoices"`
	Holds     []Hold    `json:"holds"`
	Suspended []HeldRow `json:"suspended"`
	Failures  int       `json:"failures"` // suspensions a server has not carried out yet
}

// ReportLimit bounds the invoices a report lists (the buckets count all).
const ReportLimit = 500

// Collections is the caller's collections view as of day: overdue
// invoices by age, the next step of each, holds, and what is suspended
// for non-payment (with the servers that failed to suspend).
func (s *Service) Collections(ctx context.Context, scope tenancy.Scope, day core.Date) (Report, error) {
	rep := Report{Day: day.String(), Buckets: []Bucket{}, Invoices: []Row{}, Suspended: []HeldRow{}}
	if err := requireSeller(scope); err != nil {
		return rep, err
	}
	rows, err := s.overdueRows(ctx, "seller_id = ?", scope.TenantID, day)
	if err != nil {
		return rep, err
	}
	byCur := map[string]*Bucket{}
	for _, r := range rows {
		b := byCur[r.Currency]
		if b == nil {
			b = &Bucket{Currency: r.Currency}
			byCur[r.Currency] = b
		}
		i := ageIndex(r.Days)
		b.Ages[i] += r.OpenMinor
		b.Counts[i]++
		b.Total += r.OpenMinor
	}
	for _, b := range byCur {
		rep.Buckets = append(rep.Buckets, *b)
	}
	slices.SortFunc(rep.Buckets, func(a, b Bucket) int { return strings.Compare(a.Currency, b.Currency) })
	if len(rows) > ReportLimit {
		rows = rows[:ReportLimit]
	}
	rep.Invoices = rows
	if rep.Holds, err = s.Holds(ctx, scope, day); err != nil {
		return rep, err
	}
	var sps []Suspension
	if err := s.db.Read(ctx).Where("seller_id = ? AND open_key IS NOT NULL", scope.TenantID).Order("id").Find(&sps).Error; err != nil {
		return rep, err
	}
	var accts, custs []int64
	for _, sp := range sps {
		custs = append(custs, sp.CustomerID)
		if sp.SubjectKind == provisioning.HeldAccount {
			accts = append(accts, sp.SubjectID)
		}
	}
	names, err := s.names(ctx, custs)
	if err != nil {
		return rep, err
	}
	states := map[int64]provisioning.HeldState{}
	if s.opt.Enforcer != nil {
		if states, err = s.opt.Enforcer.NonpaymentStates(ctx, accts); err != nil {
			return rep, err
		}
	}
	var invIDs []int64
	for _, sp := range sps {
		invIDs = append(invIDs, splitIDs(sp.Invoices)...)
	}
	numbers := map[int64]string{}
	if len(invIDs) > 0 {
		var rows []struct {
			ID     int64
			Number *string
		}
		if err := s.db.Read(ctx).Model(&billing.Invoice{}).Select("id, number").Where("id IN ?", invIDs).Scan(&rows).Error; err != nil {
			return rep, err
		}
		for _, r := range rows {
			numbers[r.ID] = deref(r.Number)
		}
	}
	for _, sp := range sps {
		hr := HeldRow{Suspension: sp, CustomerName: names[sp.CustomerID], Numbers: map[int64]string{}}
		for _, id := range splitIDs(sp.Invoices) {
			hr.Numbers[id] = numbers[id]
		}
		if st, ok := states[sp.SubjectID]; ok && sp.SubjectKind == provisioning.HeldAccount {
			hr.Server = &st
			if st.Error != "" || st.State != st.Target {
				rep.Failures++
			}
		}
		rep.Suspended = append(rep.Suspended, hr)
	}
	return rep, nil
}

// overdueRows lists the open invoices past their due date matching where,
// oldest first, with their last and next steps and holds.
func (s *Service) overdueRows(ctx context.Context, where string, id int64, day core.Date) ([]Row, error) {
	var invs []billing.Invoice
	if err := s.db.Read(ctx).Model(&billing.Invoice{}).Select(invoiceColumns+", number").
		Where(where, id).Where("kind = ? AND status IN ? AND due_date < ?", billing.DocInvoice, openStatuses, day.String()).
		Order("due_date, id").Limit(5000).Find(&invs).Error; err != nil {
		return nil, fmt.Errorf("overdue invoices: %w", err)
	}
	return s.rows(ctx, invs, day)
}

func (s *Service) rows(ctx context.Context, invs []billing.Invoice, day core.Date) ([]Row, error) {
	out := []Row{}
	if len(invs) == 0 {
		return out, nil
	}
	snap, err := s.settings.Snapshot(ctx, ScheduleKey.Name)
	if err != nil {
		return nil, err
	}
	ids, custs := make([]int64, len(invs)), make([]int64, len(invs))
	for i, inv := range invs {
		ids[i], custs[i] = inv.ID, inv.CustomerID
	}
	var recs []StepRecord
	for chunk := range slices.Chunk(ids, 1000) {
		var part []StepRecord
		if err := s.db.Read(ctx).Select("invoice_id, step_key, day_offset, run_day").Where("invoice_id IN ?", chunk).Order("day_offset").Find(&part).Error; err != nil {
			return nil, err
		}
		recs = append(recs, part...)
	}
	last, done := map[int64]StepRecord{}, map[int64]map[string]bool{}
	for _, r := range recs {
		last[r.InvoiceID] = r
		if done[r.InvoiceID] == nil {
			done[r.InvoiceID] = map[string]bool{}
		}
		done[r.InvoiceID][r.StepKey] = true
	}
	slices.Sort(custs)
	custs = slices.Compact(custs)
	var holds []Hold
	if err := s.db.Read(ctx).Where("customer_id IN ? AND released_at IS NULL AND until_day >= ?", custs, day.String()).Find(&holds).Error; err != nil {
		return nil, err
	}
	names, err := s.names(ctx, custs)
	if err != nil {
		return nil, err
	}
	scopes, err := s.scopes(ctx, invs)
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		due, err := core.ParseDate("due_date", inv.DueDate)
		if err != nil {
			return nil, err
		}
		r := Row{InvoiceID: inv.ID, CustomerID: inv.CustomerID, CustomerName: names[inv.CustomerID], Currency: inv.Currency, OpenMinor: openMinor(inv),
			DueDate: inv.DueDate, Days: billing.DaysBetween(due, day), LastStep: last[inv.ID].StepKey, LastDay: last[inv.ID].RunDay, Hold: onHold(holds, inv)}
		if inv.Number != nil {
			r.Number = *inv.Number
		}
		if !inv.IsLateFee() {
			sc, err := settings.Lookup(snap, ScheduleKey, scopes[inv.ID])
			if err != nil {
				return nil, err
			}
			for _, st := range sc.Value.On() {
				if st.Action == ActionSuspend && !done[inv.ID][st.Key()] {
					r.SuspendOn = billing.AddDays(due, st.Offset).String()
				}
				// The next step: of those already due and not done (the next
				// run does them, mailing the last), the last; else the first
				// to come.
				at := billing.AddDays(due, st.Offset)
				switch {
				case done[inv.ID][st.Key()]:
				case !billing.Before(day, at):
					r.NextStep, r.NextDay = st.Key(), day.String()
				case r.NextStep == "":
					r.NextStep, r.NextDay = st.Key(), at.String()
				}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// ClientStatus is what a customer sees of its collections: its open
// invoices past their due date and the day its services are suspended
// if they stay unpaid.
type ClientStatus struct {
	Overdue   []Row  `json:"overdue"`
	SuspendOn string `json:"suspend_on,omitempty"` // the earliest, when one is scheduled
	Suspended int    `json:"suspended"`            // accounts suspended for non-payment now
}

// Client is the caller's own collections status as of day.
func (s *Service) Client(ctx context.Context, scope tenancy.Scope, day core.Date) (ClientStatus, error) {
	var cs ClientStatus
	if !scope.Valid() {
		return cs, core.E(core.ErrForbidden, "no tenant")
	}
	var invs []billing.Invoice
	// Invoices due within the next week count too: the warning comes
	// before suspension.
	soon := billing.AddDays(day, 8)
	if err := s.db.Read(ctx).Model(&billing.Invoice{}).Select(invoiceColumns+", number").
		Where("customer_id = ? AND kind = ? AND status IN ? AND due_date < ?", scope.TenantID, billing.DocInvoice, openStatuses, soon.String()).
		Order("due_date, id").Limit(200).Find(&invs).Error; err != nil {
		return cs, err
	}
	rows, err := s.rows(ctx, invs, day)
	if err != nil {
		return cs, err
	}
	cs.Overdue = []Row{}
	for _, r := range rows {
		r.Hold = nil // the seller's note, not the customer's
		if r.Days > 0 {
			cs.Overdue = append(cs.Overdue, r)
		}
		if r.SuspendOn != "" && (cs.SuspendOn == "" || r.SuspendOn < cs.SuspendOn) {
			cs.SuspendOn = r.SuspendOn
		}
	}
	var n int64
	if err := s.db.Read(ctx).Model(&Suspension{}).Where("customer_id = ? AND open_key IS NOT NULL", scope.TenantID).Count(&n).Error; err != nil {
		return cs, err
	}
	cs.Suspended = int(n)
	return cs, nil
}

// alerts mails billing staff of each seller when one of its invoices has
// been overdue the alert's days, or a customer's overdue total reaches the
// alert amount: once per invoice and threshold, and once per customer,
// currency and debt (named by its oldest overdue invoice).
func (s *Service) alerts(ctx context.Context, snap *settings.Snapshot, day core.Date) (Summary, error) {
	var sum Summary
	if s.opt.Mail == nil || s.opt.Tpl == nil {
		return sum, nil
	}
	days := []int{AlertDays.Default}
	days = append(days, settings.Values(snap, AlertDays)...)
	least := 0
	for _, d := range days {
		if d > 0 && (least == 0 || d < least) {
			least = d
		}
	}
	staff := map[int64][]staffer{}
	if least > 0 {
		var invs []billing.Invoice
		if err := s.db.Read(ctx).Model(&billing.Invoice{}).Select(invoiceColumns+", number").
			Where("kind = ? AND status IN ? AND due_date <= ?", billing.DocInvoice, openStatuses, billing.AddDays(day, -least).String()).
			Order("id").Limit(10000).Find(&invs).Error; err != nil {
			return sum, err
		}
		scopes, err := s.scopes(ctx, invs)
		if err != nil {
			return sum, err
		}
		for _, inv := range invs {
			v, err := settings.Lookup(snap, AlertDays, scopes[inv.ID])
			if err != nil {
				return sum, err
			}
			due, _ := core.ParseDate("due_date", inv.DueDate)
			if v.Value == 0 || billing.DaysBetween(due, day) < v.Value {
				continue
			}
			n, err := s.alert(ctx, staff, inv.SellerID, inv.CustomerID, fmt.Sprintf("collections-alert:invoice:%d:%d", inv.ID, v.Value), "invoice",
				map[string]any{"Number": deref(inv.Number), "Days": billing.DaysBetween(due, day), "Open": enMoney(inv.Currency, openMinor(inv))})
			if err != nil {
				return sum, err
			}
			sum.Alerts += n
		}
	}
	amounts := settings.Values(snap, AlertMinor)
	if AlertMinor.Default > 0 {
		amounts = append(amounts, AlertMinor.Default)
	}
	if !slices.ContainsFunc(amounts, func(a int) bool { return a > 0 }) {
		return sum, nil
	}
	var totals []struct {
		SellerID, CustomerID int64
		Currency             string
		Open                 int64
		Oldest               int64
	}
	if err := s.db.Read(ctx).Model(&billing.Invoice{}).Select("seller_id, customer_id, currency, SUM(total_minor - paid_minor - credited_minor) AS open, MIN(id) AS oldest").
		Where("kind = ? AND status IN ? AND due_date < ?", billing.DocInvoice, openStatuses, day.String()).
		Group("seller_id, customer_id, currency").Scan(&totals).Error; err != nil {
		return sum, err
	}
	for _, t := range totals {
		v, err := settings.Lookup(snap, AlertMinor, settings.Scope{Seller: itoa(t.SellerID), Customer: itoa(t.CustomerID)})
		if err != nil {
			return sum, err
		}
		if v.Value == 0 || t.Open < int64(v.Value) {
			continue
		}
		// Once per debt: the oldest overdue invoice names it, so a customer
		// who pays and falls behind again alerts again.
		key := fmt.Sprintf("collections-alert:customer:%d:%d:%s:%d", t.SellerID, t.CustomerID, t.Currency, t.Oldest)
		n, err := s.alert(ctx, staff, t.SellerID, t.CustomerID, key, "customer",
			map[string]any{"Open": enMoney(t.Currency, t.Open), "Limit": enMoney(t.Currency, int64(v.Value))})
		if err != nil {
			return sum, err
		}
		sum.Alerts += n
	}
	return sum, nil
}

type staffer struct {
	Email, Language string
}

// alert queues one alert to each of the seller's billing staff (owners,
// admins, billing users).
func (s *Service) alert(ctx context.Context, staff map[int64][]staffer, sellerID, customerID int64, key, kind string, args map[string]any) (int64, error) {
	list, ok := staff[sellerID]
	if !ok {
		if err := s.db.Read(ctx).Table("users").Select("email, language").
			Where("tenant_id = ? AND status = ? AND role IN ?", sellerID, "active", []string{"owner", "admin", "billing"}).Order("id").Scan(&list).Error; err != nil {
			return 0, fmt.Errorf("billing staff of %d: %w", sellerID, err)
		}
		staff[sellerID] = list
	}
	if len(list) == 0 {
		return 0, nil
	}
	names, err := s.names(ctx, []int64{customerID, sellerID})
	if err != nil {
		return 0, err
	}
	args["Customer"], args["Seller"] = names[customerID], names[sellerID]
	var path string
	if err := s.db.Read(ctx).Table("tenants").Select("path").Where("id = ?", sellerID).Scan(&path).Error; err != nil {
		return 0, err
	}
	var n int64
	for _, u := range list {
		lang := u.Language
		subject, text, html, err := s.opt.Tpl.Mail("collections_alert", lang, map[string]any{"Lang": lang, "Kind": kind, "Args": args,
			"Link": s.opt.BaseURL + "/billing/collections"})
		if err != nil {
			return n, err
		}
		added, err := s.opt.Mail.Enqueue(ctx, mail.Queued{Key: key + ":" + u.Email, Kind: "collections_alert", Tenant: tenancy.Scope{TenantID: sellerID, Path: path},
			Message: mail.Message{To: u.Email, Subject: subject, Body: text, HTML: html, Lang: lang}})
		if err != nil {
			return n, err
		}
		if added {
			n++
		}
	}
	return n, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func enMoney(cur string, minor int64) string {
	return document.LocaleFor("en").Money(minor, cur)
}
