package identity

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// User status values.
const (
	UserActive   = "active"
	UserDisabled = "disabled"
)

// User is a person who signs in. The e-mail is unique across the panel: it
// is the sign-in name.
type User struct {
	ID                int64     `json:"id" gorm:"primaryKey"`
	TenantID          int64     `json:"tenant_id"`
	Email             string    `json:"email"`
	Name              string    `json:"name"`
	Role              Role      `json:"role"`
	Language          string    `json:"language"`
	Status            string    `json:"status"`
	PasswordHash      string    `json:"-"`
	PasswordChangedAt time.Time `json:"-"`
	TOTPSecret        string    `json:"-" gorm:"column:totp_secret"`
	TOTPEnabled       bool      `json:"totp_enabled" gorm:"column:totp_enabled"`
	TOTPLastStep      int64     `json:"-" gorm:"column:totp_last_step"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// TableName is the table's name.
func (User) TableName() string { return "users" }

func (u User) summary() map[string]any {
	return map[string]any{"email": u.Email, "name": u.Name, "role": u.Role, "language": u.Language,
		"status": u.Status, "tenant_id": u.TenantID, "totp_enabled": u.TOTPEnabled}
}

// CreateUserInput adds a user to a tenant.
type CreateUserInput struct {
	TenantID int64  `json:"tenant_id"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
	Language string `json:"language"`
	Password string `json:"password"`
}

// Validate normalises the input and reports every problem it can see
// without the database (the role is checked against the tenant later).
func (in *CreateUserInput) Validate() error {
	var v core.ValidationError
	in.Email, in.Name = normalEmail(in.Email), strings.TrimSpace(in.Name)
	if in.Language == "" {
		in.Language = "en"
	}
	if in.TenantID < 0 {
		v.Add("tenant_id", "must be a tenant id")
	}
	v.Check("email", checkEmail(in.Email))
	v.Check("name", checkText(in.Name, false, 200))
	if in.Role == "" {
		v.Add("role", "is required")
	} else if !knownRole(in.Role) {
		v.Add("role", "is not a role (admin, billing, support, auditor, owner, staff, user)")
	}
	v.Check("language", checkLanguage(in.Language))
	v.Check("password", checkPassword(in.Password, in.Email))
	return v.Err()
}

// UpdateUserInput changes a user; nil fields stay as they are.
type UpdateUserInput struct {
	Name     *string `json:"name"`
	Role     *Role   `json:"role"`
	Language *string `json:"language"`
	Status   *string `json:"status"`
}

// Validate reports every problem it can see without the database.
func (in *UpdateUserInput) Validate() error {
	var v core.ValidationError
	if in.Name != nil {
		*in.Name = strings.TrimSpace(*in.Name)
		v.Check("name", checkText(*in.Name, false, 200))
	}
	if in.Language != nil {
		v.Check("language", checkLanguage(*in.Language))
	}
	if in.Status != nil && *in.Status != UserActive && *in.Status != UserDisabled {
		v.Add("status", "must be active or disabled")
	}
	return v.Err()
}

// UserFilter narrows a user listing.
type UserFilter struct {
	TenantID int64
	Query    string // substring of name or e-mail
}

// GetUser returns a user of a tenant in the caller's scope.
func (s *Service) GetUser(ctx context.Context, c Caller, id int64) (User, error) {
	if id == c.UserID && c.UserID != 0 {
		return s.UserByID(ctx, id)
	}
	if err := c.Require(PermUsersRead); err != nil {
		return User{}, err
	}
	return s.userIn(ctx, c.Scope, id)
}

func (s *Service) userIn(ctx context.Context, sc tenancy.Scope, id int64) (User, error) {
	return takeID[User](s.db.Read(ctx).Scopes(sc.Column("tenant_id")), id, "user")
}

// UserByID returns any user; it is for the signed-in user's own record.
func (s *Service) UserByID(ctx context.Context, id int64) (User, error) {
	return takeID[User](s.db.Read(ctx), id, "user")
}

// ListUsers lists users of tenants in the caller's scope, newest first.
func (s *Service) ListUsers(ctx context.Context, c Caller, f UserFilter, p core.Page) ([]User, error) {
	return pageOf[User](ctx, c, f, p, s.userQuery, "users")
}

// CountUsers counts the users ListUsers would list, over all pages.
func (s *Service) CountUsers(ctx context.Context, c Caller, f UserFilter) (int64, error) {
	return countOf(ctx, c, f, s.userQuery)
}

func (s *Service) userQuery(ctx context.Context, c Caller, f UserFilter) (*gorm.DB, error) {
	if err := c.Require(PermUsersRead); err != nil {
		return nil, err
	}
	q := db.Filter(s.db.Read(ctx).Model(&User{}).Scopes(c.Scope.Column("tenant_id")), db.Eq("tenant_id", f.TenantID))
	return search(q, f.Query), nil
}

// CreateUser adds a user to a tenant in the caller's scope (zero: the
// caller's own) with a role that tenant's kind has and the caller holds
// every permission of.
func (s *Service) CreateUser(ctx context.Context, c Caller, in CreateUserInput) (User, error) {
	if err := c.Require(PermUsersWrite); err != nil {
		return User{}, err
	}
	if err := in.Validate(); err != nil {
		return User{}, err
	}
	if in.TenantID == 0 {
		in.TenantID = c.Scope.TenantID
	}
	var u User
	err := s.tx(ctx, func(ctx context.Context) error {
		t, err := s.tenantIn(ctx, c.Scope, in.TenantID)
		if err != nil {
			return core.Invalid("tenant_id", "no such tenant in your scope")
		}
		if ValidRole(t.Kind, in.Role) && t.Kind == c.Scope.Kind && !covers(c.Scope.Kind, c.Role, t.Kind, in.Role) {
			return core.Invalid("role", "you cannot grant more than your own role allows")
		}
		u, err = s.createUser(ctx, t, in, "")
		return err
	})
	return u, err
}

// createUser inserts a user into t; field names in errors get prefix.
func (s *Service) createUser(ctx context.Context, t Tenant, in CreateUserInput, prefix string) (User, error) {
	if !ValidRole(t.Kind, in.Role) {
		return User{}, core.Invalid(prefix+"role", "must be one of %s for a %s", joinRoles(RolesFor(t.Kind)), t.Kind)
	}
	hash, err := hashPassword(in.Password, s.opt.Argon2)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	u := User{TenantID: t.ID, Email: in.Email, Name: in.Name, Role: in.Role, Language: in.Language, Status: UserActive,
		PasswordHash: hash, PasswordChangedAt: now, CreatedAt: now, UpdatedAt: now}
	if err := s.emailFree(ctx, in.Email, prefix+"email"); err != nil {
		return User{}, err
	}
	if err := s.db.Conn(ctx).Create(&u).Error; err != nil {
		if db.IsUniqueViolation(err) {
			return User{}, core.Invalid(prefix+"email", "is already in use")
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, s.audit.Record(ctx, audit.Entry{Action: "user.create", ObjectType: "user", ObjectID: strconv.FormatInt(u.ID, 10),
		TenantID: t.ID, TenantPath: t.Path, After: u.summary()})
}

func (s *Service) emailFree(ctx context.Context, email, field string) error {
	var n int64
	if err := s.db.Conn(ctx).Model(&User{}).Where("email = ?", email).Count(&n).Error; err != nil {
		return fmt.Errorf("check e-mail: %w", err)
	}
	if n > 0 {
		return core.Invalid(field, "is already in use")
	}
	return nil
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}

// UpdateUser changes a user in the caller's scope. Nobody changes their own
// role or status, so an admin cannot lock the panel out by accident.
func (s *Service) UpdateUser(ctx context.Context, c Caller, id int64, in UpdateUserInput) (User, error) {
	if err := c.Require(PermUsersWrite); err != nil {
		return User{}, err
	}
	if err := in.Validate(); err != nil {
		return User{}, err
	}
	var u User
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if u, err = s.userIn(ctx, c.Scope, id); err != nil {
			return err
		}
		t, err := s.TenantByID(ctx, u.TenantID)
		if err != nil {
			return err
		}
		if u.ID == c.UserID && (in.Role != nil && *in.Role != u.Role || in.Status != nil && *in.Status != u.Status) {
			return core.E(core.ErrForbidden, "you cannot change your own role or status")
		}
		if t.Kind == c.Scope.Kind && !covers(c.Scope.Kind, c.Role, t.Kind, u.Role) {
			return core.E(core.ErrForbidden, "this user's role is above yours")
		}
		if in.Role != nil {
			if !ValidRole(t.Kind, *in.Role) {
				return core.Invalid("role", "must be one of %s for a %s", joinRoles(RolesFor(t.Kind)), t.Kind)
			}
			if t.Kind == c.Scope.Kind && !covers(c.Scope.Kind, c.Role, t.Kind, *in.Role) {
				return core.Invalid("role", "you cannot grant more than your own role allows")
			}
		}
		before := u.summary()
		set(&u.Name, in.Name)
		set(&u.Role, in.Role)
		set(&u.Language, in.Language)
		set(&u.Status, in.Status)
		u.UpdatedAt = s.now()
		if err := s.db.Conn(ctx).Select("name", "role", "language", "status", "updated_at").Updates(&u).Error; err != nil {
			return fmt.Errorf("update user %d: %w", id, err)
		}
		if u.Status == UserDisabled {
			if err := s.db.Conn(ctx).Where("user_id = ?", u.ID).Delete(&Session{}).Error; err != nil {
				return fmt.Errorf("end sessions of user %d: %w", id, err)
			}
		}
		return s.audit.Record(ctx, audit.Entry{Action: "user.update", ObjectType: "user", ObjectID: strconv.FormatInt(u.ID, 10),
			TenantID: t.ID, TenantPath: t.Path, Before: before, After: u.summary()})
	})
	return u, err
}

// ProfileInput is what users change about themselves.
type ProfileInput struct {
	Name     string `json:"name"`
	Language string `json:"language"`
}

// UpdateProfile changes the signed-in user's own name and language.
func (s *Service) UpdateProfile(ctx context.Context, userID int64, in ProfileInput) (User, error) {
	var v core.ValidationError
	in.Name = strings.TrimSpace(in.Name)
	v.Check("name", checkText(in.Name, false, 200))
	v.Check("language", checkLanguage(in.Language))
	if err := v.Err(); err != nil {
		return User{}, err
	}
	var u User
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if u, err = s.UserByID(ctx, userID); err != nil {
			return err
		}
		before := u.summary()
		u.Name, u.Language, u.UpdatedAt = in.Name, in.Language, s.now()
		if err := s.db.Conn(ctx).Select("name", "language", "updated_at").Updates(&u).Error; err != nil {
			return fmt.Errorf("update profile: %w", err)
		}
		return s.recordSelf(ctx, u, "user.profile", before, u.summary())
	})
	return u, err
}

// ChangePassword sets a new password after checking the current one, and
// ends the user's other sessions (keepSession stays).
func (s *Service) ChangePassword(ctx context.Context, userID int64, current, next, keepSession string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if !verifyPassword(current, u.PasswordHash) {
		return core.Invalid("current_password", "is not your current password")
	}
	if p := checkPassword(next, u.Email); p != "" {
		return core.Invalid("new_password", "%s", p)
	}
	hash, err := hashPassword(next, s.opt.Argon2)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(ctx context.Context) error {
		if err := s.setPassword(ctx, u, hash, keepSession); err != nil {
			return err
		}
		return s.recordSelf(ctx, u, "user.password", nil, nil)
	})
}

func (s *Service) setPassword(ctx context.Context, u User, hash, keepSession string) error {
	now := s.now()
	if err := s.db.Conn(ctx).Model(&u).Updates(map[string]any{"password_hash": hash, "password_changed_at": now, "updated_at": now}).Error; err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	q := s.db.Conn(ctx).Where("user_id = ?", u.ID)
	if keepSession != "" {
		q = q.Where("id <> ?", digest(keepSession))
	}
	if err := q.Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}

// recordSelf audits a change users make to their own account.
func (s *Service) recordSelf(ctx context.Context, u User, action string, before, after any) error {
	t, err := s.TenantByID(ctx, u.TenantID)
	if err != nil {
		return err
	}
	return s.audit.Record(ctx, audit.Entry{Action: action, ObjectType: "user", ObjectID: strconv.FormatInt(u.ID, 10),
		TenantID: t.ID, TenantPath: t.Path, Before: before, After: after})
}

// userByEmail returns the user with that sign-in address.
func (s *Service) userByEmail(ctx context.Context, email string) (User, bool, error) {
	var u User
	err := s.db.Read(ctx).Where("email = ?", normalEmail(email)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, false, nil
	}
	return u, err == nil, err
}
