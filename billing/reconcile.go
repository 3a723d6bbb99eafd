package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
)

// Inventory lists the live resources; provisioning implements it and
// main wires it in. It reads in the caller's transaction.
type Inventory interface {
	Inventory(ctx context.Context) ([]provisioning.Item, error)
}

// Drift is one difference between resources and contracts.
type Drift struct {
	Kind     string `json:"kind"` // missing_contract, unpriced, orphan_contract
	Subject  string `json:"subject"`
	Detail   string `json:"detail"`
	Contract int64  `json:"contract_id,omitempty"`
}

// ReconcileReport lists the drift found, and what repair did.
type ReconcileReport struct {
	Resources int     `json:"resources"`
	Contracts int     `json:"contracts"`
	Drift     []Drift `json:"drift"`
	Opened    int     `json:"opened"`
	Closed    int     `json:"closed"`
	Unpriced  int     `json:"unpriced"`
	Repaired  bool    `json:"repaired"`
}

var errRollback = errors.New("reconcile: dry run")

// Reconcile compares the live resources with the open contracts: a
// resource the catalog prices but no contract bills (a lost event) and a
// contract whose resource is gone. With repair it opens and closes
// contracts as of now (closing credits by the termination settings);
// without, the same work is rolled back, so the listing is exactly what
// repair would do. Running it twice repairs nothing the second time.
//
// It reads the resources and the contracts in the same transaction (one
// snapshot), counts its report there, and runs again from the start when
// the database reports a conflict: a contract it sees open always has
// its resource in the same snapshot, so it never closes a contract whose
// resource is live. The comparison is set-based: two bulk reads and a
// hash join; only drift costs a query per resource.
func (s *Service) Reconcile(ctx context.Context, inv Inventory, repair bool) (ReconcileReport, error) {
	var rep ReconcileReport
	err := s.tx(ctx, func(ctx context.Context) error {
		rep = ReconcileReport{Repaired: repair}
		items, err := inv.Inventory(ctx)
		if err != nil {
			return err
		}
		st, err := s.loadReconcileState(ctx)
		if err != nil {
			return err
		}
		rep.Resources, rep.Contracts = len(items), len(st.open)
		if err := s.fire("reconcile.read"); err != nil {
			return err
		}
		live := make(map[string]bool, len(items))
		for _, it := range items {
			subj, err := st.subject(it)
			if err != nil {
				return err
			}
			live[subj.Kind+":"+itoa(subj.ID)] = true
			if err := s.reconcileItem(ctx, st, subj, &rep); err != nil {
				return err
			}
		}
		if err := s.closeOrphans(ctx, st, live, &rep); err != nil {
			return err
		}
		if !repair {
			return errRollback
		}
		return nil
	})
	if errors.Is(err, errRollback) {
		err = nil
	}
	return rep, err
}

// ReconcileDay is the daily run's reconcile: processes and nodes that run
// the same day at once reconcile once. The first claims the day's
// reconcile; the others wait for it and use its result when it finished
// after they started (what it missed, a resource whose event was lost in
// the moment between, the next day's reconcile repairs). A run the same
// day after that one finished reconciles again.
func (s *Service) ReconcileDay(ctx context.Context, inv Inventory, day Date) (rep ReconcileReport, shared bool, err error) {
	const bucket = "reconcile"
	holder, since := s.newHolder(), s.now()
	wait := 20 * time.Millisecond
	for {
		st, err := s.claim(ctx, day, bucket, holder, since, true)
		switch {
		case err != nil:
			return rep, false, err
		case st == claimDone:
			return rep, true, nil
		case st == claimHeld && !db.InTx(ctx):
			if err := core.Sleep(ctx, wait); err != nil {
				return rep, false, err
			}
			wait = min(2*wait, 50*time.Millisecond)
			continue
		}
		rep, err = s.Reconcile(ctx, inv, true)
		if err != nil {
			s.releaseClaim(ctx, day, bucket, holder)
			return rep, false, err
		}
		s.finishClaim(ctx, day, bucket, holder)
		return rep, false, nil
	}
}

// reconcileItem checks that every seller along the subject's chain (its
// direct seller, then each reseller's own seller) bills it when its
// catalog prices it, and opens what is missing.
func (s *Service) reconcileItem(ctx context.Context, st *reconcileState, subj Subject, rep *ReconcileReport) error {
	name := fmt.Sprintf("%s %d (%s)", subj.Kind, subj.ID, subj.Name)
	var unpriced []string
	missing := false
	for seller := range st.chain(subj.SellerID) {
		switch {
		case st.open[openKey(seller, subj.Kind, subj.ID)]:
		case !st.priced(seller, subj):
			unpriced = append(unpriced, fmt.Sprintf("seller %d has no %s product for %q", seller, subj.Product, subj.Match))
		default:
			missing = true
		}
	}
	if missing {
		got, err := s.openSubject(ctx, subj, s.now(), "reconcile")
		if err != nil {
			return err
		}
		for _, c := range got.Contracts {
			rep.Opened++
			rep.Drift = append(rep.Drift, Drift{Kind: "missing_contract", Subject: name, Contract: c.ID,
				Detail: fmt.Sprintf("seller %d, customer %d, %s %d/%s", c.SellerID, c.CustomerID, c.Currency, c.UnitMinor, c.Cycle)})
		}
		unpriced = got.Unpriced
	}
	for _, u := range unpriced {
		rep.Unpriced++
		rep.Drift = append(rep.Drift, Drift{Kind: "unpriced", Subject: name, Detail: u})
	}
	return nil
}

// closeOrphans closes the open contracts whose resource is not live.
func (s *Service) closeOrphans(ctx context.Context, st *reconcileState, live map[string]bool, rep *ReconcileReport) error {
	for _, c := range st.contracts {
		if live[c.SubjectKind+":"+itoa(c.SubjectID)] {
			continue
		}
		n, err := s.closeContracts(ctx, s.now(), "reconcile", "id = ?", c.ID)
		if err != nil {
			return err
		}
		if n == 0 {
			continue // closed meanwhile
		}
		rep.Closed++
		rep.Drift = append(rep.Drift, Drift{Kind: "orphan_contract", Subject: fmt.Sprintf("%s %d (%s)", c.SubjectKind, c.SubjectID, c.SubjectName),
			Contract: c.ID, Detail: "the resource is gone"})
	}
	return nil
}

// openRow is what reconcile reads of an open contract.
type openRow struct {
	ID          int64
	SellerID    int64
	SubjectKind string
	SubjectID   int64
	SubjectName string
}

// reconcileState is what reconcile reads once: the open contracts, the
// reseller tree and which products each seller has.
type reconcileState struct {
	contracts []openRow
	open      map[string]bool  // open keys
	parent    map[int64]int64  // reseller -> its seller
	names     map[int64]string // reseller -> its name
	products  map[string]bool  // seller/kind/match of active products
}

func (s *Service) loadReconcileState(ctx context.Context) (*reconcileState, error) {
	st := &reconcileState{open: map[string]bool{}, parent: map[int64]int64{}, names: map[int64]string{}, products: map[string]bool{}}
	if err := s.db.Conn(ctx).Model(&Contract{}).Select("id, seller_id, subject_kind, subject_id, subject_name").
		Where("status = ? AND subject_kind <> ?", ContractActive, SubjectManual).Order("id").Find(&st.contracts).Error; err != nil {
		return nil, fmt.Errorf("list open contracts: %w", err)
	}
	for _, c := range st.contracts {
		st.open[openKey(c.SellerID, c.SubjectKind, c.SubjectID)] = true
	}
	var rs []struct {
		ID, ParentID int64
		Name         string
	}
	if err := s.db.Conn(ctx).Table("tenants").Select("id, parent_id, name").Where("kind = ? AND parent_id IS NOT NULL", tenancy.KindReseller).
		Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("list resellers: %w", err)
	}
	for _, r := range rs {
		st.parent[r.ID], st.names[r.ID] = r.ParentID, r.Name
	}
	var ps []struct {
		SellerID  int64
		Kind      string
		MatchCode string
	}
	if err := s.db.Conn(ctx).Model(&Product{}).Select("seller_id, kind, match_code").Where("active = ?", true).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	for _, p := range ps {
		st.products[fmt.Sprintf("%d/%s/%s", p.SellerID, p.Kind, p.MatchCode)] = true
	}
	return st, nil
}

// chain yields a subject's seller, then each reseller's own seller.
func (st *reconcileState) chain(seller int64) func(func(int64) bool) {
	return func(yield func(int64) bool) {
		for seen := 0; seller != 0 && seen < 64; seen++ {
			if !yield(seller) {
				return
			}
			seller = st.parent[seller]
		}
	}
}

// priced reports whether seller has an active product for subj, as
// matchProduct would find it.
func (st *reconcileState) priced(seller int64, subj Subject) bool {
	if subj.Product == KindDomain || subj.Product == KindSubdomain {
		return st.products[fmt.Sprintf("%d/%s/%s", seller, subj.Product, strings.ToLower(subj.Match))] ||
			st.products[fmt.Sprintf("%d/%s/", seller, subj.Product)]
	}
	return st.products[fmt.Sprintf("%d/%s/%s", seller, subj.Product, subj.Match)]
}

// subject turns an inventory item into its subject without a query.
func (st *reconcileState) subject(it provisioning.Item) (Subject, error) {
	if it.Kind != SubjectReseller {
		ref := provisioning.AccountRef{AccountID: it.AccountID, TenantID: it.TenantID, SellerID: it.SellerID, Username: it.Account}
		switch it.Kind {
		case SubjectAccount:
			return AccountSubject(ref, it.Package), nil
		case SubjectDomain, SubjectSubdomain:
			return DomainSubject(ref, it.Kind, it.ID, it.Name), nil
		}
		return Subject{}, fmt.Errorf("unknown resource kind %q", it.Kind)
	}
	parent, ok := st.parent[it.TenantID]
	if !ok {
		return Subject{}, fmt.Errorf("reseller %d has no parent tenant", it.TenantID)
	}
	name := st.names[it.TenantID]
	return Subject{Kind: SubjectReseller, ID: it.ID, Name: name, CustomerID: it.TenantID, SellerID: parent, Product: KindReseller,
		Match: it.Package, Subproject: fmt.Sprintf("reseller:%d", it.TenantID), SubprojectName: name}, nil
}
