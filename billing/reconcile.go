package billing

import (
	"context"
	"errors"
	"fmt"

	"faktura/provisioning"
)

// Inventory lists the live resources; provisioning implements it and
// main wires it in.
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
	Drift     []Drift `json:"drift"`
	Opened    int     `json:"opened"`
	Closed    int     `json:"closed"`
	Repaired  bool    `json:"repaired"`
}

var errRollback = errors.New("reconcile: dry run")

// Reconcile compares the live resources with the open contracts: a
// resource the catalog prices but no contract bills (a lost event) and a
// contract whose resource is gone. With repair it opens and closes
// contracts as of now (closing credits by the termination settings) in
// one transaction; without, the
// same work is rolled back, so the listing is exactly what repair would
// do. Running it twice repairs nothing the second time.
func (s *Service) Reconcile(ctx context.Context, inv Inventory, repair bool) (ReconcileReport, error) {
	items, err := inv.Inventory(ctx)
	if err != nil {
		return ReconcileReport{}, err
	}
	rep := ReconcileReport{Resources: len(items), Repaired: repair}
	at := s.now()
	err = s.tx(ctx, func(ctx context.Context) error {
		live := map[string]bool{}
		for _, it := range items {
			subj, err := s.SubjectOf(ctx, it)
			if err != nil {
				return err
			}
			live[fmt.Sprintf("%s:%d", subj.Kind, subj.ID)] = true
			got, err := s.openSubject(ctx, subj, at, "reconcile")
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s %d (%s)", subj.Kind, subj.ID, subj.Name)
			for _, c := range got.Contracts {
				rep.Opened++
				rep.Drift = append(rep.Drift, Drift{Kind: "missing_contract", Subject: name, Contract: c.ID,
					Detail: fmt.Sprintf("seller %d, customer %d, %s %d/%s", c.SellerID, c.CustomerID, c.Currency, c.UnitMinor, c.Cycle)})
			}
			for _, u := range got.Unpriced {
				rep.Drift = append(rep.Drift, Drift{Kind: "unpriced", Subject: name, Detail: u})
			}
		}
		var open []Contract
		if err := s.db.Conn(ctx).Where("status = ? AND subject_kind <> ?", ContractActive, SubjectManual).Order("id").Find(&open).Error; err != nil {
			return fmt.Errorf("list open contracts: %w", err)
		}
		for _, c := range open {
			if live[fmt.Sprintf("%s:%d", c.SubjectKind, c.SubjectID)] {
				continue
			}
			rep.Closed++
			rep.Drift = append(rep.Drift, Drift{Kind: "orphan_contract", Subject: fmt.Sprintf("%s %d (%s)", c.SubjectKind, c.SubjectID, c.SubjectName),
				Contract: c.ID, Detail: "the resource is gone"})
			if _, err := s.closeContracts(ctx, at, "reconcile", "id = ?", c.ID); err != nil {
				return err
			}
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
