package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"faktura/panel/core/mail"
)

// signInRoutes are the pages of signing in and out and of resetting a
// password: they are the session's, so they live with it.
func (s *Server) signInRoutes(r *Router) {
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

func (s *Server) loginForm(c echo.Context) error {
	if a := AuthOf(c); a != nil && !a.Session.MFAPending {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	p := s.NewPage(c, "login.title")
	p.Form["next"] = safeNext(c.QueryParam("next"))
	return s.Render(c, http.StatusOK, "login", p)
}

// login signs in with e-mail and password; a user with a second factor
// gets a session that only opens the second step.
func (s *Server) login(c echo.Context) error {
	p := s.NewPage(c, "login.title")
	p.Fill(c, "email")
	ctx := c.Request().Context()
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.Deps.Identity.EndSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	res, err := s.Deps.Identity.Login(ctx, c.FormValue("email"), c.FormValue("password"), c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return s.FormError(c, "login", p, err)
	}
	s.setSession(c, res.Token)
	if res.MFAPending {
		return c.Redirect(http.StatusSeeOther, "/login/2fa?next="+url.QueryEscape(safeNext(c.QueryParam("next"))))
	}
	return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
}

func (s *Server) mfaForm(c echo.Context) error {
	a := AuthOf(c)
	if a == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if !a.Session.MFAPending {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return s.Render(c, http.StatusOK, "login_2fa", s.NewPage(c, "login2fa.title"))
}

// mfa checks the second factor and swaps the session for a full one.
func (s *Server) mfa(c echo.Context) error {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || AuthOf(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	token, err := s.Deps.Identity.CompleteLogin(c.Request().Context(), ck.Value, c.FormValue("code"), c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return s.FormError(c, "login_2fa", s.NewPage(c, "login2fa.title"), err)
	}
	s.setSession(c, token)
	return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.Deps.Identity.EndSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.ClearSession(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}

func (s *Server) forgotForm(c echo.Context) error {
	return s.Render(c, http.StatusOK, "forgot", s.NewPage(c, "forgot.title"))
}

// forgot mails a reset link when the address belongs to a user, and
// answers the same either way. The mail goes out after the token is
// committed, outside any transaction, in the background so the answer's
// timing says nothing either.
func (s *Server) forgot(c echo.Context) error {
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
		mp := &Page{theme: s.Deps.Theme, Lang: req.User.Language}
		link := s.Deps.BaseURL + "/password/reset?token=" + url.QueryEscape(req.Token)
		m := mail.Message{To: req.User.Email, Lang: req.User.Language, Subject: mp.T("mail.reset.subject"),
			Body: mp.T("mail.reset.body", "Name", req.User.Name, "Link", link, "Minutes", int(s.Deps.ResetTTL.Minutes()))}
		s.Background(func(ctx context.Context) {
			if err := s.Deps.Mail.Send(ctx, m); err != nil {
				s.Deps.Log.Error("password reset mail", "user_id", req.User.ID, "err", err)
			}
		})
	}
	p.Flash = p.T("forgot.sent")
	return s.Render(c, http.StatusOK, "forgot", p)
}

func (s *Server) resetForm(c echo.Context) error {
	p := s.NewPage(c, "reset.title")
	token := c.QueryParam("token")
	if err := s.Deps.Identity.CheckResetToken(c.Request().Context(), token); err != nil {
		return s.FormError(c, "reset", p, err)
	}
	p.Data = token
	return s.Render(c, http.StatusOK, "reset", p)
}

func (s *Server) reset(c echo.Context) error {
	p := s.NewPage(c, "reset.title")
	token := c.FormValue("token")
	p.Data = token
	if err := s.Deps.Identity.ResetPassword(c.Request().Context(), token, c.FormValue("password")); err != nil {
		if s.Deps.Identity.CheckResetToken(c.Request().Context(), token) != nil {
			p.Data = ""
		}
		return s.FormError(c, "reset", p, err)
	}
	Flash(c, "password_reset")
	return c.Redirect(http.StatusSeeOther, "/login")
}
