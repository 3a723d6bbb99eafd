// Package settings is the panel's settings area: one page per level of
// the settings chain (the panel's defaults, a seller's own rules, and the
// overrides of a plan, a customer and a contract), and the same as
// GET/PUT /api/v1/settings/{level}/{id}. A level belongs to one seller
// and only that seller changes it: the panel level is the operator's, a
// seller level its own tenant's, a plan, customer or contract level the
// seller of that product, customer or contract. Outside the caller's
// scope a level is not found; another seller's is forbidden.
package settings

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// Area registers the settings area.
type Area struct{}

type area struct{ *web.Server }

// Routes implements web.Area.
func (Area) Routes(r *web.Router) {
	s := &area{r.Server}
	r.Pages.GET("/settings", s.home)
	r.Pages.GET("/settings/:level/:id", s.Show("settings", s.page))
	r.Pages.POST("/settings/:level/:id", s.save)
	r.API.GET("/settings/:level/:id", s.apiGet)
	r.API.PUT("/settings/:level/:id", s.apiPut)
	r.Nav(web.NavEntry{Order: 85, Href: "/settings", Label: "nav.settings", Group: "nav.group.admin", Perm: identity.PermSettings,
		Kinds: []tenancy.Kind{tenancy.KindOperator, tenancy.KindReseller},
		Active: func(path, _ string) bool {
			return (path == "/settings" || strings.HasPrefix(path, "/settings/")) && path != "/settings/security"
		}})
}

// target is one level of one object, resolved for the caller.
type target struct {
	Level settings.Level
	ID    string         // the level's scope id ("" for the panel)
	Scope settings.Scope // the chain as seen from the object
	Name  string         // what the object is called
	Back  string         // the object's page
	path  string         // the owning seller's tenant path, for the audit log
	owner int64
}

// PathID is the id as the routes write it: 0 for the panel.
func (t target) PathID() string {
	if t.ID == "" {
		return "0"
	}
	return t.ID
}

// resolve finds the level the route names: a malformed one, or an object
// outside the caller's scope, is not found; a level of another seller,
// or a caller without the permission, is forbidden.
func (s *area) resolve(c echo.Context) (target, error) {
	ctx, caller := c.Request().Context(), web.CallerOf(c)
	level := settings.Level(c.Param("level"))
	var t target
	var err error
	if level == settings.LevelPanel {
		if c.Param("id") != "0" {
			return t, core.E(core.ErrNotFound, "the panel level's id is 0")
		}
		t = target{Level: level, Name: "panel", Back: "/", owner: tenancy.OperatorID, path: tenancy.PathOf("/", tenancy.OperatorID)}
	} else {
		id, perr := web.IDParam(c)
		if perr != nil {
			return t, perr
		}
		t, err = s.object(ctx, caller, level, id)
		if err != nil {
			return t, err
		}
	}
	if t.owner != caller.Scope.TenantID {
		return t, core.E(core.ErrForbidden, "the %s level of %s belongs to another seller", level, t.Name)
	}
	return t, caller.Require(identity.PermSettings)
}

// object resolves a level below the panel's: who owns it and its chain.
func (s *area) object(ctx context.Context, caller identity.Caller, level settings.Level, id int64) (target, error) {
	sid := strconv.FormatInt(id, 10)
	t := target{Level: level, ID: sid}
	switch level {
	case settings.LevelSeller, settings.LevelCustomer:
		ten, err := s.Deps.Identity.GetTenant(ctx, caller, id)
		if err != nil {
			return t, err
		}
		t.Name, t.Back = ten.Name, "/tenants/"+sid
		if level == settings.LevelSeller {
			if ten.Kind == tenancy.KindClient {
				return t, core.E(core.ErrNotFound, "%s sells nothing: it has no seller level", ten.Name)
			}
			t.owner, t.path, t.Scope = id, ten.Path, settings.Scope{Seller: sid}
			return t, nil
		}
		if ten.ParentID == nil {
			return t, core.E(core.ErrNotFound, "%s buys from nobody: it has no customer level", ten.Name)
		}
		parent := strconv.FormatInt(*ten.ParentID, 10)
		t.owner, t.path, t.Scope = *ten.ParentID, parentPath(ten.Path), settings.Scope{Seller: parent, Customer: sid}
		return t, nil
	case settings.LevelPlan:
		p, err := s.Deps.Billing.Product(ctx, caller.Scope, id)
		if err != nil {
			return t, err
		}
		t.Name, t.Back, t.owner = p.Name, "/billing/catalog/"+sid, p.SellerID
		t.Scope = settings.Scope{Seller: strconv.FormatInt(p.SellerID, 10), Plan: sid}
	case settings.LevelContract:
		k, err := s.Deps.Billing.Contract(ctx, caller.Scope, id)
		if err != nil {
			return t, err
		}
		t.Name, t.Back, t.owner = "#"+sid+" "+k.SubjectName, "/billing/contracts/"+sid, k.SellerID
		t.Scope = settings.Scope{Seller: strconv.FormatInt(k.SellerID, 10), Plan: strconv.FormatInt(k.ProductID, 10),
			Customer: strconv.FormatInt(k.CustomerID, 10), Contract: sid}
	default:
		return t, core.E(core.ErrNotFound, "no settings level %q: one of panel, seller, plan, customer, contract", level)
	}
	if t.owner == caller.Scope.TenantID {
		t.path = caller.Scope.Path
	}
	return t, nil
}

// parentPath is the path of the tenant above path's last id.
func parentPath(path string) string {
	trimmed := strings.TrimSuffix(path, "/")
	if i := strings.LastIndex(trimmed, "/"); i >= 0 {
		return trimmed[:i+1]
	}
	return path
}

// entries lists the level's keys.
func (s *area) entries(ctx context.Context, t target) ([]settings.Entry, error) {
	return s.Deps.Settings.Entries(ctx, s.Deps.SettingDefs, t.Level, t.ID, t.Scope)
}

// apply stores the changes with their audit entry, in one transaction;
// an invalid change stores none.
func (s *area) apply(ctx context.Context, t target, changes map[string]settings.Change) error {
	return s.Deps.DB.WithTx(ctx, func(ctx context.Context) error {
		before, after, err := s.Deps.Settings.Apply(ctx, s.Deps.SettingDefs, t.Level, t.ID, changes)
		if err != nil || len(after) == 0 {
			return err
		}
		return s.Deps.Audit.Record(ctx, audit.Entry{Action: "settings.change", ObjectType: "settings." + string(t.Level), ObjectID: t.PathID(),
			TenantID: t.owner, TenantPath: t.path, Before: before, After: after})
	})
}

// home opens the caller's own level: the panel's for the operator, its
// seller level for a reseller.
func (s *area) home(c echo.Context) error {
	caller := web.CallerOf(c)
	if err := caller.Require(identity.PermSettings); err != nil {
		return err
	}
	if caller.Scope.Kind == tenancy.KindOperator {
		return c.Redirect(http.StatusSeeOther, "/settings/panel/0")
	}
	return c.Redirect(http.StatusSeeOther, "/settings/seller/"+strconv.FormatInt(caller.Scope.TenantID, 10))
}

// apiSettings is the JSON of one level.
type apiSettings struct {
	Level    settings.Level `json:"level"`
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Settings []apiEntry     `json:"settings"`
}

type apiEntry struct {
	settings.Def
	Min           *int           `json:"min,omitempty"` // an int key's bounds (0 is a bound too)
	Max           *int           `json:"max,omitempty"`
	Value         any            `json:"value"` // set at this level; null when inherited
	Effective     any            `json:"effective"`
	From          settings.Level `json:"from"` // this level, one above, or "default"
	Inherited     any            `json:"inherited"`
	InheritedFrom settings.Level `json:"inherited_from"`
}

func (s *area) apiView(ctx context.Context, t target) (apiSettings, error) {
	es, err := s.entries(ctx, t)
	if err != nil {
		return apiSettings{}, err
	}
	out := apiSettings{Level: t.Level, ID: t.PathID(), Name: t.Name, Settings: make([]apiEntry, len(es))}
	for i, e := range es {
		var v any
		if e.Set {
			v = e.Typed(e.Value)
		}
		out.Settings[i] = apiEntry{Def: e.Def, Value: v, Effective: e.Typed(e.Effective), From: e.From,
			Inherited: e.Typed(e.Inherited), InheritedFrom: e.InheritedFrom}
		if e.Kind == settings.KindInt {
			out.Settings[i].Min, out.Settings[i].Max = &e.Min, &e.Max
		}
	}
	return out, nil
}

func (s *area) apiGet(c echo.Context) error {
	t, err := s.resolve(c)
	if err != nil {
		return err
	}
	v, err := s.apiView(c.Request().Context(), t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// apiPut changes some keys of a level: {"billing.payment_days": 30,
// "billing.lead_days": null}; a value sets the key there, null resets it
// to the inherited value, a key not named is left as it is.
func (s *area) apiPut(c echo.Context) error {
	t, err := s.resolve(c)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if err := web.Bind(c, &raw); err != nil {
		return err
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil || body == nil {
		return web.InvalidJSON("body")
	}
	if len(body) == 0 {
		return core.Invalid("body", "name at least one setting: {\"billing.payment_days\": 30}, or null to reset one")
	}
	changes := map[string]settings.Change{}
	for name, raw := range body {
		changes[name] = settings.ChangeFromJSON(raw)
	}
	ctx := c.Request().Context()
	if err := s.apply(ctx, t, changes); err != nil {
		return err
	}
	v, err := s.apiView(ctx, t)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}
