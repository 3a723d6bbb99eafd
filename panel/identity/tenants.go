package identity

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/country"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// Tenant status values.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusClosed    = "closed"
)

// Tenant is the operator, a reseller or a client.
type Tenant struct {
	ID           int64        `json:"id" gorm:"primaryKey"`
	Kind         tenancy.Kind `json:"kind"`
	ParentID     *int64       `json:"parent_id,omitempty"`
	Path         string       `json:"-"`
	Name         string       `json:"name"`
	Email        string       `json:"email"`
	Country      string       `json:"country"`
	Language     string       `json:"language"`
	Status       string       `json:"status"`
	BrandName    string       `json:"brand_name,omitempty"`
	BrandLogoURL string       `json:"brand_logo_url,omitempty"`
	BrandPrimary string       `json:"brand_primary,omitempty"`
	BrandAccent  string       `json:"brand_accent,omitempty"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
}

// TableName is the table's name.
func (Tenant) TableName() string { return "tenants" }

// Scope is the subtree of t.
func (t Tenant) Scope() tenancy.Scope {
	return tenancy.Scope{TenantID: t.ID, Kind: t.Kind, Path: t.Path}
}

func (t Tenant) summary() map[string]any {
	return map[string]any{"kind": t.Kind, "name": t.Name, "email": t.Email, "country": t.Country,
		"language": t.Language, "status": t.Status, "parent_id": t.ParentID}
}

// OwnerInput creates a tenant's first user along with it.
type OwnerInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// CreateTenantInput creates a reseller or a client. ParentID names the
// seller: the operator or a reseller for a client, the operator for a
// reseller; zero means the caller's own tenant.
type CreateTenantInput struct {
	Kind     tenancy.Kind `json:"kind"`
	ParentID int64        `json:"parent_id"`
	Name     string       `json:"name"`
	Email    string       `json:"email"`
	Country  string       `json:"country"`
	Language string       `json:"language"`
	Owner    *OwnerInput  `json:"owner,omitempty"`
}

// Validate normalises the input and reports every problem.
func (in *CreateTenantInput) Validate() error {
	var v core.ValidationError
	in.Name = strings.TrimSpace(in.Name)
	in.Email = normalEmail(in.Email)
	in.Country = country.Normalize(in.Country)
	if in.Language == "" {
		in.Language = "en"
	}
	if in.Kind != tenancy.KindReseller && in.Kind != tenancy.KindClient {
		v.Add("kind", "must be reseller or client")
	}
	v.Check("name", checkText(in.Name, true, 200))
	v.Check("email", checkEmail(in.Email))
	if in.Country != "" && !country.Valid(in.Country) {
		v.Add("country", country.Problem(in.Country))
	}
	v.Check("language", checkLanguage(in.Language))
	if in.ParentID < 0 {
		v.Add("parent_id", "must be a tenant id")
	}
	if o := in.Owner; o != nil {
		o.Email, o.Name = normalEmail(o.Email), strings.TrimSpace(o.Name)
		v.Check("owner.email", checkEmail(o.Email))
		v.Check("owner.name", checkText(o.Name, false, 200))
		v.Check("owner.password", checkPassword(o.Password, o.Email))
	}
	return v.Err()
}

// UpdateTenantInput changes a tenant; nil fields stay as they are.
type UpdateTenantInput struct {
	Name     *string `json:"name"`
	Email    *string `json:"email"`
	Country  *string `json:"country"`
	Language *string `json:"language"`
	Status   *string `json:"status"`
}

// Validate normalises the input and reports every problem.
func (in *UpdateTenantInput) Validate() error {
	var v core.ValidationError
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		v.Check("name", checkText(*in.Name, true, 200))
	}
	if in.Email != nil {
		*in.Email = normalEmail(*in.Email)
		v.Check("email", checkEmail(*in.Email))
	}
	if in.Country != nil {
		*in.Country = country.Normalize(*in.Country)
		if *in.Country != "" && !country.Valid(*in.Country) {
			v.Add("country", country.Problem(*in.Country))
		}
	}
	if in.Language != nil {
		v.Check("language", checkLanguage(*in.Language))
	}
	if in.Status != nil && *in.Status != StatusActive && *in.Status != StatusSuspended && *in.Status != StatusClosed {
		v.Add("status", "must be active, suspended or closed")
	}
	return v.Err()
}

// BrandInput is how a seller presents itself to its clients.
type BrandInput struct {
	Name    string `json:"brand_name"`
	LogoURL string `json:"brand_logo_url"`
	Primary string `json:"brand_primary"`
	Accent  string `json:"brand_accent"`
}

// Validate reports every problem. Colours must be #rrggbb, so they can go
// into a stylesheet as they are; the logo must be an http(s) URL.
func (in *BrandInput) Validate() error {
	var v core.ValidationError
	in.Name, in.LogoURL = strings.TrimSpace(in.Name), strings.TrimSpace(in.LogoURL)
	v.Check("brand_name", checkText(in.Name, false, 200))
	if in.LogoURL != "" {
		u, err := url.Parse(in.LogoURL)
		switch {
		case len(in.LogoURL) > 500:
			v.Add("brand_logo_url", "must be at most 500 characters")
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			v.Add("brand_logo_url", "must be an http or https URL")
		}
	}
	for field, c := range map[string]string{"brand_primary": in.Primary, "brand_accent": in.Accent} {
		if c != "" && !colourRE.MatchString(c) {
			v.Add(field, "must be a colour like #1a2b3c")
		}
	}
	return v.Err()
}

// TenantFilter narrows a tenant listing.
type TenantFilter struct {
	Kind     tenancy.Kind
	ParentID int64
	Query    string // substring of name or e-mail
}

// GetTenant returns a tenant in the caller's scope.
func (s *Service) GetTenant(ctx context.Context, c Caller, id int64) (Tenant, error) {
	if err := c.Require(PermTenantsRead); err != nil {
		return Tenant{}, err
	}
	return s.tenantIn(ctx, c.Scope, id)
}

func (s *Service) tenantIn(ctx context.Context, sc tenancy.Scope, id int64) (Tenant, error) {
	return takeID[Tenant](s.db.Read(ctx).Scopes(sc.Tenants), id, "tenant")
}

// TenantByID returns any tenant; it is for wiring (the caller's own
// tenant, a client's seller for branding), never for request data.
func (s *Service) TenantByID(ctx context.Context, id int64) (Tenant, error) {
	return takeID[Tenant](s.db.Read(ctx), id, "tenant")
}

// ListTenants lists tenants in the caller's scope, newest first.
func (s *Service) ListTenants(ctx context.Context, c Caller, f TenantFilter, p core.Page) ([]Tenant, error) {
	return pageOf[Tenant](ctx, c, f, p, s.tenantQuery, "tenants")
}

// CountTenants counts the tenants ListTenants would list, over all pages.
func (s *Service) CountTenants(ctx context.Context, c Caller, f TenantFilter) (int64, error) {
	return countOf(ctx, c, f, s.tenantQuery)
}

func (s *Service) tenantQuery(ctx context.Context, c Caller, f TenantFilter) (*gorm.DB, error) {
	if err := c.Require(PermTenantsRead); err != nil {
		return nil, err
	}
	q := db.Filter(s.db.Read(ctx).Model(&Tenant{}).Scopes(c.Scope.Tenants), db.Eq("kind", f.Kind), db.Eq("parent_id", f.ParentID))
	return search(q, f.Query), nil
}

// CreateTenant creates a reseller or client under a seller in the caller's
// scope, and its owner user when the input names one.
func (s *Service) CreateTenant(ctx context.Context, c Caller, in CreateTenantInput) (Tenant, error) {
	if err := c.Require(PermTenantsWrite); err != nil {
		return Tenant{}, err
	}
	if err := in.Validate(); err != nil {
		return Tenant{}, err
	}
	if in.ParentID == 0 {
		in.ParentID = c.Scope.TenantID
	}
	var t Tenant
	err := s.tx(ctx, func(ctx context.Context) error {
		parent, err := s.tenantIn(ctx, c.Scope, in.ParentID)
		if err != nil {
			return core.Invalid("parent_id", "no such seller in your scope")
		}
		switch {
		case in.Kind == tenancy.KindReseller && parent.Kind != tenancy.KindOperator:
			return core.Invalid("parent_id", "a reseller belongs to the operator")
		case in.Kind == tenancy.KindClient && parent.Kind == tenancy.KindClient:
			return core.Invalid("parent_id", "a client belongs to the operator or a reseller")
		}
		if in.Kind == tenancy.KindClient && s.opt.CheckNewClient != nil {
			if err := s.opt.CheckNewClient(ctx, parent.ID); err != nil {
				return err
			}
		}
		now := s.now()
		t = Tenant{Kind: in.Kind, ParentID: &parent.ID, Name: in.Name, Email: in.Email, Country: in.Country,
			Language: in.Language, Status: StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := s.db.Conn(ctx).Create(&t).Error; err != nil {
			return fmt.Errorf("create tenant: %w", err)
		}
		t.Path = tenancy.PathOf(parent.Path, t.ID)
		if err := s.db.Conn(ctx).Model(&t).Update("path", t.Path).Error; err != nil {
			return fmt.Errorf("set tenant path: %w", err)
		}
		if err := s.audit.Record(ctx, audit.Entry{Action: "tenant.create", ObjectType: "tenant", ObjectID: strconv.FormatInt(t.ID, 10),
			TenantID: t.ID, TenantPath: t.Path, After: t.summary()}); err != nil {
			return err
		}
		if in.Owner == nil {
			return nil
		}
		_, err = s.createUser(ctx, t, CreateUserInput{TenantID: t.ID, Email: in.Owner.Email, Name: in.Owner.Name,
			Role: RoleOwner, Language: in.Language, Password: in.Owner.Password}, "owner.")
		return err
	})
	return t, err
}

// UpdateTenant changes a tenant below the caller's own; a tenant changes
// its own record only when it is the operator.
func (s *Service) UpdateTenant(ctx context.Context, c Caller, id int64, in UpdateTenantInput) (Tenant, error) {
	if err := c.Require(PermTenantsWrite); err != nil {
		return Tenant{}, err
	}
	if err := in.Validate(); err != nil {
		return Tenant{}, err
	}
	return s.changeTenant(ctx, c, id, func(ctx context.Context, t *Tenant) error {
		if t.ID == c.Scope.TenantID && t.Kind != tenancy.KindOperator {
			return core.E(core.ErrForbidden, "a %s cannot change its own record; ask its seller", t.Kind)
		}
		if in.Status != nil && t.Kind == tenancy.KindOperator {
			return core.Invalid("status", "the operator cannot be suspended or closed")
		}
		before := t.summary()
		set(&t.Name, in.Name)
		set(&t.Email, in.Email)
		set(&t.Country, in.Country)
		set(&t.Language, in.Language)
		set(&t.Status, in.Status)
		t.UpdatedAt = s.now()
		if err := s.db.Conn(ctx).Select("name", "email", "country", "language", "status", "updated_at").Updates(t).Error; err != nil {
			return fmt.Errorf("update tenant %d: %w", id, err)
		}
		return s.audit.Record(ctx, audit.Entry{Action: "tenant.update", ObjectType: "tenant", ObjectID: strconv.FormatInt(t.ID, 10),
			TenantID: t.ID, TenantPath: t.Path, Before: before, After: t.summary()})
	})
}

// UpdateBrand sets how the caller's own tenant (the operator or a
// reseller) presents itself to its clients.
func (s *Service) UpdateBrand(ctx context.Context, c Caller, in BrandInput) (Tenant, error) {
	if err := c.Require(PermBrand); err != nil {
		return Tenant{}, err
	}
	if err := in.Validate(); err != nil {
		return Tenant{}, err
	}
	return s.changeTenant(ctx, c, c.Scope.TenantID, func(ctx context.Context, t *Tenant) error {
		before := BrandInput{t.BrandName, t.BrandLogoURL, t.BrandPrimary, t.BrandAccent}
		t.BrandName, t.BrandLogoURL, t.BrandPrimary, t.BrandAccent = in.Name, in.LogoURL, strings.ToLower(in.Primary), strings.ToLower(in.Accent)
		t.UpdatedAt = s.now()
		if err := s.db.Conn(ctx).Select("brand_name", "brand_logo_url", "brand_primary", "brand_accent", "updated_at").Updates(t).Error; err != nil {
			return fmt.Errorf("update brand: %w", err)
		}
		return s.audit.Record(ctx, audit.Entry{Action: "tenant.brand", ObjectType: "tenant", ObjectID: strconv.FormatInt(t.ID, 10),
			TenantID: t.ID, TenantPath: t.Path, Before: before, After: in})
	})
}

// changeTenant runs fn in a transaction on a tenant in the caller's
// scope and returns it as fn left it.
func (s *Service) changeTenant(ctx context.Context, c Caller, id int64, fn func(ctx context.Context, t *Tenant) error) (Tenant, error) {
	var t Tenant
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if t, err = s.tenantIn(ctx, c.Scope, id); err != nil {
			return err
		}
		return fn(ctx, &t)
	})
	return t, err
}

// BrandFor returns the tenant whose brand a user of t sees: a client sees
// its seller's, the operator and resellers their own.
func (s *Service) BrandFor(ctx context.Context, t Tenant) (Tenant, error) {
	if t.Kind == tenancy.KindClient && t.ParentID != nil {
		return s.TenantByID(ctx, *t.ParentID)
	}
	return t, nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
