// Package themes holds the panel's embedded default theme (page templates,
// the stylesheet and the messages in every language) and layers an
// operator directory over it: a file there replaces the embedded file of
// the same name, and everything else falls through to the defaults.
//
// Pages are html/template files in templates/pages; each is parsed with
// templates/layout.html, so every page shares one layout. Templates render
// view models, never database rows.
package themes

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"faktura/panel/core"
)

//go:embed templates static locales pdf mail
var builtin embed.FS

// Theme is a loaded theme: parsed pages and message catalogues.
type Theme struct {
	fsys     fs.FS
	pages    map[string]*template.Template
	partials *template.Template
	bundle   *i18n.Bundle
	locs     map[string]*i18n.Localizer
	mailMu   sync.Mutex
	mail     map[string]*mailTemplates // parsed mail templates by name/language
}

// Load parses the theme: the embedded defaults with dir (when not empty)
// layered on top.
func Load(dir string) (*Theme, error) {
	var fsys fs.FS = builtin
	if dir != "" {
		fsys = Layered{Over: os.DirFS(dir), Under: builtin}
	}
	t := &Theme{fsys: fsys, pages: map[string]*template.Template{}, locs: map[string]*i18n.Localizer{}}
	if err := t.loadMessages(); err != nil {
		return nil, err
	}
	if err := t.parsePages(); err != nil {
		return nil, err
	}
	return t, nil
}

// FS is the layered file system (the web layer serves static/ from it).
func (t *Theme) FS() fs.FS { return t.fsys }

func (t *Theme) parsePages() error {
	layout, err := fs.ReadFile(t.fsys, "templates/layout.html")
	if err != nil {
		return fmt.Errorf("theme: %w", err)
	}
	// Partials (templates/partials) are blocks several pages and renderers
	// share, such as the invoice document.
	t.partials = template.New("partials").Funcs(funcs)
	parts, err := fs.Glob(t.fsys, "templates/partials/*.html")
	if err != nil {
		return fmt.Errorf("theme: %w", err)
	}
	var partials []string
	for _, n := range parts {
		body, err := fs.ReadFile(t.fsys, n)
		if err == nil {
			_, err = t.partials.Parse(string(body))
		}
		if err != nil {
			return fmt.Errorf("theme: parse %s: %w", n, err)
		}
		partials = append(partials, string(body))
	}
	names, err := fs.Glob(t.fsys, "templates/pages/*.html")
	if err != nil {
		return fmt.Errorf("theme: %w", err)
	}
	for _, n := range names {
		body, err := fs.ReadFile(t.fsys, n)
		if err != nil {
			return fmt.Errorf("theme: %w", err)
		}
		tpl, err := template.New("layout").Funcs(funcs).Parse(string(layout))
		for _, p := range append(partials, string(body)) {
			if err == nil {
				_, err = tpl.Parse(p)
			}
		}
		if err != nil {
			return fmt.Errorf("theme: parse %s: %w", n, err)
		}
		t.pages[strings.TrimSuffix(path.Base(n), ".html")] = tpl
	}
	return nil
}

var funcs = template.FuncMap{
	"seq": func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	},
}

// Render writes page name with the view model v.
func (t *Theme) Render(w io.Writer, name string, v any) error {
	tpl, ok := t.pages[name]
	if !ok {
		return fmt.Errorf("theme: no page %q", name)
	}
	var buf bytes.Buffer
	if err := tpl.ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	_, err := w.Write(labelCells(buf.Bytes()))
	return err
}

// RenderPartial writes the partial template name (defined in
// templates/partials) with v.
func (t *Theme) RenderPartial(w io.Writer, name string, v any) error {
	if t.partials.Lookup(name) == nil {
		return fmt.Errorf("theme: no partial %q", name)
	}
	return t.partials.ExecuteTemplate(w, name, v)
}

// Pages lists the page names.
func (t *Theme) Pages() []string {
	var out []string
	for n := range t.pages {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (t *Theme) loadMessages() error {
	t.bundle = i18n.NewBundle(language.English)
	t.bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	for _, lang := range core.Languages {
		name := "locales/" + lang + ".json"
		b, err := fs.ReadFile(t.fsys, name)
		if err != nil {
			return fmt.Errorf("theme: %w", err)
		}
		if _, err := t.bundle.ParseMessageFileBytes(b, name); err != nil {
			return fmt.Errorf("theme: %s: %w", name, err)
		}
	}
	for _, lang := range core.Languages {
		t.locs[lang] = i18n.NewLocalizer(t.bundle, lang, "en")
	}
	return nil
}

// T translates message id into lang (English when lang is unknown or the
// message is missing there). data fills {{.Name}} placeholders. A message
// missing everywhere comes back as its id, which the catalogue test
// catches.
func (t *Theme) T(lang, id string, data map[string]any) string {
	loc, ok := t.locs[lang]
	if !ok {
		loc = t.locs["en"]
	}
	s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return s
}

// Match picks the best supported language for an Accept-Language header.
func Match(accept string) string {
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil {
		return "en"
	}
	for _, tag := range tags {
		base, _ := tag.Base()
		if core.IsLanguage(base.String()) {
			return base.String()
		}
	}
	return "en"
}

// Layered is a file system where Over's files hide Under's.
type Layered struct{ Over, Under fs.FS }

// Open opens name from Over, or from Under when Over lacks it.
func (l Layered) Open(name string) (fs.File, error) {
	f, err := l.Over.Open(name)
	if err == nil {
		if st, serr := f.Stat(); serr == nil && !st.IsDir() {
			return f, nil
		}
		f.Close()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return l.Under.Open(name)
}

// ReadDir merges both layers' entries, Over's first.
func (l Layered) ReadDir(name string) ([]fs.DirEntry, error) {
	over, err1 := fs.ReadDir(l.Over, name)
	under, err2 := fs.ReadDir(l.Under, name)
	if err1 != nil && err2 != nil {
		return nil, err2
	}
	seen := map[string]bool{}
	var out []fs.DirEntry
	for _, e := range append(over, under...) {
		if !seen[e.Name()] {
			seen[e.Name()] = true
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}
