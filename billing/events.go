package billing

import (
	"context"
	"fmt"
	"strings"

	"faktura/panel/core/outbox"
	"faktura/provisioning"
)

// Handler ids: stable, they are the outbox's deduplication keys.
const handlerPrefix = "billing.contracts."

// Bind subscribes billing to provisioning's lifecycle events: a created
// resource opens its contracts, a package change reprices and prorates, a
// removed resource closes its contracts. Each handler runs in the
// dispatcher's transaction, which also records (handler, event id), so a
// redelivered event changes nothing.
func (s *Service) Bind(b *outbox.Bus) error {
	binds := []error{
		outbox.On(b, handlerPrefix+"account_created", 10, func(ctx context.Context, m outbox.Meta, ev provisioning.AccountCreated) error {
			return s.open(ctx, AccountSubject(ev.AccountRef, ev.Package), m)
		}),
		outbox.On(b, handlerPrefix+"domain_added", 10, func(ctx context.Context, m outbox.Meta, ev provisioning.DomainAdded) error {
			return s.open(ctx, DomainSubject(ev.AccountRef, SubjectDomain, ev.DomainID, ev.Name), m)
		}),
		outbox.On(b, handlerPrefix+"subdomain_added", 10, func(ctx context.Context, m outbox.Meta, ev provisioning.SubdomainAdded) error {
			return s.open(ctx, DomainSubject(ev.AccountRef, SubjectSubdomain, ev.SubdomainID, ev.Name), m)
		}),
		outbox.On(b, handlerPrefix+"reseller_created", 10, func(ctx context.Context, m outbox.Meta, ev provisioning.ResellerCreated) error {
			subj, err := s.resellerSubject(ctx, ev.ResellerRef)
			if err != nil {
				return err
			}
			return s.open(ctx, subj, m)
		}),
		outbox.On(b, handlerPrefix+"account_package_changed", 10, func(ctx context.Context, m outbox.Meta, ev provisioning.AccountPackageChanged) error {
			return s.changePackage(ctx, ev.AccountID, ev.ToPackage, m.OccurredAt, m.ID)
		}),
		outbox.On(b, handlerPrefix+"account_terminated", 10, func(ctx context.Context, m outbox.Meta, ev provisioning.AccountTerminated) error {
			_, err := s.closeContracts(ctx, m.OccurredAt, m.ID, "subproject = ?", subprojectOfAccount(ev.AccountID))
			return err
		}),
		outbox.On(b, handlerPrefix+"domain_removed", 10, func(ctx context.Context, m outbox.Meta, ev provisioning.DomainRemoved) error {
			_, err := s.closeContracts(ctx, m.OccurredAt, m.ID, "subject_kind = ? AND subject_id = ?", SubjectDomain, ev.DomainID)
			return err
		}),
		outbox.On(b, handlerPrefix+"subdomain_removed", 10, func(ctx context.Context, m outbox.Meta, ev provisioning.SubdomainRemoved) error {
			_, err := s.closeContracts(ctx, m.OccurredAt, m.ID, "subject_kind = ? AND subject_id = ?", SubjectSubdomain, ev.SubdomainID)
			return err
		}),
		outbox.On(b, handlerPrefix+"reseller_terminated", 10, func(ctx context.Context, m outbox.Meta, ev provisioning.ResellerTerminated) error {
			_, err := s.closeContracts(ctx, m.OccurredAt, m.ID, "subject_kind = ? AND subject_id = ?", SubjectReseller, ev.AccountID)
			return err
		}),
	}
	for _, err := range binds {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) open(ctx context.Context, subj Subject, m outbox.Meta) error {
	got, err := s.openSubject(ctx, subj, m.OccurredAt, m.ID)
	for _, u := range got.Unpriced {
		s.log.Info("resource not billed: nothing in the catalog prices it", "subject", subj.Kind, "id", subj.ID, "why", u)
	}
	return err
}

func subprojectOfAccount(id int64) string { return fmt.Sprintf("account:%d", id) }

// AccountSubject is the subject of a hosting account.
func AccountSubject(r provisioning.AccountRef, pkg string) Subject {
	return Subject{Kind: SubjectAccount, ID: r.AccountID, Name: r.Username, CustomerID: r.TenantID, SellerID: r.SellerID,
		Product: KindHosting, Match: pkg, Subproject: subprojectOfAccount(r.AccountID), SubprojectName: r.Username}
}

// DomainSubject is the subject of a domain or subdomain add-on: it
// belongs to its account's subproject, and a domain is matched by its TLD.
func DomainSubject(r provisioning.AccountRef, kind string, id int64, name string) Subject {
	prod, match := KindDomain, name[strings.LastIndex(name, ".")+1:]
	if kind == SubjectSubdomain {
		prod, match = KindSubdomain, ""
	}
	return Subject{Kind: kind, ID: id, Name: name, CustomerID: r.TenantID, SellerID: r.SellerID, Product: prod, Match: match,
		Subproject: subprojectOfAccount(r.AccountID), SubprojectName: r.Username}
}

// resellerSubject: a reseller account is sold by the reseller's parent.
func (s *Service) resellerSubject(ctx context.Context, r provisioning.ResellerRef) (Subject, error) {
	t, err := s.tenant(ctx, allTenants, r.ResellerID)
	if err != nil {
		return Subject{}, err
	}
	if t.ParentID == nil {
		return Subject{}, fmt.Errorf("reseller %d has no parent tenant", r.ResellerID)
	}
	return Subject{Kind: SubjectReseller, ID: r.AccountID, Name: t.Name, CustomerID: t.ID, SellerID: *t.ParentID, Product: KindReseller,
		Match: r.Package, Subproject: fmt.Sprintf("reseller:%d", t.ID), SubprojectName: t.Name}, nil
}
