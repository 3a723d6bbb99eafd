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
)

// ErrBadKey is the answer to an unknown or revoked API key.
var ErrBadKey = errors.New("the API key is unknown or revoked")

// APIKey is a machine credential scoped to a tenant and a role. Only the
// SHA-256 of the secret is stored; the token is shown once, at creation.
type APIKey struct {
	ID         int64      `json:"id" gorm:"primaryKey"`
	TenantID   int64      `json:"tenant_id"`
	Role       Role       `json:"role"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	SecretHash string     `json:"-"`
	CreatedBy  *int64     `json:"created_by,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// TableName is the table's name.
func (APIKey) TableName() string { return "api_keys" }

// CreateKeyInput asks for a key in a tenant of the caller's scope (zero:
// the caller's own).
type CreateKeyInput struct {
	TenantID int64  `json:"tenant_id"`
	Role     Role   `json:"role"`
	Name     string `json:"name"`
}

// Validate reports every problem it can see without the database.
func (in *CreateKeyInput) Validate() error {
	var v core.ValidationError
	in.Name = strings.TrimSpace(in.Name)
	v.Check("name", checkText(in.Name, true, 100))
	if in.Role == "" {
		v.Add("role", "is required")
	}
	if in.TenantID < 0 {
		v.Add("tenant_id", "must be a tenant id")
	}
	return v.Err()
}

// CreateAPIKey makes a key and returns it with its token. The key's role
// must exist for its tenant, and a caller cannot mint a key stronger than
// itself.
func (s *Service) CreateAPIKey(ctx context.Context, c Caller, in CreateKeyInput) (APIKey, string, error) {
	if err := c.Require(PermKeysWrite); err != nil {
		return APIKey{}, "", err
	}
	if err := in.Validate(); err != nil {
		return APIKey{}, "", err
	}
	if in.TenantID == 0 {
		in.TenantID = c.Scope.TenantID
	}
	var k APIKey
	var token string
	err := s.tx(ctx, func(ctx context.Context) error {
		t, err := s.tenantIn(ctx, c.Scope, in.TenantID)
		if err != nil {
			return core.Invalid("tenant_id", "no such tenant in your scope")
		}
		if !ValidRole(t.Kind, in.Role) {
			return core.Invalid("role", "must be one of %s for a %s", joinRoles(RolesFor(t.Kind)), t.Kind)
		}
		if t.Kind == c.Scope.Kind && !covers(c.Scope.Kind, c.Role, t.Kind, in.Role) {
			return core.Invalid("role", "you cannot grant more than your own role allows")
		}
		prefix := randomToken(5)[:8]
		token = "fk_" + prefix + "_" + randomToken(24)
		k = APIKey{TenantID: t.ID, Role: in.Role, Name: in.Name, Prefix: prefix, SecretHash: digest(token), CreatedAt: s.now()}
		if c.UserID != 0 {
			k.CreatedBy = &c.UserID
		}
		if err := s.db.Conn(ctx).Create(&k).Error; err != nil {
			return fmt.Errorf("create API key: %w", err)
		}
		return s.audit.Record(ctx, audit.Entry{Action: "apikey.create", ObjectType: "apikey", ObjectID: strconv.FormatInt(k.ID, 10),
			TenantID: t.ID, TenantPath: t.Path, After: map[string]any{"name": k.Name, "role": k.Role, "prefix": k.Prefix}})
	})
	return k, token, err
}

// ListAPIKeys lists keys of tenants in the caller's scope, newest first.
func (s *Service) ListAPIKeys(ctx context.Context, c Caller, p core.Page) ([]APIKey, error) {
	if err := c.Require(PermKeysRead); err != nil {
		return nil, err
	}
	return db.FindPage[APIKey](s.db.Read(ctx).Model(&APIKey{}).Scopes(c.Scope.Column("tenant_id")), p, "API keys")
}

// GetAPIKey returns a key of a tenant in the caller's scope.
func (s *Service) GetAPIKey(ctx context.Context, c Caller, id int64) (APIKey, error) {
	if err := c.Require(PermKeysRead); err != nil {
		return APIKey{}, err
	}
	var k APIKey
	err := s.db.Read(ctx).Scopes(c.Scope.Column("tenant_id")).Where("id = ?", id).Take(&k).Error
	return k, notFound(err, "API key "+strconv.FormatInt(id, 10))
}

// RevokeAPIKey revokes a key; revoking twice is a no-op.
func (s *Service) RevokeAPIKey(ctx context.Context, c Caller, id int64) (APIKey, error) {
	if err := c.Require(PermKeysWrite); err != nil {
		return APIKey{}, err
	}
	var k APIKey
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if k, err = s.GetAPIKey(ctx, c, id); err != nil || k.RevokedAt != nil {
			return err
		}
		t, err := s.TenantByID(ctx, k.TenantID)
		if err != nil {
			return err
		}
		now := s.now()
		k.RevokedAt = &now
		if err := s.db.Conn(ctx).Model(&k).Update("revoked_at", now).Error; err != nil {
			return fmt.Errorf("revoke API key %d: %w", id, err)
		}
		return s.audit.Record(ctx, audit.Entry{Action: "apikey.revoke", ObjectType: "apikey", ObjectID: strconv.FormatInt(k.ID, 10),
			TenantID: t.ID, TenantPath: t.Path, Before: map[string]any{"name": k.Name, "prefix": k.Prefix}})
	})
	return k, err
}

// AuthenticateKey returns the caller a bearer token stands for and notes
// the key's use. Keys of closed tenants stop working.
func (s *Service) AuthenticateKey(ctx context.Context, token string) (Caller, APIKey, error) {
	var k APIKey
	if !strings.HasPrefix(token, "fk_") {
		return Caller{}, k, ErrBadKey
	}
	err := s.db.Read(ctx).Where("secret_hash = ? AND revoked_at IS NULL", digest(token)).Take(&k).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Caller{}, k, ErrBadKey
	} else if err != nil {
		return Caller{}, k, fmt.Errorf("load API key: %w", err)
	}
	t, err := s.TenantByID(ctx, k.TenantID)
	if err != nil {
		return Caller{}, k, err
	}
	if t.Status == StatusClosed {
		return Caller{}, k, ErrBadKey
	}
	now := s.now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= touchEvery {
		if err := s.db.Conn(ctx).Model(&k).Update("last_used_at", now).Error; err != nil {
			return Caller{}, k, fmt.Errorf("note API key use: %w", err)
		}
	}
	return Caller{APIKeyID: k.ID, Role: k.Role, Scope: t.Scope(), Label: "api key " + k.Prefix}, k, nil
}
