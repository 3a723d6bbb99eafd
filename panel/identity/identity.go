// Package identity is who may do what in the panel: tenants (the operator,
// resellers and clients), their users and roles, sign-in with argon2id
// passwords and TOTP, server-side sessions, login throttling, password
// resets, API keys and idempotency records for the JSON API.
//
// Every method that reads or changes tenant data takes a Caller and keeps
// to the caller's tenant subtree (tenancy.Scope): an object outside it is
// "not found", an object inside it that the caller's role may not touch is
// "forbidden". Methods own their transactions and record each change in the
// audit log within them.
package identity

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/settings"
)

// Options tune the service.
type Options struct {
	Argon2          Argon2Params
	SessionIdle     time.Duration // a session unused this long ends
	SessionLifetime time.Duration // a session ends this long after sign-in
	ResetTTL        time.Duration // a password-reset link lives this long
	Issuer          string        // shown in authenticator apps
	Throttle        ThrottleLimits
	// CheckNewClient, when set, runs in the transaction that creates a
	// client, with the seller's tenant id; an error refuses the client
	// (provisioning checks the reseller's state and client limit).
	CheckNewClient func(ctx context.Context, sellerID int64) error
}

// Service implements identity on a database.
type Service struct {
	db       *db.Handle
	clock    core.Clock
	audit    *audit.Log
	settings *settings.Store
	opt      Options
	dummy    string // hash checked for unknown e-mails, so timing says nothing
}

// New returns the service; zero options take their defaults.
func New(h *db.Handle, clock core.Clock, log *audit.Log, st *settings.Store, o Options) (*Service, error) {
	if o.Argon2.MemoryKiB == 0 {
		o.Argon2 = DefaultArgon2
	}
	o.SessionIdle = cmp.Or(o.SessionIdle, 2*time.Hour)
	o.SessionLifetime = cmp.Or(o.SessionLifetime, 7*24*time.Hour)
	o.ResetTTL = cmp.Or(o.ResetTTL, time.Hour)
	o.Issuer = cmp.Or(o.Issuer, "Faktura")
	o.Throttle = o.Throttle.withDefaults()
	dummy, err := hashPassword(randomToken(12), o.Argon2)
	if err != nil {
		return nil, err
	}
	return &Service{db: h, clock: clock, audit: log, settings: st, opt: o, dummy: dummy}, nil
}

// Audit returns the audit log the service writes to.
func (s *Service) Audit() *audit.Log { return s.audit }

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// randomToken returns n random bytes as lowercase base32 without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// digest is the SHA-256 of a secret token in hex; tables hold digests only.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// normalEmail trims and lowercases an address.
func normalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// checkEmail returns the problem with an address, or "".
func checkEmail(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > 254 {
		return "must be at most 254 characters"
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "is not a valid e-mail address"
	}
	return ""
}

var (
	colourRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// checkText returns the problem with a free-text field, or "".
func checkText(s string, required bool, max int) string {
	switch {
	case required && strings.TrimSpace(s) == "":
		return "is required"
	case len([]rune(s)) > max:
		return "must be at most " + strconv.Itoa(max) + " characters"
	case strings.ContainsAny(s, "\x00\r\n"):
		return "must be a single line of text"
	}
	return ""
}

func checkLanguage(s string) string {
	for _, l := range core.Languages {
		if s == l {
			return ""
		}
	}
	return "must be one of en, de, fr, it, da"
}

// notFound maps gorm's missing-row error to core.ErrNotFound.
func notFound(err error, what string) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return core.E(core.ErrNotFound, "%s not found", what)
	}
	return err
}

// search narrows q to rows whose name or e-mail contains text literally.
func search(q *gorm.DB, text string) *gorm.DB {
	if text == "" {
		return q
	}
	like := db.Contains(text)
	return q.Where("(name LIKE ?"+db.LikeEscape+" OR email LIKE ?"+db.LikeEscape+")", like, like)
}

// takeID loads the row of T with id from q (a scope may narrow it): one
// outside q is "<what> <id> not found".
func takeID[T any](q *gorm.DB, id int64, what string) (T, error) {
	var v T
	err := q.Where("id = ?", id).Take(&v).Error
	return v, notFound(err, what+" "+strconv.FormatInt(id, 10))
}

// pageOf lists one page of what query selects for the caller and filter.
func pageOf[T, F any](ctx context.Context, c Caller, f F, p core.Page, query func(context.Context, Caller, F) (*gorm.DB, error), what string) ([]T, error) {
	q, err := query(ctx, c, f)
	if err != nil {
		return nil, err
	}
	return db.FindPage[T](q, p, what)
}

// countOf counts what query selects, over all pages.
func countOf[F any](ctx context.Context, c Caller, f F, query func(context.Context, Caller, F) (*gorm.DB, error)) (int64, error) {
	q, err := query(ctx, c, f)
	if err != nil {
		return 0, err
	}
	var n int64
	return n, q.Count(&n).Error
}

func (s *Service) tx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.WithTx(ctx, fn)
}

// now is the clock's time at the databases' millisecond precision, so a
// returned object equals what a later read gives.
func (s *Service) now() time.Time { return s.clock.Now().Truncate(time.Millisecond) }

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
