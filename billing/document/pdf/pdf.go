// Package pdf renders an invoice or credit note as a PDF with maroto:
// the seller's brand (logo, colours, name), the seller and buyer blocks
// with the identifiers the seller's country requires, the lines grouped
// by subproject with totals carried from page to page, the VAT
// breakdown, the totals, the legal notes and, where the seller gave an
// account, the bank transfer details with the RF creditor reference and
// an EPC QR code. Fonts are DejaVu, embedded, so every Latin-script name
// prints. The layout's numbers come from the theme (pdf/layout.json),
// which an operator may override.
//
// The bytes depend only on the document, the brand and the layout: the
// creation date is the document's issue date, so a finalized document
// renders to the same file every time.
package pdf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/johnfercher/maroto/v2/pkg/config"
	"github.com/johnfercher/maroto/v2/pkg/consts/extension"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/core/entity"
	"github.com/johnfercher/maroto/v2/pkg/fontrepository"
	"github.com/johnfercher/maroto/v2/pkg/props"
	"github.com/phpdave11/gofpdf"
)

// Labels translates a document label in a language (the theme).
type Labels interface {
	T(lang, id string, data map[string]any) string
}

// Brand is how the seller presents itself: its name, its colours
// (#rrggbb) and its logo (PNG or JPEG bytes, optional).
type Brand struct {
	Name    string
	Primary string
	Accent  string
	Logo    []byte
}

// Layout are the numbers of the page (millimetres and points); the
// theme's pdf/layout.json sets them.
type Layout struct {
	MarginLeft   float64 `json:"margin_left"`
	MarginRight  float64 `json:"margin_right"`
	MarginTop    float64 `json:"margin_top"`
	MarginBottom float64 `json:"margin_bottom"`
	FontSize     float64 `json:"font_size"`
	TitleSize    float64 `json:"title_size"`
	LineHeight   float64 `json:"line_height"` // of one text line in a table row
	Primary      string  `json:"primary"`     // when the seller has no brand colour
	Accent       string  `json:"accent"`
	ShowQR       bool    `json:"show_qr"`
	Footer       string  `json:"footer"` // an extra line at the foot of every page
}

// DefaultLayout is used for fields the theme leaves out.
var DefaultLayout = Layout{MarginLeft: 15, MarginRight: 15, MarginTop: 12, MarginBottom: 10, FontSize: 8.5, TitleSize: 16,
	LineHeight: 3.8, Primary: "#1f3a5f", Accent: "#e8eef5", ShowQR: true}

// LoadLayout reads pdf/layout.json from a theme's file system; a missing
// file is the default layout.
func LoadLayout(fsys fs.FS) (Layout, error) {
	l := DefaultLayout
	b, err := fs.ReadFile(fsys, "pdf/layout.json")
	if errors.Is(err, fs.ErrNotExist) {
		return l, nil
	} else if err != nil {
		return l, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("pdf/layout.json: %w", err)
	}
	if l.FontSize < 5 || l.FontSize > 14 || l.LineHeight < 2 || l.TitleSize < 8 {
		return l, fmt.Errorf("pdf/layout.json: font_size (5-14), line_height (>= 2) or title_size (>= 8) out of range")
	}
	for _, c := range []string{l.Primary, l.Accent} {
		if _, ok := parseColor(c); !ok {
			return l, fmt.Errorf("pdf/layout.json: colour %q is not #rrggbb", c)
		}
	}
	return l, nil
}

func init() {
	// gofpdf writes fonts and images in map order unless told to sort
	// them: sorted, the same document gives the same bytes.
	gofpdf.SetDefaultCatalogSort(true)
}

// europeanScripts are the characters the fonts keep: Latin (basic,
// Latin-1, Extended A and B, Extended Additional), Greek and Cyrillic
// (Greek and Bulgarian customers), general punctuation, currency signs
// and letterlike symbols. gofpdf parses a font for every document, so a
// font of these ~1,500 glyphs instead of DejaVu's ~6,000 makes each PDF
// several times cheaper; every name written in a European script prints.
var europeanScripts = func() string {
	var b strings.Builder
	for _, r := range [][2]rune{{0x20, 0x7e}, {0xa0, 0x24f}, {0x370, 0x3ff}, {0x400, 0x4ff}, {0x1e00, 0x1eff}, {0x2000, 0x206f},
		{0x20a0, 0x20cf}, {0x2100, 0x214f}, {0x2190, 0x2193}, {0x2212, 0x2212}, {0xfffd, 0xfffd}} {
		for c := r[0]; c <= r[1]; c++ {
			b.WriteRune(c)
		}
	}
	return b.String()
}()

// font is the family name the fonts are registered under.
const font = "dejavu"

// Renderer renders documents; it is safe for concurrent use.
type Renderer struct {
	fonts  []entity.CustomFont
	labels Labels
	layout Layout
}

// New loads the DejaVu fonts from dir (Debian's fonts-dejavu-core puts
// them in /usr/share/fonts/truetype/dejavu).
func New(dir string, labels Labels, layout Layout) (*Renderer, error) {
	repo := fontrepository.New()
	for _, f := range []struct {
		style fontstyle.Type
		file  string
	}{{fontstyle.Normal, "DejaVuSans.ttf"}, {fontstyle.Bold, "DejaVuSans-Bold.ttf"}} {
		// The two styles the layout uses (each font is parsed anew for
		// every document, so no more), in a fixed order: the same fonts,
		// the same bytes.
		style, file := f.style, f.file
		b, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return nil, fmt.Errorf("PDF fonts: %w (install Debian's fonts-dejavu-core or set documents.font_dir)", err)
		}
		repo = repo.AddUTF8FontFromBytes(font, style, gofpdf.UTF8CutFont(b, europeanScripts))
	}
	fonts, err := repo.Load()
	if err != nil {
		return nil, fmt.Errorf("PDF fonts: %w", err)
	}
	return &Renderer{fonts: fonts, labels: labels, layout: layout}, nil
}

// Payment is how to pay an invoice by bank transfer, printed with its
// EPC QR code (the payload as payment.EPCPayload makes it).
type Payment struct {
	IBAN, BIC, Reference, Amount, EPC string
}

func parseColor(s string) (*props.Color, bool) {
	if len(s) != 7 || s[0] != '#' {
		return nil, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return nil, false
	}
	return &props.Color{Red: int(v >> 16 & 0xff), Green: int(v >> 8 & 0xff), Blue: int(v & 0xff)}, true
}

// colour is the brand's colour, else the layout's.
func colour(brand, fallback string) *props.Color {
	if c, ok := parseColor(brand); ok {
		return c
	}
	c, _ := parseColor(fallback)
	return c
}

// Render writes the document. pay is the bank transfer block, nil when
// the seller takes no transfers or on a credit note.
func (r *Renderer) Render(in Input) ([]byte, error) {
	p, err := r.plan(in)
	if err != nil {
		return nil, err
	}
	b, err := p.generate()
	if err != nil {
		return nil, err
	}
	return fixModDate(b, in.Doc.IssueDate.In(time.UTC)), nil
}

var modDateRE = regexp.MustCompile(`/ModDate \(D:[0-9]{14}\)`)

// fixModDate sets the PDF's modification date, which maroto leaves at
// the time of rendering, to its creation date (same length, so the
// cross-reference offsets stay right): a document's bytes never depend
// on when it was rendered.
func fixModDate(b []byte, created time.Time) []byte {
	loc := modDateRE.FindIndex(b)
	if loc == nil {
		return b
	}
	copy(b[loc[0]:loc[1]], "/ModDate (D:"+created.Format("20060102150405")+")")
	return b
}

// ImageKind tells a PNG or JPEG from its first bytes.
func ImageKind(b []byte) (extension.Type, bool) { return imageKind(b) }

func imageKind(b []byte) (extension.Type, bool) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return extension.Png, true
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return extension.Jpg, true
	}
	return "", false
}

// cfg builds maroto's configuration for one document.
func (r *Renderer) cfg(in Input, pageLabel string) *entity.Config {
	l := r.layout
	created := in.Doc.IssueDate.In(time.UTC)
	return config.NewBuilder().
		WithLeftMargin(l.MarginLeft).WithRightMargin(l.MarginRight).WithTopMargin(l.MarginTop).WithBottomMargin(l.MarginBottom).
		WithCustomFonts(r.fonts).
		WithMaxGridSize(grid).
		WithDefaultFont(&props.Font{Family: font, Size: l.FontSize}).
		WithPageNumber(props.PageNumber{Pattern: pageLabel, Place: props.RightBottom, Family: font, Size: l.FontSize - 1.5}).
		WithCreationDate(created).
		WithTitle(in.Title, true).
		WithAuthor(in.Doc.Seller.Name, true).
		WithSubject(in.Doc.Number, true).
		WithCreator("Faktura", true).
		WithCompression(false).
		Build()
}
