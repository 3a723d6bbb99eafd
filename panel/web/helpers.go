package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
)

// Need returns a forbidden error unless the caller holds p.
func Need(c echo.Context, p identity.Perm) error { return CallerOf(c).Require(p) }

// NeedOperator refuses callers outside the operator's tenant.
func NeedOperator(c echo.Context, p identity.Perm) error {
	if CallerOf(c).Scope.Kind != tenancy.KindOperator {
		return core.E(core.ErrForbidden, "only the operator may %s", p)
	}
	return Need(c, p)
}

func InvalidJSON(field string) error { return core.Invalid(field, "must be a JSON object") }

// ListView is a page of rows and the link to the next page.
type ListView[T any] struct {
	Items []T
	Next  string
}

// NextLink is the URL of the page after rows (a full page of limit rows,
// newest first; id names a row), or "" when this was the last.
func NextLink[T any](c echo.Context, rows []T, limit int, id func(T) int64) string {
	if len(rows) == 0 || len(rows) < limit {
		return ""
	}
	q := c.Request().URL.Query()
	q.Set("before", strconv.FormatInt(id(rows[len(rows)-1]), 10))
	return c.Request().URL.Path + "?" + q.Encode()
}

const PageSize = 50

func PageOf(c echo.Context) core.Page {
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	return core.Page{Before: before, Limit: PageSize}
}

// IDParam parses the :id path parameter; a malformed id is simply not
// found.
func IDParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, core.E(core.ErrNotFound, "no such object")
	}
	return id, nil
}

// FormPtr is a form field for a PATCH-like input: nil when the form lacks it.
func FormPtr(c echo.Context, name string) *string {
	if _, ok := c.Request().PostForm[name]; !ok {
		return nil
	}
	v := c.FormValue(name)
	return &v
}

// FormInt reads a form id; anything else is 0, which the input checks
// report as missing.
func FormInt(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

// RowErrors renames the field problems of a list input ("lines.1.name")
// to the form field the item came from, as field(1, "name") says.
func RowErrors(err error, list string, field func(i int, name string) (string, bool)) error {
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	fields := map[string]string{}
	for k, msg := range ve.Fields {
		if rest, ok := strings.CutPrefix(k, list+"."); ok {
			idx, name, _ := strings.Cut(rest, ".")
			if i, err := strconv.Atoi(idx); err == nil && i >= 0 {
				if f, ok := field(i, name); ok {
					k = f
				}
			}
		}
		fields[k] = msg
	}
	return &core.ValidationError{Fields: fields}
}

// ByRow names a list item's field after its form row: "name_3".
func ByRow(rows []int) func(int, string) (string, bool) {
	return func(i int, name string) (string, bool) {
		if i >= len(rows) {
			return "", false
		}
		return name + "_" + strconv.Itoa(rows[i]), true
	}
}

// QueryID reads an optional id from the query string; anything but a
// positive whole number is a problem with that parameter.
func QueryID(c echo.Context, v *core.ValidationError, name string) int64 {
	s := strings.TrimSpace(c.QueryParam(name))
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		v.Add(name, "must be an id")
	}
	return n
}

// Background runs f detached from the request, bounded in time; Wait
// collects such work at shutdown.
func (s *Server) Background(f func(ctx context.Context)) {
	s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		f(ctx)
	})
}

func (s *Server) TenantNames(c echo.Context, ids []int64) map[int64]string {
	out := map[int64]string{}
	for _, id := range ids {
		if _, ok := out[id]; ok {
			continue
		}
		if t, err := s.Deps.Identity.TenantByID(c.Request().Context(), id); err == nil {
			out[id] = t.Name
		}
	}
	return out
}

// Show renders the page load builds: the GET of a page (and of its form).
func (s *Server) Show(name string, load func(echo.Context) (*Page, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := load(c)
		if err != nil {
			return err
		}
		return s.Render(c, http.StatusOK, name, p)
	}
}

// ShowPage renders page name for the object named by :id, built by
// build (which checks the caller may see it).
func (s *Server) ShowPage(name string, build func(echo.Context, int64) (*Page, error)) echo.HandlerFunc {
	return s.Show(name, withID(build))
}

// Submit handles the POST of the form on page name: load builds the page
// again, save fills the form into it and applies it; on success the
// browser goes to back with the flash message, otherwise it sees the form
// again with its problems.
func (s *Server) Submit(name, back, flash string, load func(echo.Context) (*Page, error), save func(c echo.Context, p *Page) error) echo.HandlerFunc {
	return s.submit(name, flash, load, func(c echo.Context, p *Page) (string, error) { return back, save(c, p) })
}

// SubmitNew is Submit for a form that creates an object: save returns its
// id, and the browser goes to its page, base+id, with "created".
func (s *Server) SubmitNew(name, base string, load func(echo.Context) (*Page, error), save func(c echo.Context, p *Page) (int64, error)) echo.HandlerFunc {
	return s.submit(name, "created", load, func(c echo.Context, p *Page) (string, error) {
		id, err := save(c, p)
		return base + strconv.FormatInt(id, 10), err
	})
}

// ByID serves GET and POST of an object's page: load builds the page for
// the :id in the caller's scope (not found outside it); on POST, the named
// form fields go back into the page and save applies them, then the
// browser returns to the page, or sees the form again with its problems.
func (s *Server) ByID(name, base string, load func(echo.Context, int64) (*Page, error), fields []string,
	save func(c echo.Context, id int64) error) echo.HandlerFunc {
	show := s.ShowPage(name, load)
	post := s.submit(name, "saved", withID(load), func(c echo.Context, p *Page) (string, error) {
		id, _ := IDParam(c) // withID read it already
		p.Fill(c, fields...)
		return base + strconv.FormatInt(id, 10), save(c, id)
	})
	return func(c echo.Context) error {
		if c.Request().Method == http.MethodPost {
			return post(c)
		}
		return show(c)
	}
}

// submit is the shape of the form handlers: build the page, apply the
// form (save answers where to go next), flash and redirect, or show the
// form again with its problems.
func (s *Server) submit(name, flash string, load func(echo.Context) (*Page, error), save func(c echo.Context, p *Page) (string, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, err := load(c)
		if err != nil {
			return err
		}
		to, err := save(c, p)
		if err != nil {
			return s.FormError(c, name, p, err)
		}
		Flash(c, flash)
		return c.Redirect(http.StatusSeeOther, to)
	}
}

// withID adapts a page builder for the :id object.
func withID(build func(echo.Context, int64) (*Page, error)) func(echo.Context) (*Page, error) {
	return func(c echo.Context) (*Page, error) {
		id, err := IDParam(c)
		if err != nil {
			return nil, err
		}
		return build(c, id)
	}
}

// ListOf is a page of rows (limit a page, id names a row) with the link
// to the next page.
func ListOf[T any](c echo.Context, rows []T, limit int, id func(T) int64) ListView[T] {
	return ListView[T]{Items: rows, Next: NextLink(c, rows, limit, id)}
}

// Confirmed refuses a form that terminates or deletes something unless
// its confirmation box is ticked (the pages run no script, so the box
// is the confirmation).
func Confirmed(c echo.Context) error {
	if c.FormValue("confirm") != "on" {
		return core.Invalid("confirm", "tick the box to confirm")
	}
	return nil
}
