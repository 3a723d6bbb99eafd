package themes

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
)

// Mail renders the message name (mail/<name>.txt, whose first line is
// "Subject: ...", and mail/<name>.html when the theme has one) in lang,
// with T translating labels into lang and data as the templates' dot.
func (t *Theme) Mail(name, lang string, data any) (subject, text, html string, err error) {
	tr := func(id string, args ...any) string {
		var m map[string]any
		if len(args) == 1 {
			m, _ = args[0].(map[string]any)
		}
		return t.T(lang, id, m)
	}
	src, err := fs.ReadFile(t.fsys, "mail/"+name+".txt")
	if err != nil {
		return "", "", "", fmt.Errorf("mail template %s: %w", name, err)
	}
	tt, err := texttemplate.New(name).Funcs(texttemplate.FuncMap{"T": tr}).Parse(string(src))
	if err != nil {
		return "", "", "", fmt.Errorf("mail template %s.txt: %w", name, err)
	}
	var b bytes.Buffer
	if err := tt.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("mail template %s.txt: %w", name, err)
	}
	first, rest, _ := strings.Cut(b.String(), "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	if !ok {
		return "", "", "", fmt.Errorf("mail template %s.txt: the first line must be \"Subject: ...\"", name)
	}
	text = strings.TrimLeft(rest, "\n")
	if src, err := fs.ReadFile(t.fsys, "mail/"+name+".html"); err == nil {
		ht, err := htmltemplate.New(name).Funcs(htmltemplate.FuncMap{"T": tr}).Parse(string(src))
		if err != nil {
			return "", "", "", fmt.Errorf("mail template %s.html: %w", name, err)
		}
		var h bytes.Buffer
		if err := ht.Execute(&h, data); err != nil {
			return "", "", "", fmt.Errorf("mail template %s.html: %w", name, err)
		}
		html = h.String()
	}
	return strings.TrimSpace(subject), text, html, nil
}
