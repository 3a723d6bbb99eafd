package themes

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
)

// mailTemplates are a message's parsed templates in one language.
type mailTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template // nil when the theme has none
}

// Mail renders the message name (mail/<name>.txt, whose first line is
// "Subject: ...", and mail/<name>.html when the theme has one) in lang,
// with T translating labels into lang and data as the templates' dot.
// The templates are parsed once per message and language.
func (t *Theme) Mail(name, lang string, data any) (subject, text, html string, err error) {
	mt, err := t.mailTemplates(name, lang)
	if err != nil {
		return "", "", "", err
	}
	var b bytes.Buffer
	if err := mt.text.Execute(&b, data); err != nil {
		return "", "", "", fmt.Errorf("mail template %s.txt: %w", name, err)
	}
	first, rest, _ := strings.Cut(b.String(), "\n")
	subject, ok := strings.CutPrefix(first, "Subject: ")
	if !ok {
		return "", "", "", fmt.Errorf("mail template %s.txt: the first line must be \"Subject: ...\"", name)
	}
	text = strings.TrimLeft(rest, "\n")
	if mt.html != nil {
		var h bytes.Buffer
		if err := mt.html.Execute(&h, data); err != nil {
			return "", "", "", fmt.Errorf("mail template %s.html: %w", name, err)
		}
		html = h.String()
	}
	return strings.TrimSpace(subject), text, html, nil
}

func (t *Theme) mailTemplates(name, lang string) (*mailTemplates, error) {
	key := name + "/" + lang
	t.mailMu.Lock()
	defer t.mailMu.Unlock()
	if mt, ok := t.mail[key]; ok {
		return mt, nil
	}
	tr := func(id string, args ...any) string {
		var m map[string]any
		if len(args) == 1 {
			m, _ = args[0].(map[string]any)
		}
		return t.T(lang, id, m)
	}
	src, err := fs.ReadFile(t.fsys, "mail/"+name+".txt")
	if err != nil {
		return nil, fmt.Errorf("mail template %s: %w", name, err)
	}
	mt := &mailTemplates{text: texttemplate.New(name).Funcs(texttemplate.FuncMap{"T": tr})}
	// Blocks in mail/partials/*.txt and *.html are shared by every
	// message of their kind (the dunning steps' common body, say).
	if err := t.mailPartials("txt", func(src string) error { _, err := mt.text.New("").Parse(src); return err }); err != nil {
		return nil, err
	}
	if _, err = mt.text.Parse(string(src)); err != nil {
		return nil, fmt.Errorf("mail template %s.txt: %w", name, err)
	}
	if src, err := fs.ReadFile(t.fsys, "mail/"+name+".html"); err == nil {
		mt.html = htmltemplate.New(name).Funcs(htmltemplate.FuncMap{"T": tr})
		if err := t.mailPartials("html", func(src string) error { _, err := mt.html.New("").Parse(src); return err }); err != nil {
			return nil, err
		}
		if _, err = mt.html.Parse(string(src)); err != nil {
			return nil, fmt.Errorf("mail template %s.html: %w", name, err)
		}
	}
	if t.mail == nil {
		t.mail = map[string]*mailTemplates{}
	}
	t.mail[key] = mt
	return mt, nil
}

// mailPartials hands each mail/partials/*.<ext> file to parse.
func (t *Theme) mailPartials(ext string, parse func(string) error) error {
	names, err := fs.Glob(t.fsys, "mail/partials/*."+ext)
	if err != nil {
		return fmt.Errorf("mail partials: %w", err)
	}
	for _, n := range names {
		src, err := fs.ReadFile(t.fsys, n)
		if err == nil {
			err = parse(string(src))
		}
		if err != nil {
			return fmt.Errorf("mail partial %s: %w", n, err)
		}
	}
	return nil
}
