package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"faktura/panel/core/mail"
)

func (s *Server) loginForm(c echo.Context) error {
	if a := authOf(c); a != nil && !a.Session.MFAPending {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	p := s.newPage(c, "login.title")
	p.Form["next"] = safeNext(c.QueryParam("next"))
	return s.render(c, http.StatusOK, "login", p)
}

// login signs in with e-mail and password; a user with a second factor
// gets a session that only opens the second step.
func (s *Server) login(c echo.Context) error {
	p := s.newPage(c, "login.title")
	p.fill(c, "email")
	ctx := c.Request().Context()
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.deps.Identity.EndSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	res, err := s.deps.Identity.Login(ctx, c.FormValue("email"), c.FormValue("password"), c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return s.formError(c, "login", p, err)
	}
	s.setSession(c, res.Token)
	if res.MFAPending {
		return c.Redirect(http.StatusSeeOther, "/login/2fa?next="+url.QueryEscape(safeNext(c.QueryParam("next"))))
	}
	return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
}

func (s *Server) mfaForm(c echo.Context) error {
	a := authOf(c)
	if a == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	if !a.Session.MFAPending {
		return c.Redirect(http.StatusSeeOther, "/")
	}
	return s.render(c, http.StatusOK, "login_2fa", s.newPage(c, "login2fa.title"))
}

// mfa checks the second factor and swaps the session for a full one.
func (s *Server) mfa(c echo.Context) error {
	ck, err := c.Cookie(sessionCookie)
	if err != nil || authOf(c) == nil {
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	token, err := s.deps.Identity.CompleteLogin(c.Request().Context(), ck.Value, c.FormValue("code"), c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return s.formError(c, "login_2fa", s.newPage(c, "login2fa.title"), err)
	}
	s.setSession(c, token)
	return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
}

func (s *Server) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil {
		if err := s.deps.Identity.EndSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	s.clearSession(c)
	return c.Redirect(http.StatusSeeOther, "/login")
}

func (s *Server) forgotForm(c echo.Context) error {
	return s.render(c, http.StatusOK, "forgot", s.newPage(c, "forgot.title"))
}

// forgot mails a reset link when the address belongs to a user, and
// answers the same either way. The mail goes out after the token is
// committed, outside any transaction, in the background so the answer's
// timing says nothing either.
func (s *Server) forgot(c echo.Context) error {
	p := s.newPage(c, "forgot.title")
	p.fill(c, "email")
	if !s.deps.Mail.Enabled() {
		p.Error = p.T("forgot.no_mail")
		return s.render(c, http.StatusServiceUnavailable, "forgot", p)
	}
	req, err := s.deps.Identity.RequestReset(c.Request().Context(), c.FormValue("email"), c.RealIP())
	if err != nil {
		return s.formError(c, "forgot", p, err)
	}
	if req.Token != "" {
		mp := &page{theme: s.deps.Theme, Lang: req.User.Language}
		link := s.deps.BaseURL + "/password/reset?token=" + url.QueryEscape(req.Token)
		m := mail.Message{To: req.User.Email, Lang: req.User.Language, Subject: mp.T("mail.reset.subject"),
			Body: mp.T("mail.reset.body", "Name", req.User.Name, "Link", link, "Minutes", int(s.deps.ResetTTL.Minutes()))}
		s.background(func(ctx context.Context) {
			if err := s.deps.Mail.Send(ctx, m); err != nil {
				s.deps.Log.Error("password reset mail", "user_id", req.User.ID, "err", err)
			}
		})
	}
	p.Flash = p.T("forgot.sent")
	return s.render(c, http.StatusOK, "forgot", p)
}

func (s *Server) resetForm(c echo.Context) error {
	p := s.newPage(c, "reset.title")
	token := c.QueryParam("token")
	if err := s.deps.Identity.CheckResetToken(c.Request().Context(), token); err != nil {
		return s.formError(c, "reset", p, err)
	}
	p.Data = token
	return s.render(c, http.StatusOK, "reset", p)
}

func (s *Server) reset(c echo.Context) error {
	p := s.newPage(c, "reset.title")
	token := c.FormValue("token")
	p.Data = token
	if err := s.deps.Identity.ResetPassword(c.Request().Context(), token, c.FormValue("password")); err != nil {
		if s.deps.Identity.CheckResetToken(c.Request().Context(), token) != nil {
			p.Data = ""
		}
		return s.formError(c, "reset", p, err)
	}
	flash(c, "password_reset")
	return c.Redirect(http.StatusSeeOther, "/login")
}

// background runs f detached from the request, bounded in time; Wait
// collects such work at shutdown.
func (s *Server) background(f func(ctx context.Context)) {
	s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		f(ctx)
	})
}
