// Package signin is the panel's sign-in area: signing in (with the second
// factor), signing out, and resetting a forgotten password by e-mail. The
// sessions themselves are the web kit's.
package signin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"faktura/panel/core/mail"
	"faktura/panel/core/tenancy"
	"faktura/panel/web"
)

// Area registers the sign-in pages.
type Area struct{}

type area struct{ *web.Server }

// Routes implements web.Area.
func (Area) Routes(r *web.Router) {
	s := &area{r.Server}
	pub := r.Public
	pub.GET("/login", s.loginForm)
	pub.POST("/login", s.login)
	pub.GET("/login/2fa", s.mfaForm)
	pub.POST("/login/2fa", s.mfa)
	pub.POST("/logout", s.logout)
	pub.GET("/password/forgot", s.forgotForm)
	pub.POST("/password/forgot", s.forgot)
	pub.GET("/password/reset", s.resetForm)
	pub.POST("/password/reset", s.reset)
}

func (s *area) loginForm(c echo.Context) error {
	if a := web.AuthOf(c); a != nil && !a.Session.MFAPending {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	p := s.NewPage(c, "login.title")
	p.Form["next"] = web.SafeNext(c.QueryParam("next"))
	return s.Render(c, http.StatusOK, "login", p)
}

// login signs in with e-mail and password; a user with a second factor
// gets a session that only opens the second step.
func (s *area) login(c echo.Context) error {
	p := s.NewPage(c, "login.title")
	p.Fill(c, "email")
	ctx := c.Request().Context()
	if tok := web.SessionToken(c); tok != "" {
		if err := s.Deps.Identity.EndSession(ctx, tok); err != nil {
			return err
		}
	}
	res, err := s.Deps.Identity.Login(ctx, c.FormValue("email"), c.FormValue("password"), c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return s.FormError(c, "login", p, err)
	}
	s.SetSession(c, res.Token)
	if res.MFAPending {
		return c.Redirect(http.StatusSeeOther, "/login/2fa?next="+url.QueryEscape(web.SafeNext(c.QueryParam("next"))))
	}
	return c.Redirect(http.StatusSeeOther, web.SafeNext(c.QueryParam("next")))
}

func (s *area) mfaForm(c echo.Context) error {
	a := web.AuthOf(c)
	if a == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if !a.Session.MFAPending {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return s.Render(c, http.StatusOK, "login_2fa", s.NewPage(c, "login2fa.title"))
}

// mfa checks the second factor and swaps the session for a full one.
func (s *area) mfa(c echo.Context) error {
	tok := web.SessionToken(c)
	if tok == "" || web.AuthOf(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	token, err := s.Deps.Identity.CompleteLogin(c.Request().Context(), tok, c.FormValue("code"), c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return s.FormError(c, "login_2fa", s.NewPage(c, "login2fa.title"), err)
	}
	s.SetSession(c, token)
	return c.Redirect(http.StatusSeeOther, web.SafeNext(c.QueryParam("next")))
}

func (s *area) logout(c echo.Context) error {
	if tok := web.SessionToken(c); tok != "" {
		if err := s.Deps.Identity.EndSession(c.Request().Context(), tok); err != nil {
			return err
		}
	}
	s.ClearSession(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}

func (s *area) forgotForm(c echo.Context) error {
	return s.Render(c, http.StatusOK, "forgot", s.NewPage(c, "forgot.title"))
}

// forgot mails a reset link when the address belongs to a user, and
// answers the same either way. The mail goes out after the token is
// committed, outside any transaction, in the background so the answer's
// timing says nothing either.
func (s *area) forgot(c echo.Context) error {
	p := s.NewPage(c, "forgot.title")
	p.Fill(c, "email")
	if !s.Deps.Mail.Enabled() {
		p.Error = p.T("forgot.no_mail")
		return s.Render(c, http.StatusServiceUnavailable, "forgot", p)
	}
	req, err := s.Deps.Identity.RequestReset(c.Request().Context(), c.FormValue("email"), c.RealIP())
	if err != nil {
		return s.FormError(c, "forgot", p, err)
	}
	if req.Token != "" {
		lang, link := req.User.Language, s.Deps.BaseURL+"/password/reset?token="+url.QueryEscape(req.Token)
		m := mail.Message{To: req.User.Email, Lang: lang, Subject: s.Deps.Theme.T(lang, "mail.reset.subject", nil),
			Body: s.Deps.Theme.T(lang, "mail.reset.body", map[string]any{"Name": req.User.Name, "Link": link, "Minutes": int(s.Deps.ResetTTL.Minutes())})}
		if o := s.Deps.MailOutbox; o != nil {
			// Through the mail queue (retried, logged), its body sealed
			// at rest and erased once sent: it holds the reset link.
			sum := sha256.Sum256([]byte(req.Token))
			var path string
			s.Deps.DB.Read(c.Request().Context()).Table("tenants").Where("id = ?", req.User.TenantID).Pluck("path", &path)
			if _, err := o.Enqueue(c.Request().Context(), mail.Queued{Key: "password_reset:" + hex.EncodeToString(sum[:12]), Kind: "password_reset",
				Tenant: tenancy.Scope{TenantID: req.User.TenantID, Path: path}, Message: m, Sealed: true}); err != nil {
				s.Deps.Log.Error("password reset mail", "user_id", req.User.ID, "err", err)
			}
			p.Flash = p.T("forgot.sent")
			return s.Render(c, http.StatusOK, "forgot", p)
		}
		s.Background(func(ctx context.Context) {
			if err := s.Deps.Mail.Send(ctx, m); err != nil {
				s.Deps.Log.Error("password reset mail", "user_id", req.User.ID, "err", err)
			}
		})
	}
	p.Flash = p.T("forgot.sent")
	return s.Render(c, http.StatusOK, "forgot", p)
}

func (s *area) resetForm(c echo.Context) error {
	p := s.NewPage(c, "reset.title")
	token := c.QueryParam("token")
	if err := s.Deps.Identity.CheckResetToken(c.Request().Context(), token); err != nil {
		return s.FormError(c, "reset", p, err)
	}
	p.Data = token
	return s.Render(c, http.StatusOK, "reset", p)
}

func (s *area) reset(c echo.Context) error {
	p := s.NewPage(c, "reset.title")
	token := c.FormValue("token")
	p.Data = token
	if err := s.Deps.Identity.ResetPassword(c.Request().Context(), token, c.FormValue("password")); err != nil {
		if s.Deps.Identity.CheckResetToken(c.Request().Context(), token) != nil {
			p.Data = ""
		}
		return s.FormError(c, "reset", p, err)
	}
	web.Flash(c, "password_reset")
	return c.Redirect(http.StatusSeeOther, "/login")
}
