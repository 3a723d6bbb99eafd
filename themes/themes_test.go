package themes

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"faktura/panel/core"
)

func catalogue(t *testing.T, lang string) map[string]string {
	b, err := fs.ReadFile(builtin, "locales/"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

// TestCataloguesComplete: every message exists in all five languages, none
// is empty, placeholders match English, and every key a template uses
// exists.
func TestCataloguesComplete(t *testing.T) {
	en := catalogue(t, "en")
	ph := regexp.MustCompile(`\{\{\.\w+\}\}`)
	for _, lang := range core.Languages[1:] {
		m := catalogue(t, lang)
		for k, v := range en {
			got, ok := m[k]
			switch {
			case !ok:
				t.Errorf("%s: message %q missing", lang, k)
			case strings.TrimSpace(got) == "":
				t.Errorf("%s: message %q empty", lang, k)
			case !slices.Equal(sorted(ph.FindAllString(got, -1)), sorted(ph.FindAllString(v, -1))):
				t.Errorf("%s: %q placeholders %v, English has %v", lang, k, ph.FindAllString(got, -1), ph.FindAllString(v, -1))
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				t.Errorf("%s: message %q is not in English", lang, k)
			}
		}
	}
	used := regexp.MustCompile(`\.T "([a-zA-Z0-9_.]+)"`)
	pages, _ := fs.Glob(builtin, "templates/*/*.html")
	pages = append(pages, "templates/layout.html")
	n := 0
	for _, p := range pages {
		b, _ := fs.ReadFile(builtin, p)
		for _, m := range used.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s uses message %q, which does not exist", p, m[1])
			}
		}
	}
	t.Logf("%d messages in %d languages; %d uses in templates checked", len(en), len(core.Languages), n)
}

func sorted(s []string) []string { slices.Sort(s); return s }

// TestOverrideDirectory: a file in the operator directory replaces the
// embedded one; everything else falls through.
func TestOverrideDirectory(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "templates", "pages"), 0o755)
	os.WriteFile(filepath.Join(dir, "templates", "pages", "error.html"), []byte(`{{define "content"}}<p>Custom error page</p>{{end}}`), 0o644)
	os.MkdirAll(filepath.Join(dir, "static"), 0o755)
	os.WriteFile(filepath.Join(dir, "static", "panel.css"), []byte("body{}"), 0o644)
	th, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if css, _ := fs.ReadFile(th.FS(), "static/panel.css"); string(css) != "body{}" {
		t.Errorf("static/panel.css not overridden: %.40q", css)
	}
	if _, err := fs.ReadFile(th.FS(), "templates/pages/login.html"); err != nil {
		t.Errorf("embedded login.html hidden by the override directory: %v", err)
	}
	page, _ := fs.ReadFile(th.FS(), "templates/pages/error.html")
	if !strings.Contains(string(page), "Custom error page") {
		t.Errorf("error.html not overridden")
	}
	if !slices.Contains(th.Pages(), "login") || !slices.Contains(th.Pages(), "error") {
		t.Errorf("pages = %v", th.Pages())
	}
	os.WriteFile(filepath.Join(dir, "templates", "pages", "error.html"), []byte(`{{define "content"}}{{.Broken}`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "error.html") {
		t.Errorf("a broken override = %v, want an error naming the file", err)
	}
}

func TestMatch(t *testing.T) {
	for accept, want := range map[string]string{"de-DE,de;q=0.9,en;q=0.8": "de", "fr-CA": "fr", "da": "da", "ja,it;q=0.5": "it", "": "en", "garbage;;": "en"} {
		if got := Match(accept); got != want {
			t.Errorf("Match(%q) = %q, want %q", accept, got, want)
		}
	}
}
