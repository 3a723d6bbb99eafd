package web

import (
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"faktura/billing/document"
	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/themes"
)

// brandView is how the seller presents itself on a page.
type brandView struct{ Name, LogoURL, Primary, Accent string }

type navItem struct {
	Href, Label string
	Active      bool
}

// navGroup is a menu of items, or (one item, or no Label) a plain link.
type navGroup struct {
	Label  string
	Items  []navItem
	Active bool
}

// Menu reports whether the group shows as a menu rather than a link.
func (g navGroup) Menu() bool { return g.Label != "" && len(g.Items) > 1 }

// Page is the view model every Page template renders: the layout's parts
// (language, brand, navigation, CSRF token, messages) and the Page's Data.
type Page struct {
	theme     *themes.Theme
	Lang      string
	Title     string // message id
	Area      string // admin, reseller, client or public
	CSRF      string
	Flash     string
	Error     string
	Brand     brandView
	User      *identity.User
	caller    *identity.Caller
	Nav       []navGroup
	Form      map[string]string
	Errs      map[string]string
	shown     map[string]bool // the fields whose problem the page showed beside them (E)
	Data      any
	Languages []string
	// Redirect sends the browser on to another site when the page loads
	// (a payment provider: the pages run no script, and a form's redirect
	// may only stay on this site).
	Redirect string
}

// T translates a message; kv are placeholder name/value pairs.
func (p *Page) T(id string, kv ...any) string {
	var data map[string]any
	if len(kv) > 1 {
		data = map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			if k, ok := kv[i].(string); ok {
				data[k] = kv[i+1]
			}
		}
	}
	return p.theme.T(p.Lang, id, data)
}

// E is the translated problem with a form field, or "".
func (p *Page) E(field string) string {
	msg, ok := p.Errs[field]
	if !ok {
		return ""
	}
	if p.shown == nil {
		p.shown = map[string]bool{}
	}
	p.shown[field] = true
	return p.problem(msg)
}

// problem translates a domain problem text through the "problem." keys;
// a text without a key is shown as it is.
func (p *Page) problem(msg string) string {
	if t := p.T("problem." + msg); t != "problem."+msg {
		return t
	}
	return msg
}

// Can reports whether the signed-in caller holds a permission.
func (p *Page) Can(perm string) bool { return p.caller != nil && p.caller.Can(identity.Perm(perm)) }

// Seller reports whether the caller's tenant sells (the operator or a
// reseller).
func (p *Page) Seller() bool { return p.caller != nil && p.caller.Scope.Kind != tenancy.KindClient }

// Time formats a UTC time for tables.
func (p *Page) Time(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// NewPage builds the view model for the request: the user's language (or
// the browser's when signed out), the brand of the user's seller, and the
// navigation the user's role allows.
func (s *Server) NewPage(c echo.Context, title string) *Page {
	p := &Page{theme: s.Deps.Theme, Title: title, Area: "public", Form: map[string]string{}, Errs: map[string]string{},
		Languages: core.Languages, Lang: themes.Match(c.Request().Header.Get("Accept-Language"))}
	if tok, ok := c.Get("csrf").(string); ok {
		p.CSRF = tok
	}
	p.Brand = s.brandOf(c, nil)
	defer p.takeFlash(c)
	a, ok := c.Get(ctxAuth).(*identity.Authenticated)
	if !ok || a.Session.MFAPending {
		return p
	}
	caller := a.Caller()
	p.User, p.caller, p.Lang = &a.User, &caller, a.User.Language
	p.Brand = s.brandOf(c, &a.Tenant)
	p.Area = areaOf(a.Tenant.Kind)
	p.Nav = s.nav(c, caller)
	return p
}

// takeFlash moves a one-shot message from its cookie onto the page.
func (p *Page) takeFlash(c echo.Context) {
	if f, err := c.Cookie(flashCookie); err == nil && f.Value != "" {
		if msg := p.T("flash." + f.Value); msg != "flash."+f.Value {
			p.Flash = msg
		}
		c.SetCookie(&http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	}
}

func areaOf(k tenancy.Kind) string {
	switch k {
	case tenancy.KindOperator:
		return "admin"
	case tenancy.KindReseller:
		return "reseller"
	}
	return "client"
}

func (s *Server) brandOf(c echo.Context, t *identity.Tenant) brandView {
	var src identity.Tenant
	var err error
	if t == nil {
		src, err = s.Deps.Identity.TenantByID(c.Request().Context(), tenancy.OperatorID)
	} else {
		src, err = s.Deps.Identity.BrandFor(c.Request().Context(), *t)
	}
	if err != nil {
		return brandView{Name: "Faktura"}
	}
	b := brandView{Name: src.BrandName, LogoURL: src.BrandLogoURL, Primary: src.BrandPrimary, Accent: src.BrandAccent}
	if b.Name == "" {
		b.Name = src.Name
	}
	if src.Kind == tenancy.KindOperator && src.BrandName == "" && src.Name == "Operator" {
		b.Name = "Faktura"
	}
	return b
}

// Render writes a page.
func (s *Server) Render(c echo.Context, status int, name string, p *Page) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	return s.Deps.Theme.Render(c.Response(), name, p)
}

// FormError re-renders a form page with the problems of err: field
// problems next to their fields, other known errors as a message. Errors
// that are not the user's input go to the error handler.
func (s *Server) FormError(c echo.Context, name string, p *Page, err error) error {
	var ve *core.ValidationError
	if errors.As(err, &ve) {
		for k, v := range ve.Fields {
			p.Errs[k] = v
		}
		p.Error = p.T("form.invalid")
		// A problem of a field the form does not have (the seller's
		// missing id when a draft is finalized) goes into the message.
		if err := s.Deps.Theme.Render(io.Discard, name, p); err != nil {
			return err
		}
		var other []string
		for _, k := range slices.Sorted(maps.Keys(p.Errs)) {
			if !p.shown[k] {
				other = append(other, p.problem(p.Errs[k]))
			}
		}
		switch {
		case len(other) == len(p.Errs):
			p.Error = strings.Join(other, " ")
		case len(other) > 0:
			p.Error += " " + strings.Join(other, " ")
		}
		return s.Render(c, http.StatusUnprocessableEntity, name, p)
	}
	for _, f := range signInFailures {
		if errors.Is(err, f.err) {
			p.Error = p.T(f.msg)
			return s.Render(c, f.status, name, p)
		}
	}
	if k := core.Kind(err); k == core.ErrForbidden || k == core.ErrPrecondition {
		status, _ := StatusOf(err)
		p.Error = p.problem(err.Error())
		return s.Render(c, status, name, p)
	}
	return err
}

// signInFailures are the sign-in and reset errors a form shows as a
// message, with their status.
var signInFailures = []struct {
	err    error
	msg    string
	status int
}{
	{identity.ErrBadCredentials, "login.bad", http.StatusUnauthorized},
	{identity.ErrTooManyAttempts, "login.throttled", http.StatusTooManyRequests},
	{identity.ErrBadCode, "login2fa.bad", http.StatusUnprocessableEntity},
	{identity.ErrBadResetToken, "reset.bad", http.StatusUnprocessableEntity},
}

// form copies the named form values into the page, trimmed.
func (p *Page) Fill(c echo.Context, names ...string) {
	for _, n := range names {
		p.Form[n] = strings.TrimSpace(c.FormValue(n))
	}
}

// Flash sets a one-shot message (a message id suffix) for the next page.
func Flash(c echo.Context, id string) {
	c.SetCookie(&http.Cookie{Name: flashCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

const flashCookie = "faktura_flash"

// Money formats an amount in the page's language.
func (p *Page) Money(minor int64, cur string) string {
	return document.LocaleFor(p.Lang).Money(minor, cur)
}

// Day writes a calendar day (YYYY-MM-DD) as the page's language does;
// anything else is shown as it is, "" stays empty.
func (p *Page) Day(iso string) string {
	d, err := core.ParseDate("day", iso)
	if err != nil {
		return iso
	}
	return document.LocaleFor(p.Lang).Date(d)
}
