package web

import (
	"cmp"
	"io/fs"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
)

// Area is a part of the panel (admin, hosting, billing, ...) in its own
// package: it registers its pages, API handlers and navigation entries on
// the Router. New takes the list of areas; adding one touches no other.
type Area interface {
	Routes(r *Router)
}

// Router is what an area registers on. Every group carries its
// middleware: Public pages get security headers, a body limit, the
// session and CSRF; Pages also require a signed-in user; API is /api/v1
// with Bearer API keys and idempotency keys. Every route with an :id
// joins the cross-tenant test. Root is the bare router, for routes that
// authenticate themselves (provider webhooks under /webhooks/<gateway>).
type Router struct {
	*Server
	Public *echo.Group
	Pages  *echo.Group
	API    *echo.Group
	Root   *echo.Echo
}

// NavEntry is a navigation item an area adds: shown to callers holding
// Perm (and of one of Kinds, when set), in Order. Entries of one Group
// share a menu, placed where its first entry is; a group the caller sees
// one entry of is that entry alone.
type NavEntry struct {
	Order  int
	Href   string
	Label  string // message id
	Group  string // message id of its menu; empty: a link of its own
	Perm   identity.Perm
	Kinds  []tenancy.Kind
	Active func(path, kindQuery string) bool
}

// Nav adds navigation entries.
func (r *Router) Nav(items ...NavEntry) {
	r.navs = append(r.navs, items...)
	slices.SortStableFunc(r.navs, func(a, b NavEntry) int { return cmp.Compare(a.Order, b.Order) })
}

// routes registers the static files, the OpenAPI document, then each
// area's routes.
func (s *Server) routes(areas []Area) {
	e := s.e
	static, _ := fs.Sub(s.Deps.Theme.FS(), "static")
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServer(http.FS(static)))))

	pub := e.Group("", s.secureHeaders, middleware.BodyLimit("1M"), s.loadSession, s.csrf())
	r := &Router{Server: s, Public: pub, Pages: pub.Group("", s.requireUser),
		API: e.Group("/api/v1", middleware.BodyLimit("1M"), s.apiAuth, s.idempotency), Root: e}
	e.GET("/api/v1/openapi.json", s.openAPI)
	for _, a := range areas {
		a.Routes(r)
	}
}

// nav lists the entries the caller's role may open, in their groups,
// the profile last.
func (s *Server) nav(c echo.Context, caller identity.Caller) []navGroup {
	path, query := c.Request().URL.Path, c.Request().URL.Query().Get("kind")
	var out []navGroup
	at := map[string]int{}
	for _, n := range s.navs {
		if (n.Perm != "" && !caller.Can(n.Perm)) || (len(n.Kinds) > 0 && !slices.Contains(n.Kinds, caller.Scope.Kind)) {
			continue
		}
		item := navItem{Href: n.Href, Label: n.Label, Active: n.Active != nil && n.Active(path, query)}
		i, ok := at[n.Group]
		if !ok || n.Group == "" {
			i = len(out)
			out = append(out, navGroup{Label: n.Group})
			if n.Group != "" {
				at[n.Group] = i
			}
		}
		out[i].Items = append(out[i].Items, item)
		out[i].Active = out[i].Active || item.Active
	}
	return out
}

// secureHeaders sets the headers every page carries: no framing, no MIME
// sniffing, no referrer leaks, and a policy that allows only this site's
// scripts and styles (the layout's brand colours are an inline style).
func (s *Server) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https: http:; style-src 'self' 'unsafe-inline'; script-src 'none'; frame-ancestors 'none'; form-action 'self'")
		return next(c)
	}
}
