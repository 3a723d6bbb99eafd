package web

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"

	"github.com/labstack/echo/v4"

	"faktura/panel/identity"
)

type profileView struct {
	Sessions     int64
	RecoveryLeft int64
}

func (s *Server) profilePage(c echo.Context) (*page, error) {
	ctx, a := c.Request().Context(), authOf(c)
	var v profileView
	var err error
	if v.Sessions, err = s.deps.Identity.CountSessions(ctx, a.User.ID); err != nil {
		return nil, err
	}
	if v.RecoveryLeft, err = s.deps.Identity.RecoveryCodesLeft(ctx, a.User.ID); err != nil {
		return nil, err
	}
	p := s.newPage(c, "nav.profile")
	p.Form["name"], p.Form["language"] = a.User.Name, a.User.Language
	p.Data = v
	return p, nil
}

func (s *Server) profile(c echo.Context) error {
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "profile", p)
}

func (s *Server) profileUpdate(c echo.Context) error {
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	p.fill(c, "name", "language")
	if _, err := s.deps.Identity.UpdateProfile(c.Request().Context(), authOf(c).User.ID, identity.ProfileInput{Name: p.Form["name"], Language: p.Form["language"]}); err != nil {
		return s.formError(c, "profile", p, err)
	}
	flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/profile")
}

func (s *Server) passwordChange(c echo.Context) error {
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	ck, _ := c.Cookie(sessionCookie)
	if err := s.deps.Identity.ChangePassword(c.Request().Context(), authOf(c).User.ID, c.FormValue("current_password"), c.FormValue("new_password"), ck.Value); err != nil {
		return s.formError(c, "profile", p, err)
	}
	flash(c, "password_changed")
	return c.Redirect(http.StatusSeeOther, "/profile")
}

type totpView struct {
	Secret   string
	QR       template.URL // a data: URL we made ourselves
	Codes    []string
	Required bool
}

// totpForm shows the pending secret as a QR code and as text, beginning an
// enrolment when none is pending.
func (s *Server) totpForm(c echo.Context) error {
	ctx, a := c.Request().Context(), authOf(c)
	if a.User.TOTPEnabled {
		return c.Redirect(http.StatusSeeOther, "/profile")
	}
	enr, ok, err := s.deps.Identity.PendingTOTP(ctx, a.User.ID)
	if err != nil {
		return err
	}
	if !ok {
		if enr, err = s.deps.Identity.BeginTOTP(ctx, a.User.ID); err != nil {
			return err
		}
	}
	p, err := s.totpPage(c, enr)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "totp", p)
}

func (s *Server) totpPage(c echo.Context, enr identity.Enrolment) (*page, error) {
	img, err := enr.Key.Image(200, 200)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	a := authOf(c)
	req, err := s.deps.Identity.RequiresTOTP(c.Request().Context(), a.Tenant.Kind, a.User.Role)
	if err != nil {
		return nil, err
	}
	p := s.newPage(c, "totp.title")
	p.Data = totpView{Secret: enr.Secret, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), Required: req}
	return p, nil
}

func (s *Server) totpConfirm(c echo.Context) error {
	ctx, a := c.Request().Context(), authOf(c)
	codes, err := s.deps.Identity.ConfirmTOTP(ctx, a.User.ID, c.FormValue("code"))
	if err != nil {
		enr, ok, perr := s.deps.Identity.PendingTOTP(ctx, a.User.ID)
		if perr != nil || !ok {
			return err
		}
		p, perr := s.totpPage(c, enr)
		if perr != nil {
			return perr
		}
		return s.formError(c, "totp", p, err)
	}
	p := s.newPage(c, "totp.title")
	p.User.TOTPEnabled = true
	p.Data = totpView{Codes: codes}
	return s.render(c, http.StatusOK, "totp", p)
}

func (s *Server) totpDisable(c echo.Context) error {
	if err := s.deps.Identity.DisableTOTP(c.Request().Context(), authOf(c).User.ID, c.FormValue("password")); err != nil {
		p, perr := s.profilePage(c)
		if perr != nil {
			return perr
		}
		return s.formError(c, "profile", p, err)
	}
	flash(c, "2fa_off")
	return c.Redirect(http.StatusSeeOther, "/profile")
}

func (s *Server) signOutAll(c echo.Context) error {
	if err := s.deps.Identity.EndAllSessions(c.Request().Context(), authOf(c).User.ID); err != nil {
		return err
	}
	s.clearSession(c)
	flash(c, "signed_out_all")
	return c.Redirect(http.StatusSeeOther, "/login")
}
