package settings

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"faktura/panel/core"
	"faktura/panel/core/settings"
	"faktura/panel/web"
)

// view is the settings page of one level.
type view struct {
	Target  target
	Entries []settings.Entry
	Rows    []rowView
}

// rowView is one key on the page, its values written for the reader.
type rowView struct {
	settings.Entry
	ID             string // the input's id: the key's name with dashes
	Shown          string // the value in effect
	Source         string // where it comes from
	InheritedShown string // what resetting would leave
	Options        []option
}

type option struct {
	Value, Label string
	Selected     bool
}

// rows writes the entries for p's reader; the seller a level inherits
// from is the caller (only a level's seller sees its page), named by its
// kind: "inherited from the reseller".
func rows(p *web.Page, t target, es []settings.Entry, sellerKind string) []rowView {
	out := make([]rowView, len(es))
	for i, e := range es {
		r := rowView{Entry: e, ID: strings.ReplaceAll(e.Name, ".", "-"), Shown: shown(p, e.Def, e.Effective),
			InheritedShown: shown(p, e.Def, e.Inherited)}
		switch {
		case e.From == t.Level:
			r.Source = p.T("settings.from.here")
		case e.From == settings.LevelSeller:
			r.Source = p.T("settings.from." + sellerKind)
		default:
			r.Source = p.T("settings.from." + string(e.From))
		}
		choices := e.Choices
		if e.Kind == settings.KindBool {
			choices = []string{"true", "false"}
		}
		for _, c := range choices {
			r.Options = append(r.Options, option{Value: c, Label: shown(p, e.Def, c), Selected: c == p.Form[e.Name]})
		}
		out[i] = r
	}
	return out
}

// shown writes a value: a choice by its label, others as they are.
func shown(p *web.Page, d settings.Def, raw string) string {
	if d.Kind == settings.KindEnum || d.Kind == settings.KindBool {
		if t := p.T("choice." + raw); t != "choice."+raw {
			return t
		}
	}
	return raw
}

func (s *area) page(c echo.Context) (*web.Page, error) {
	t, err := s.resolve(c)
	if err != nil {
		return nil, err
	}
	es, err := s.entries(c.Request().Context(), t)
	if err != nil {
		return nil, err
	}
	p := s.NewPage(c, "settings.title")
	for _, e := range es {
		if e.Set {
			p.Form[e.Name] = e.Value
		}
	}
	p.Data = view{Target: t, Entries: es, Rows: rows(p, t, es, string(web.CallerOf(c).Scope.Kind))}
	return p, nil
}

// save applies the form: a filled field sets its key at this level, an
// emptied one (or "inherit") resets it; a reset button resets its key
// alone. One invalid field stores nothing.
func (s *area) save(c echo.Context) error {
	p, err := s.page(c)
	if err != nil {
		return err
	}
	v := p.Data.(view)
	changes := map[string]settings.Change{}
	if name := c.FormValue("reset"); name != "" {
		changes[name] = settings.Change{Reset: true}
	} else {
		for _, e := range v.Entries {
			ptr := web.FormPtr(c, e.Name)
			if ptr == nil {
				continue
			}
			p.Form[e.Name] = strings.TrimSpace(*ptr)
			changes[e.Name] = formChange(p.Form[e.Name])
		}
	}
	v.Rows = rows(p, v.Target, v.Entries, string(web.CallerOf(c).Scope.Kind))
	p.Data = v
	if err := s.apply(c.Request().Context(), v.Target, changes); err != nil {
		return s.FormError(c, "settings", p, localize(p, v.Entries, err))
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/settings/"+string(v.Target.Level)+"/"+v.Target.PathID())
}

// formChange reads one field: empty (or the select's "inherit") resets,
// anything else is set (Apply leaves an unchanged value alone).
func formChange(raw string) settings.Change {
	if raw == "" || raw == inherit {
		return settings.Change{Reset: true}
	}
	return settings.Change{Value: raw}
}

// inherit is the select option that takes the value from the level above.
const inherit = "-"

// localize writes a key's problem in the reader's language: an int's
// bounds, a choice, or the parser's own words for a text key.
func localize(p *web.Page, es []settings.Entry, err error) error {
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &core.ValidationError{}
	for field, problem := range ve.Fields {
		msg := problem
		for _, e := range es {
			if e.Name != field {
				continue
			}
			switch e.Kind {
			case settings.KindInt:
				msg = p.T("settings.bad.int", "Min", e.Min, "Max", e.Max)
			case settings.KindEnum, settings.KindBool:
				msg = p.T("settings.bad.choice")
			default:
				msg = p.T("settings.bad.text", "Problem", problem)
			}
		}
		out.Add(field, msg)
	}
	return out
}
