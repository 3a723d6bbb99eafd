package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"faktura/panel/core/audit"
	"faktura/panel/identity"
)

const (
	sessionCookie = "faktura_session"
	ctxAuth       = "auth"
	ctxCaller     = "caller"
)

// secure reports whether cookies get the Secure flag: when the request
// came over TLS or the public base URL is https.
func (s *Server) secure(c echo.Context) bool {
	return c.Request().TLS != nil || strings.HasPrefix(s.Deps.BaseURL, "https://")
}

func (s *Server) SetSession(c echo.Context, token string) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure(c),
		SameSite: http.SameSiteLaxMode, MaxAge: int(s.Deps.SessionLifetime.Seconds())})
}

func (s *Server) ClearSession(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Path: "/", HttpOnly: true, Secure: s.secure(c), SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// csrf protects every page form: a POST must echo the token of the _csrf
// cookie in its _csrf field (or X-CSRF-Token header).
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup: "form:_csrf,header:X-CSRF-Token", CookieName: "_csrf", CookiePath: "/",
		CookieHTTPOnly: true, CookieSameSite: http.SameSiteStrictMode, CookieSecure: strings.HasPrefix(s.Deps.BaseURL, "https://"),
		ErrorHandler: func(err error, c echo.Context) error {
			return &echo.HTTPError{Code: http.StatusForbidden, Message: "the form is missing its security token or it expired; reload the page and try again", Internal: err}
		},
	})
}

// loadSession attaches the session named by the cookie, if it is live, and
// makes its user the actor of whatever the request changes.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(sessionCookie)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		a, err := s.Deps.Identity.Session(ctx, ck.Value)
		if errors.Is(err, identity.ErrNoSession) {
			s.ClearSession(c)
			return next(c)
		} else if err != nil {
			return err
		}
		c.Set(ctxAuth, &a)
		if !a.Session.MFAPending {
			caller := a.Caller()
			c.Set(ctxCaller, &caller)
		}
		actor := audit.Actor{UserID: a.User.ID, TenantID: a.User.TenantID, Label: a.User.Email, IP: c.RealIP()}
		c.SetRequest(c.Request().WithContext(audit.WithActor(ctx, actor)))
		return next(c)
	}
}

// requireUser sends visitors without a complete session to the sign-in
// page, and users whose role must use two factors but has none to
// enrolment.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, ok := c.Get(ctxAuth).(*identity.Authenticated)
		if !ok {
			target := "/login"
			if c.Request().Method == http.MethodGet && c.Request().URL.Path != "/" {
				target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
			}
			return c.Redirect(http.StatusSeeOther, target)
		}
		if a.Session.MFAPending {
			return c.Redirect(http.StatusSeeOther, "/login/2fa")
		}
		if !a.User.TOTPEnabled && !strings.HasPrefix(c.Request().URL.Path, "/profile/2fa") {
			req, err := s.Deps.Identity.RequiresTOTP(c.Request().Context(), a.Tenant.Kind, a.User.Role)
			if err != nil {
				return err
			}
			if req {
				return c.Redirect(http.StatusSeeOther, "/profile/2fa")
			}
		}
		return next(c)
	}
}

// CallerOf is the signed-in caller; requireUser and apiAuth guarantee it.
func CallerOf(c echo.Context) identity.Caller {
	if p, ok := c.Get(ctxCaller).(*identity.Caller); ok {
		return *p
	}
	return identity.Caller{}
}

func AuthOf(c echo.Context) *identity.Authenticated {
	a, _ := c.Get(ctxAuth).(*identity.Authenticated)
	return a
}

// SafeNext keeps a post-login redirect on this site.
func SafeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	return next
}

// SessionToken is the session cookie's value ("" without one).
func SessionToken(c echo.Context) string {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		return ck.Value
	}
	return ""
}
