package admin

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"

	"github.com/labstack/echo/v4"

	"faktura/panel/identity"
	"faktura/panel/web"
)

type profileView struct {
	Sessions     int64
	RecoveryLeft int64
}

func (s *area) profilePage(c echo.Context) (*web.Page, error) {
	ctx, a := c.Request().Context(), web.AuthOf(c)
	var v profileView
	var err error
	if v.Sessions, err = s.Deps.Identity.CountSessions(ctx, a.User.ID); err != nil {
		return nil, err
	}
	if v.RecoveryLeft, err = s.Deps.Identity.RecoveryCodesLeft(ctx, a.User.ID); err != nil {
		return nil, err
	}
	p := s.NewPage(c, "nav.profile")
	p.Form["name"], p.Form["language"] = a.User.Name, a.User.Language
	p.Data = v
	return p, nil
}

func (s *area) saveProfile(c echo.Context, p *web.Page) error {
	p.Fill(c, "name", "language")
	_, err := s.Deps.Identity.UpdateProfile(c.Request().Context(), web.AuthOf(c).User.ID, identity.ProfileInput{Name: p.Form["name"], Language: p.Form["language"]})
	return err
}

func (s *area) passwordChange(c echo.Context) error {
	p, err := s.profilePage(c)
	if err != nil {
		return err
	}
	if err := s.Deps.Identity.ChangePassword(c.Request().Context(), web.AuthOf(c).User.ID, c.FormValue("current_password"), c.FormValue("new_password"), web.SessionToken(c)); err != nil {
		return s.FormError(c, "profile", p, err)
	}
	web.Flash(c, "password_changed")
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
func (s *area) totpForm(c echo.Context) error {
	ctx, a := c.Request().Context(), web.AuthOf(c)
	if a.User.TOTPEnabled {
		return c.Redirect(http.StatusSeeOther, "/profile")
	}
	enr, ok, err := s.Deps.Identity.PendingTOTP(ctx, a.User.ID)
	if err != nil {
		return err
	}
	if !ok {
		if enr, err = s.Deps.Identity.BeginTOTP(ctx, a.User.ID); err != nil {
			return err
		}
	}
	p, err := s.totpPage(c, enr)
	if err != nil {
		return err
	}
	return s.Render(c, http.StatusOK, "totp", p)
}

func (s *area) totpPage(c echo.Context, enr identity.Enrolment) (*web.Page, error) {
	img, err := enr.Key.Image(200, 200)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	a := web.AuthOf(c)
	req, err := s.Deps.Identity.RequiresTOTP(c.Request().Context(), a.Tenant.Kind, a.User.Role)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "totp.title")
	p.Data = totpView{Secret: enr.Secret, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())), Required: req}
	return p, nil
}

func (s *area) totpConfirm(c echo.Context) error {
	ctx, a := c.Request().Context(), web.AuthOf(c)
	codes, err := s.Deps.Identity.ConfirmTOTP(ctx, a.User.ID, c.FormValue("code"))
	if err != nil {
		enr, ok, perr := s.Deps.Identity.PendingTOTP(ctx, a.User.ID)
		if perr != nil || !ok {
			return err
		}
		p, perr := s.totpPage(c, enr)
		if perr != nil {
			return perr
		}
		return s.FormError(c, "totp", p, err)
	}
	p := s.NewPage(c, "totp.title")
	p.User.TOTPEnabled = true
	p.Data = totpView{Codes: codes}
	return s.Render(c, http.StatusOK, "totp", p)
}

func (s *area) totpDisable(c echo.Context) error {
	if err := s.Deps.Identity.DisableTOTP(c.Request().Context(), web.AuthOf(c).User.ID, c.FormValue("password")); err != nil {
		p, perr := s.profilePage(c)
		if perr != nil {
			return perr
		}
		return s.FormError(c, "profile", p, err)
	}
	web.Flash(c, "2fa_off")
	return c.Redirect(http.StatusSeeOther, "/profile")
}

func (s *area) signOutAll(c echo.Context) error {
	if err := s.Deps.Identity.EndAllSessions(c.Request().Context(), web.AuthOf(c).User.ID); err != nil {
		return err
	}
	s.ClearSession(c)
	web.Flash(c, "signed_out_all")
	return c.Redirect(http.StatusSeeOther, "/login")
}
