package provisioning

import (
	"context"
	"fmt"
	"strings"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

func (d Domain) summary() map[string]any {
	return map[string]any{"name": d.Name, "account_id": d.AccountID, "parent_id": d.ParentID, "state": d.State, "target": d.Target}
}

// AddDomain validates a domain name (IDN to punycode, label rules,
// length), checks that nobody else holds it or a domain above or below it
// and that the package has room, records it pending and queues it on the
// server. DomainAdded follows when the server serves it.
func (s *Service) AddDomain(ctx context.Context, scope tenancy.Scope, accountID int64, name string) (Domain, error) {
	ascii, _, problem := NormalizeDomain(name)
	if problem != "" {
		return Domain{}, core.Invalid("name", "%s", problem)
	}
	var d Domain
	err := s.tx(ctx, func(ctx context.Context) error {
		a, err := s.accountIn(ctx, scope, accountID)
		if err != nil {
			return err
		}
		d, err = s.addDomain(ctx, a, nil, ascii, "name")
		return err
	})
	return d, err
}

// AddSubdomain adds label under one of the caller's domains. A client may
// do so only when the account's package allows it.
func (s *Service) AddSubdomain(ctx context.Context, scope tenancy.Scope, domainID int64, label string) (Domain, error) {
	ascii, problem := NormalizeLabel(label)
	if problem != "" {
		return Domain{}, core.Invalid("label", "%s", problem)
	}
	var d Domain
	err := s.tx(ctx, func(ctx context.Context) error {
		parent, err := s.domainIn(ctx, scope, domainID)
		if err != nil {
			return core.Invalid("domain_id", "no such domain in your scope")
		}
		if parent.IsSubdomain() {
			return core.Invalid("domain_id", "%s is a subdomain; add subdomains to its domain", parent.Name)
		}
		a, err := s.accountIn(ctx, scope, parent.AccountID)
		if err != nil {
			return err
		}
		if scope.Kind == tenancy.KindClient {
			pkg, err := s.packageByID(ctx, a.PackageID)
			if err != nil {
				return err
			}
			if !pkg.ClientSubdomains {
				return core.E(core.ErrForbidden, "the package %s does not let clients add subdomains", pkg.Name)
			}
		}
		d, err = s.addDomain(ctx, a, &parent, ascii+"."+parent.Name, "label")
		return err
	})
	return d, err
}

// addDomain checks and records a domain (parent nil) or subdomain of a
// locked account and queues it; field names the input that carried it.
func (s *Service) addDomain(ctx context.Context, a Account, parent *Domain, name, field string) (Domain, error) {
	if !a.Live() {
		return Domain{}, core.E(core.ErrPrecondition, "account %s is %s", a.Username, shownState(a))
	}
	if parent != nil && (parent.Target != StateActive || parent.State == StateFailed) {
		return Domain{}, core.E(core.ErrPrecondition, "domain %s is %s", parent.Name, parent.State)
	}
	if len(name) > 253 {
		return Domain{}, core.Invalid(field, "makes a name longer than 253 characters")
	}
	if err := s.checkNameFree(ctx, a.ID, name, field); err != nil {
		return Domain{}, err
	}
	if err := s.checkDomainRoom(ctx, a, parent != nil, field); err != nil {
		return Domain{}, err
	}
	now := s.now()
	key := name
	_, display, _ := NormalizeDomain(name)
	d := Domain{AccountID: a.ID, TenantID: a.TenantID, TenantPath: a.TenantPath, Name: name, DisplayName: display,
		NameKey: &key, State: StatePending, Target: StateActive, CreatedAt: now, UpdatedAt: now}
	if parent != nil {
		d.ParentID = &parent.ID
	}
	if err := s.db.Conn(ctx).Create(&d).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return Domain{}, core.Invalid(field, "%s is already on this panel", name)
		}
		return Domain{}, fmt.Errorf("create domain: %w", err)
	}
	if err := s.record(ctx, d.kind()+".add", d.kind(), d.ID, d.TenantID, d.TenantPath, nil, d.summary()); err != nil {
		return Domain{}, err
	}
	return d, s.enqueue(ctx, a, &d, ActionAddSite, jobParams{})
}

func (d Domain) kind() string {
	if d.IsSubdomain() {
		return "subdomain"
	}
	return "domain"
}

// checkNameFree refuses a name that is on the panel already, or that lies
// under or above a domain of another account (a subdomain of someone
// else's domain, or a parent of one).
func (s *Service) checkNameFree(ctx context.Context, accountID int64, name, field string) error {
	var clash []Domain
	above := parentsOf(name)
	q := s.db.Conn(ctx).Where("name_key IS NOT NULL").
		Where(s.db.Conn(ctx).Where("name_key = ?", name).
			Or("account_id <> ? AND name_key IN ?", accountID, above).
			Or("account_id <> ? AND name_key LIKE ?"+db.LikeEscape, accountID, db.Suffix("."+name))).Limit(20)
	if err := q.Find(&clash).Error; err != nil {
		return fmt.Errorf("check domain %s: %w", name, err)
	}
	if len(clash) == 0 {
		return nil
	}
	for _, c := range clash {
		if c.Name == name {
			return core.Invalid(field, "%s is already on this panel", name)
		}
	}
	if strings.HasSuffix(name, "."+clash[0].Name) {
		return core.Invalid(field, "%s lies under a domain of another account", name)
	}
	return core.Invalid(field, "%s lies above a domain of another account", name)
}

// parentsOf lists the names above name, down to the two-label one:
// a.b.example.com -> b.example.com, example.com.
func parentsOf(name string) []string {
	out := []string{""}
	labels := strings.Split(name, ".")
	for i := 1; i < len(labels)-1; i++ {
		out = append(out, strings.Join(labels[i:], "."))
	}
	return out
}

// checkDomainRoom checks the package's domain or subdomain limit (0 means
// no limit).
func (s *Service) checkDomainRoom(ctx context.Context, a Account, sub bool, field string) error {
	pkg, err := s.packageByID(ctx, a.PackageID)
	if err != nil {
		return err
	}
	limit, what := pkg.MaxDomains, "domains"
	cond := "parent_id IS NULL"
	if sub {
		limit, what, cond = pkg.MaxSubdomains, "subdomains", "parent_id IS NOT NULL"
	}
	if limit == 0 {
		return nil
	}
	var n int64
	if err := s.db.Conn(ctx).Model(&Domain{}).Where("account_id = ? AND name_key IS NOT NULL", a.ID).Where(cond).Count(&n).Error; err != nil {
		return err
	}
	if n >= int64(limit) {
		return core.Invalid(field, "the package %s allows %d %s and the account has %d", pkg.Name, limit, what, n)
	}
	return nil
}

// RemoveDomain queues the removal of a domain (with its subdomains first)
// or a subdomain. DomainRemoved / SubdomainRemoved follow.
func (s *Service) RemoveDomain(ctx context.Context, scope tenancy.Scope, id int64) (Domain, error) {
	var d Domain
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if d, err = s.domainIn(ctx, scope, id); err != nil {
			return err
		}
		a, err := s.accountIn(ctx, scope, d.AccountID)
		if err != nil {
			return err
		}
		if d.Target == StateRemoved {
			return core.E(core.ErrPrecondition, "%s is already removed", d.Name)
		}
		if a.Target == StateTerminated {
			return core.E(core.ErrPrecondition, "account %s is terminated", a.Username)
		}
		var subs []Domain
		if err := s.db.Conn(ctx).Where("parent_id = ? AND target <> ?", d.ID, StateRemoved).Order("id").Find(&subs).Error; err != nil {
			return err
		}
		for _, sd := range append(subs, d) {
			if err := s.queueRemove(ctx, a, sd); err != nil {
				return err
			}
		}
		return first(s.db.Conn(ctx).Where("id = ?", id), &d, "domain", id)
	})
	return d, err
}

func (s *Service) queueRemove(ctx context.Context, a Account, d Domain) error {
	before := d.summary()
	d.Target, d.UpdatedAt = StateRemoved, s.now()
	if err := s.db.Conn(ctx).Model(&d).Updates(map[string]any{"target": d.Target, "updated_at": d.UpdatedAt}).Error; err != nil {
		return fmt.Errorf("update domain %d: %w", d.ID, err)
	}
	if err := s.record(ctx, d.kind()+".remove", d.kind(), d.ID, d.TenantID, d.TenantPath, before, d.summary()); err != nil {
		return err
	}
	// An addition that has not started (or gave up) is dropped: the
	// removal then leaves nothing behind and publishes nothing.
	err := s.db.Conn(ctx).Model(&Job{}).Where("domain_id = ? AND action = ? AND status IN ? AND locked_by IS NULL",
		d.ID, ActionAddSite, []string{JobPending, JobFailed}).Updates(map[string]any{"status": JobCancelled, "done_at": s.now()}).Error
	if err != nil {
		return err
	}
	return s.enqueue(ctx, a, &d, ActionRemoveSite, jobParams{})
}

// domainIn loads a domain in scope.
func (s *Service) domainIn(ctx context.Context, scope tenancy.Scope, id int64) (Domain, error) {
	var d Domain
	err := first(s.db.Conn(ctx).Scopes(scope.PathColumn("tenant_path")).Where("id = ?", id), &d, "domain", id)
	return d, err
}

// GetDomain loads a domain or subdomain in scope.
func (s *Service) GetDomain(ctx context.Context, scope tenancy.Scope, id int64) (Domain, error) {
	return s.domainIn(ctx, scope, id)
}

// Domains lists an account's domains and subdomains (removed ones last
// seen too), domains first and each followed by its subdomains.
func (s *Service) Domains(ctx context.Context, scope tenancy.Scope, accountID int64) ([]Domain, error) {
	var out []Domain
	err := s.db.Read(ctx).Scopes(scope.PathColumn("tenant_path")).Where("account_id = ?", accountID).
		Order("COALESCE(parent_id, id), parent_id IS NOT NULL, id").Limit(2000).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list domains of account %d: %w", accountID, err)
	}
	return out, nil
}

// MainDomains names each account's first domain (its display name), for
// lists; an account without one is left out.
func (s *Service) MainDomains(ctx context.Context, scope tenancy.Scope, accountIDs []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(accountIDs) == 0 {
		return out, nil
	}
	var doms []Domain
	err := s.db.Read(ctx).Scopes(scope.PathColumn("tenant_path")).Where("account_id IN ? AND parent_id IS NULL", accountIDs).
		Order("id").Find(&doms).Error
	if err != nil {
		return nil, fmt.Errorf("main domains: %w", err)
	}
	for _, d := range doms {
		if _, ok := out[d.AccountID]; !ok {
			out[d.AccountID] = d.DisplayName
		}
	}
	return out, nil
}
