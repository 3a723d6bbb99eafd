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
