package provisioning

import (
	"context"
	"fmt"

	"faktura/panel/core/outbox"
)

// apply records a driver call that succeeded, in the transaction in ctx:
// the resource's new state, its lifecycle event, and the job done.
func (s *Service) apply(ctx context.Context, j Job) error {
	var a Account
	if err := first(s.lock(s.db.Conn(ctx).Where("id = ?", j.AccountID)), &a, "account", j.AccountID); err != nil {
		return err
	}
	now := s.now()
	set := map[string]any{"last_error": "", "updated_at": now}
	var evs []outbox.Event
	switch j.Action {
	case ActionCreate:
		pkg, err := s.packageByID(ctx, a.PackageID)
		if err != nil {
			return err
		}
		set["state"], set["failure"] = StateActive, ""
		evs = append(evs, AccountCreated{AccountRef: a.ref(), PackageID: pkg.ID, Package: pkg.Code, ServerID: a.ServerID})
	case ActionSuspend:
		reason := a.SuspendReason
		if a.Target != StateSuspended || reason == "" {
			reason = j.params().Reason
		}
		set["state"] = StateSuspended
		evs = append(evs, AccountSuspended{AccountRef: a.ref(), Reason: reason})
	case ActionUnsuspend:
		set["state"] = StateActive
		evs = append(evs, AccountUnsuspended{a.ref()})
	case ActionTerminate:
		removed, err := s.removeAllDomains(ctx, a)
		if err != nil {
			return err
		}
		evs = append(evs, removed...)
		set["state"], set["terminated_at"], set["username_key"] = StateTerminated, now, nil
		if a.State != StatePending && a.State != StateFailed {
			evs = append(evs, AccountTerminated{a.ref()})
		}
	case ActionChangePackage:
		ev, err := s.packageChanged(ctx, a, j.params().PackageID, set)
		if err != nil {
			return err
		}
		evs = append(evs, ev)
	case ActionChangePassword:
	case ActionAddSite, ActionRemoveSite:
		ev, err := s.applySite(ctx, a, j)
		if err != nil {
			return err
		}
		if ev != nil {
			evs = append(evs, ev)
		}
	default:
		return fmt.Errorf("unknown action %q", j.Action)
	}
	if err := s.db.Conn(ctx).Model(&Account{}).Where("id = ?", a.ID).Updates(set).Error; err != nil {
		return fmt.Errorf("update account %d: %w", a.ID, err)
	}
	if err := s.publish(ctx, j.Actor, evs...); err != nil {
		return err
	}
	return s.db.Conn(ctx).Model(&Job{}).Where("id = ?", j.ID).Updates(map[string]any{
		"status": JobDone, "done_at": now, "locked_by": nil, "last_error": "", "params": "{}"}).Error
}

// packageChanged moves the account to its new package and quotas.
func (s *Service) packageChanged(ctx context.Context, a Account, to int64, set map[string]any) (outbox.Event, error) {
	from, err := s.packageByID(ctx, a.PackageID)
	if err != nil {
		return nil, err
	}
	pkg, err := s.packageByID(ctx, to)
	if err != nil {
		return nil, err
	}
	set["package_id"], set["disk_mb"], set["traffic_mb"] = pkg.ID, pkg.DiskMB, pkg.TrafficMB
	return AccountPackageChanged{AccountRef: a.ref(), FromPackageID: from.ID, FromPackage: from.Code,
		ToPackageID: pkg.ID, ToPackage: pkg.Code}, nil
}

// applySite marks the job's domain added or removed and returns its event
// (none for removing a domain the server never served).
func (s *Service) applySite(ctx context.Context, a Account, j Job) (outbox.Event, error) {
	var d Domain
	if err := first(s.db.Conn(ctx).Where("id = ?", *j.DomainID), &d, "domain", *j.DomainID); err != nil {
		return nil, err
	}
	if j.Action == ActionAddSite {
		if err := s.db.Conn(ctx).Model(&d).Updates(map[string]any{"state": StateActive, "last_error": "", "updated_at": s.now()}).Error; err != nil {
			return nil, err
		}
		return siteEvent(a, d, true), nil
	}
	wasServed := d.State == StateActive
	if err := s.markRemoved(ctx, d); err != nil {
		return nil, err
	}
	if !wasServed {
		return nil, nil
	}
	return siteEvent(a, d, false), nil
}

func (s *Service) markRemoved(ctx context.Context, d Domain) error {
	now := s.now()
	return s.db.Conn(ctx).Model(&Domain{}).Where("id = ?", d.ID).Updates(map[string]any{
		"state": StateRemoved, "target": StateRemoved, "name_key": nil, "removed_at": now, "last_error": "", "updated_at": now}).Error
}

// removeAllDomains marks every domain of a terminated account removed and
// returns the events of those the server served, subdomains first.
func (s *Service) removeAllDomains(ctx context.Context, a Account) ([]outbox.Event, error) {
	var doms []Domain
	if err := s.db.Conn(ctx).Where("account_id = ? AND state <> ?", a.ID, StateRemoved).
		Order("parent_id IS NULL, id").Find(&doms).Error; err != nil {
		return nil, err
	}
	var evs []outbox.Event
	for _, d := range doms {
		if d.State == StateActive {
			evs = append(evs, siteEvent(a, d, false))
		}
		if err := s.markRemoved(ctx, d); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// siteEvent is the Added or Removed event of a domain or subdomain.
func siteEvent(a Account, d Domain, added bool) outbox.Event {
	ref := a.ref()
	switch {
	case d.ParentID != nil && added:
		return SubdomainAdded{AccountRef: ref, SubdomainID: d.ID, DomainID: *d.ParentID, Name: d.Name}
	case d.ParentID != nil:
		return SubdomainRemoved{AccountRef: ref, SubdomainID: d.ID, DomainID: *d.ParentID, Name: d.Name}
	case added:
		return DomainAdded{AccountRef: ref, DomainID: d.ID, Name: d.Name}
	}
	return DomainRemoved{AccountRef: ref, DomainID: d.ID, Name: d.Name}
}
