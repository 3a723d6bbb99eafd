package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/identity"
)

// List is the shape of every API listing: rows and the cursor of the next
// page (absent on the last).
type List[T any] struct {
	Data       []T    `json:"data"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// APIPage reads ?limit= (1-200, default 50) and ?cursor=.
func APIPage(c echo.Context) (core.Page, error) {
	var v core.ValidationError
	p := core.Page{Limit: 50}
	if s := c.QueryParam("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			v.Add("limit", "must be a whole number from 1 to 200")
		}
		p.Limit = n
	}
	if s := c.QueryParam("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		id, err2 := strconv.ParseInt(strings.TrimPrefix(string(b), "id:"), 10, 64)
		if err != nil || err2 != nil || !strings.HasPrefix(string(b), "id:") || id <= 0 {
			v.Add("cursor", "is not a cursor this API returned")
		}
		p.Before = id
	}
	return p, v.Err()
}

func CursorAfter(n, limit int, lastID int64) string {
	if n < limit {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(lastID, 10)))
}

// Bind decodes a JSON body strictly: unknown fields and trailing data are
// errors naming the problem.
func Bind(c echo.Context, dst any) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			switch te.Type.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				return core.Invalid(te.Field, "must be a whole number from %d to %d", minOf(te.Type.Bits()), maxOf(te.Type.Bits()))
			}
			return core.Invalid(te.Field, "must be a %s", te.Type.String())
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return core.Invalid(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), "is not a known field")
		}
		return core.Invalid("body", "is not valid JSON: %v", err)
	}
	if dec.More() {
		return core.Invalid("body", "holds more than one JSON value")
	}
	return nil
}

func maxOf(bits int) int64 { return 1<<(bits-1) - 1 }
func minOf(bits int) int64 { return -1 << (bits - 1) }

// apiAuth authenticates a Bearer API key, and logs each use in the audit
// log (method, route, status) after the request.
func (s *Server) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="faktura"`)
			return &echo.HTTPError{Code: http.StatusUnauthorized, Message: "send an API key as 'Authorization: Bearer fk_...'"}
		}
		ctx := c.Request().Context()
		caller, key, err := s.Deps.Identity.AuthenticateKey(ctx, strings.TrimSpace(token))
		if errors.Is(err, identity.ErrBadKey) {
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="faktura", error="invalid_token"`)
			return &echo.HTTPError{Code: http.StatusUnauthorized, Message: err.Error()}
		} else if err != nil {
			return err
		}
		c.Set(ctxCaller, &caller)
		ctx = audit.WithActor(ctx, audit.Actor{APIKeyID: key.ID, TenantID: key.TenantID, Label: caller.Label, IP: c.RealIP()})
		c.SetRequest(c.Request().WithContext(ctx))
		if err := next(c); err != nil {
			c.Error(err)
		}
		t, terr := s.Deps.Identity.TenantByID(ctx, key.TenantID)
		if terr == nil {
			terr = s.Deps.Identity.Audit().Record(ctx, audit.Entry{Action: "apikey.use", ObjectType: "apikey", ObjectID: strconv.FormatInt(key.ID, 10),
				TenantID: t.ID, TenantPath: t.Path, After: map[string]any{"method": c.Request().Method, "route": c.Path(), "status": c.Response().Status}})
		}
		if terr != nil {
			s.Deps.Log.Error("audit API key use", "api_key_id", key.ID, "err", terr)
		}
		return nil
	}
}

const ctxRedact = "idempotency_redact"

// recorder keeps a copy of what a handler writes.
type recorder struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.buf.Write(b)
	return r.ResponseWriter.Write(b)
}

// idempotency makes a POST with an Idempotency-Key header safe to retry:
// the first request's response is stored, a repeat with the same body gets
// it again (with Idempotent-Replayed: true), and a repeat with another body
// is a 409. A request that fails on our side (5xx) releases the key.
// Secrets a handler marks (a new API key's token) are not stored: a replay
// shows "(shown once)" in their place.
func (s *Server) idempotency(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get("Idempotency-Key")
		if c.Request().Method != http.MethodPost || key == "" {
			return next(c)
		}
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return core.Invalid("body", "could not be read")
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		sum := sha256.Sum256(append([]byte(c.Request().Method+" "+c.Request().URL.RequestURI()+"\n"), body...))
		caller, ctx := CallerOf(c), c.Request().Context()
		prev, err := s.Deps.Identity.ClaimIdempotencyKey(ctx, caller.APIKeyID, key, hex.EncodeToString(sum[:]))
		if err != nil {
			return err
		}
		if prev != nil {
			c.Response().Header().Set("Idempotent-Replayed", "true")
			return c.Blob(prev.StatusCode, prev.ContentType, []byte(prev.ResponseBody))
		}
		rec := &recorder{ResponseWriter: c.Response().Writer}
		c.Response().Writer = rec
		if err := next(c); err != nil {
			c.Error(err)
		}
		st := c.Response().Status
		if st >= 500 {
			err = s.Deps.Identity.ReleaseIdempotencyKey(ctx, caller.APIKeyID, key)
		} else {
			stored := rec.buf.String()
			if secret, ok := c.Get(ctxRedact).(string); ok && secret != "" {
				stored = strings.ReplaceAll(stored, secret, "(shown once)")
			}
			err = s.Deps.Identity.FinishIdempotencyKey(ctx, caller.APIKeyID, key, st, c.Response().Header().Get(echo.HeaderContentType), stored)
		}
		if err != nil {
			s.Deps.Log.Error("store idempotent response", "api_key_id", caller.APIKeyID, "err", err)
		}
		return nil
	}
}

// Redact keeps secret (a token shown once) out of the stored reply the
// idempotency layer replays: a retry gets the reply with it blanked.
func Redact(c echo.Context, secret string) { c.Set(ctxRedact, secret) }
