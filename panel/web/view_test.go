package web_test

import (
	"testing"

	"faktura/panel/web"
)

// TestPageDay: lists write days the way the reader's language does.
func TestPageDay(t *testing.T) {
	for _, c := range []struct{ lang, in, want string }{
		{"en", "2026-11-02", "2 November 2026"},
		{"de", "2026-11-02", "02.11.2026"},
		{"fr", "2026-11-02", "02/11/2026"},
		{"it", "2026-11-02", "02/11/2026"},
		{"da", "2026-11-02", "02.11.2026"},
		{"de", "", ""},
		{"de", "soon", "soon"},
	} {
		p := &web.Page{Lang: c.lang}
		if got := p.Day(c.in); got != c.want {
			t.Errorf("%s %q = %q, want %q", c.lang, c.in, got, c.want)
		}
	}
}
