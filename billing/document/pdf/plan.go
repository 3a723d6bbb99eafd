package pdf

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/johnfercher/maroto/v2"
	"github.com/johnfercher/maroto/v2/pkg/components/code"
	"github.com/johnfercher/maroto/v2/pkg/components/col"
	"github.com/johnfercher/maroto/v2/pkg/components/image"
	"github.com/johnfercher/maroto/v2/pkg/components/line"
	"github.com/johnfercher/maroto/v2/pkg/components/page"
	"github.com/johnfercher/maroto/v2/pkg/components/row"
	"github.com/johnfercher/maroto/v2/pkg/components/text"
	"github.com/johnfercher/maroto/v2/pkg/consts/align"
	"github.com/johnfercher/maroto/v2/pkg/consts/fontstyle"
	"github.com/johnfercher/maroto/v2/pkg/core"
	"github.com/johnfercher/maroto/v2/pkg/props"

	"faktura/billing"
	"faktura/billing/document"
)

// Input is what a PDF is made of.
type Input struct {
	Doc     document.Document
	Brand   Brand
	Payment *Payment // bank transfer details; nil for none (always nil on a credit note)
	Title   string   // set by the renderer
}

// grid is the number of columns rows are divided into.
const grid = 24

// pageHeight is A4's, in millimetres.
const pageHeight = 297.0

// block is a row and its height, so pages can be filled by hand and a
// running total carried where a page ends.
type block struct {
	h   float64
	row core.Row
}

// plan is one document laid out.
type plan struct {
	r       *Renderer
	in      Input
	v       document.View
	lang    string
	primary *props.Color
	accent  *props.Color
	footer  core.Row
	pages   [][]block
	used    float64 // height used on the last page
	avail   float64 // usable height of a page
	pageLbl string
}

func (r *Renderer) plan(in Input) (*plan, error) {
	d := in.Doc
	if d.IsDraft() {
		return nil, fmt.Errorf("document %d is a draft: only finalized documents are rendered", d.ID)
	}
	p := &plan{r: r, in: in, v: d.View(), lang: d.View().Lang}
	p.primary = colour(in.Brand.Primary, r.layout.Primary)
	p.accent = colour(in.Brand.Accent, r.layout.Accent)
	p.pageLbl = p.L("doc.page")
	p.in.Title = p.L("doc.kind."+d.Kind) + " " + d.Number
	footH := p.buildFooter()
	l := r.layout
	p.avail = pageHeight - l.MarginTop - l.MarginBottom - footH - 8 // the page number and a safety margin
	p.pages = [][]block{nil}
	p.head()
	p.lines()
	p.totals()
	p.notes()
	p.payment()
	return p, nil
}

// L is a label in the document's language.
func (p *plan) L(id string) string { return p.r.labels.T(p.lang, id, nil) }

// Lf is a label with values.
func (p *plan) Lf(id string, data map[string]any) string { return p.r.labels.T(p.lang, id, data) }

func (p *plan) size(delta float64) float64 { return p.r.layout.FontSize + delta }

func (p *plan) txt(s string, extra ...func(*props.Text)) props.Text {
	t := props.Text{Family: font, Size: p.size(0)}
	for _, f := range extra {
		f(&t)
	}
	return t
}

func bold(t *props.Text)  { t.Style = fontstyle.Bold }
func right(t *props.Text) { t.Align = align.Right }
func small(t *props.Text) { t.Size -= 1 }

// add puts a block on the current page, or on a new one when it does not fit.
func (p *plan) add(h float64, r core.Row) {
	if p.used+h > p.avail && p.used > 0 {
		p.newPage()
	}
	p.put(h, r)
}

func (p *plan) put(h float64, r core.Row) {
	n := len(p.pages) - 1
	p.pages[n] = append(p.pages[n], block{h: h, row: r})
	p.used += h
}

// newPage starts a page with a small header naming the document.
func (p *plan) newPage() {
	p.pages = append(p.pages, nil)
	p.used = 0
	p.put(8, row.New(8).Add(text.NewCol(grid, p.in.Title, p.txt("", bold, small, func(t *props.Text) { t.Color = p.primary }))))
}

// wrap estimates how many lines s takes in a column of width mm (DejaVu
// Sans averages about 0.55 em per character; estimates err on the long
// side so rows never overlap).
func (p *plan) wrap(s string, mm float64) int {
	charMM := p.size(0) * 0.6 * 0.3528
	per := int(mm / charMM)
	if per < 1 {
		per = 1
	}
	n := 0
	for _, para := range strings.Split(s, "\n") {
		words, width := strings.Fields(para), 0
		lines := 1
		for _, w := range words {
			wl := utf8.RuneCountInString(w)
			switch {
			case width == 0:
				width = wl
			case width+1+wl <= per:
				width += 1 + wl
			default:
				lines++
				width = wl
			}
			for width > per { // a word longer than the column
				lines++
				width -= per
			}
		}
		n += lines
	}
	return max(n, 1)
}

// colMM is the width of a column of n grid units.
func (p *plan) colMM(n int) float64 {
	l := p.r.layout
	return (210 - l.MarginLeft - l.MarginRight) * float64(n) / grid
}

// textBlock is a full-width paragraph.
func (p *plan) textBlock(s string, extra ...func(*props.Text)) {
	if s == "" {
		return
	}
	h := float64(p.wrap(s, p.colMM(grid)))*p.r.layout.LineHeight + 1.5
	p.add(h, row.New(h).Add(text.NewCol(grid, s, p.txt("", extra...))))
}

func (p *plan) head() {
	d, v, l := p.in.Doc, p.v, p.r.layout
	brand := p.in.Brand.Name
	if brand == "" {
		brand = d.Seller.Name
	}
	left := col.New(10)
	if kind, ok := imageKind(p.in.Brand.Logo); ok {
		left = col.New(10).Add(image.NewFromBytes(p.in.Brand.Logo, kind, props.Rect{Percent: 100}))
	}
	p.put(18, row.New(18).Add(left, col.New(2),
		text.NewCol(12, brand, p.txt("", bold, right, func(t *props.Text) { t.Size = l.TitleSize - 2; t.Color = p.primary; t.Top = 3 }))))
	p.put(12, row.New(12).Add(text.NewCol(grid, p.L("doc.kind."+d.Kind), p.txt("", bold, func(t *props.Text) {
		t.Size = l.TitleSize
		t.Color = p.primary
		t.Top = 2
	}))))
	seller := p.party(d.Seller, true)
	buyer := append([]string{p.L("doc.bill_to")}, p.party(d.Buyer, false)...)
	if c := p.v.Buyer.Consultation; c != "" {
		buyer = append(buyer, p.L("doc.vies_consultation")+" "+c)
	}
	var meta [][2]string
	if d.IsCreditNote() {
		meta = append(meta, [2]string{p.L("doc.number_credit"), d.Number}, [2]string{p.L("doc.issue_date_credit"), v.IssueDate})
	} else {
		meta = append(meta, [2]string{p.L("doc.number"), d.Number}, [2]string{p.L("doc.issue_date"), v.IssueDate})
	}
	if v.DueDate != "" && !d.IsCreditNote() {
		meta = append(meta, [2]string{p.L("doc.due_date"), v.DueDate})
	}
	if v.Period != "" {
		meta = append(meta, [2]string{p.L("doc.period"), v.Period})
	}
	if v.Credits != nil {
		meta = append(meta, [2]string{p.L("doc.credits"), v.Credits.Number + " (" + v.Credits.Date + ")"})
	}
	if d.Buyer.OrderReference != "" {
		meta = append(meta, [2]string{p.L("doc.order_reference"), d.Buyer.OrderReference})
	}
	if d.Buyer.BuyerReference != "" {
		meta = append(meta, [2]string{p.L("doc.buyer_reference"), d.Buyer.BuyerReference})
	}
	lh := p.r.layout.LineHeight
	metaRows := 0
	for _, m := range meta {
		metaRows += 1 + p.wrap(m[1], p.colMM(10)*0.9)
	}
	rows := max(len(seller), len(buyer), metaRows)
	h := float64(rows)*lh + 4
	sellerCol := col.New(7)
	for i, s := range seller {
		sellerCol.Add(text.New(s, p.txt("", small, func(t *props.Text) {
			t.Top = float64(i) * (lh - 0.5)
			if i == 0 {
				t.Style = fontstyle.Bold
			}
		})))
	}
	buyerCol := col.New(7)
	for i, s := range buyer {
		buyerCol.Add(text.New(s, p.txt("", func(t *props.Text) {
			t.Top = float64(i) * lh
			if i <= 1 {
				t.Style = fontstyle.Bold
			}
		})))
	}
	metaCol := col.New(10)
	at := 0
	for _, m := range meta {
		top := float64(at) * lh
		metaCol.Add(text.New(m[0], p.txt("", small, right, func(t *props.Text) { t.Top = top; t.Color = p.primary })))
		metaCol.Add(text.New(m[1], p.txt("", bold, right, func(t *props.Text) { t.Top = top + lh })))
		at += 1 + p.wrap(m[1], p.colMM(10)*0.9)
	}
	p.put(h, row.New(h).Add(sellerCol, buyerCol, metaCol))
	if d.IsCreditNote() && d.Reason != "" {
		p.textBlock(p.L("doc.reason") + ": " + d.Reason)
	}
	p.put(3, row.New(3))
}

// party is a party's block: name, address, and the identifiers its
// country's invoices must carry, labelled as that country names them.
func (p *plan) party(pt billing.Party, seller bool) []string {
	v := document.PartyViewOf(pt)
	out := append(append([]string{v.Name}, v.Address...), document.IDLines(pt, p.L)...)
	if seller && pt.TaxNumber != "" {
		switch pt.Country {
		case "IT":
			out = append(out, "Codice fiscale "+pt.TaxNumber)
		case "DE":
			out = append(out, "Steuernummer "+pt.TaxNumber)
		default:
			out = append(out, p.L("doc.tax_number")+" "+pt.TaxNumber)
		}
	}
	if seller {
		for _, s := range []string{pt.Phone, pt.Email} {
			if s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// Columns of the lines table, in grid units.
var cols = [6]int{8, 5, 2, 3, 2, 4}

func (p *plan) tableHeader() core.Row {
	hs := []string{p.L("doc.description"), p.L("doc.period"), p.L("doc.quantity"), p.L("doc.unit_price"), p.L("doc.vat"), p.L("doc.net")}
	r := row.New(6)
	for i, h := range hs {
		t := p.txt("", bold, small, func(t *props.Text) { t.Top = 1.2; t.Color = p.primary; t.Left = 1 })
		if i >= 2 {
			right(&t)
			t.Right = 1
		}
		r.Add(text.NewCol(cols[i], h, t))
	}
	return r.WithStyle(&props.Cell{BackgroundColor: p.accent})
}

// lines writes the table, with the running net total carried to the next
// page wherever the lines go on past a page.
func (p *plan) lines() {
	lh := p.r.layout.LineHeight
	p.add(6, p.tableHeader())
	var running int64
	carry := func(label string) core.Row {
		return row.New(6).Add(text.NewCol(grid-cols[5], label, p.txt("", bold, right, func(t *props.Text) { t.Top = 1 })),
			text.NewCol(cols[5], p.money(running), p.txt("", bold, right, func(t *props.Text) { t.Top = 1; t.Right = 1 })))
	}
	fits := func(h float64) bool { return p.used+h+6 <= p.avail }
	place := func(h float64, r core.Row) {
		if !fits(h) {
			p.put(6, carry(p.L("doc.carried")))
			p.newPage()
			p.put(6, p.tableHeader())
			p.put(6, carry(p.L("doc.brought")))
		}
		p.put(h, r)
	}
	for _, s := range p.in.Doc.Sections {
		if s.Name != "" {
			place(6, row.New(6).Add(text.NewCol(grid, s.Name, p.txt("", bold, func(t *props.Text) { t.Top = 1.5; t.Left = 1 }))))
		}
		for i, ln := range s.Lines {
			lv := p.v.Sections[sectionIndex(p.in.Doc, s.Name)].Lines[i]
			n := max(p.wrap(lv.Description, p.colMM(cols[0])-2), p.wrap(lv.Period, p.colMM(cols[1])-2))
			h := float64(n)*lh + 2
			cells := []string{lv.Description, lv.Period, lv.Quantity, lv.UnitPrice, lv.Tax, lv.Net}
			r := row.New(h)
			for c, v := range cells {
				t := p.txt("", func(t *props.Text) { t.Top = 1; t.Left = 1 })
				if c >= 2 {
					right(&t)
					t.Right = 1
				}
				r.Add(text.NewCol(cols[c], v, t))
			}
			place(h, r)
			running += ln.NetMinor
		}
	}
	p.put(1, line.NewRow(1, props.Line{Color: p.primary, Thickness: 0.3, SizePercent: 100}))
}

// sectionIndex finds a section's place (names are unique per document).
func sectionIndex(d document.Document, name string) int {
	for i, s := range d.Sections {
		if s.Name == name {
			return i
		}
	}
	return 0
}

func (p *plan) money(minor int64) string {
	return document.LocaleFor(p.lang).Money(minor, p.in.Doc.Currency)
}

// totals writes the VAT breakdown and the totals, kept together.
func (p *plan) totals() {
	d, v := p.in.Doc, p.v
	type kv struct {
		k, v string
		b    bool
	}
	var rows []kv
	rows = append(rows, kv{p.L("doc.total_net"), v.Net, false})
	for _, t := range v.Taxes {
		label := p.L("doc.vat_amount") + " " + t.Category
		if t.Category != string(billing.CategoryOutside) {
			label += " " + t.Rate
		}
		rows = append(rows, kv{label + " (" + p.L("doc.vat_base") + " " + t.Base + ")", t.Tax, false})
	}
	rows = append(rows, kv{p.L("doc.total_vat"), v.Tax, false})
	if d.IsCreditNote() {
		rows = append(rows, kv{p.L("doc.total_credit"), v.Total, true})
	} else {
		rows = append(rows, kv{p.L("doc.total"), v.Total, true})
	}
	lh := p.r.layout.LineHeight + 0.8
	h := float64(len(rows))*lh + 4
	label, value := col.New(18), col.New(6)
	for i, r := range rows {
		top := 2 + float64(i)*lh
		style := func(t *props.Text) {
			t.Top = top
			t.Right = 1
			if r.b {
				t.Style = fontstyle.Bold
				t.Color = p.primary
			}
		}
		label.Add(text.New(r.k, p.txt("", right, style)))
		value.Add(text.New(r.v, p.txt("", right, style)))
	}
	p.add(h, row.New(h).Add(label, value))
}

// notes are the legal notes: the tax note, the exemption, what the
// seller's country requires, and the payment terms.
func (p *plan) notes() {
	d, v := p.in.Doc, p.v
	p.put(2, row.New(2))
	note := v.TaxNote
	if d.Seller.Country == "FR" && d.HasCategory(billing.CategoryReverseCharge) && !strings.Contains(strings.ToLower(note), "autoliquidation") {
		note = strings.TrimSpace("Autoliquidation. " + note)
	}
	p.textBlock(note)
	if v.Exemption != "" && !strings.Contains(v.TaxNote, v.Exemption) {
		p.textBlock(p.L("doc.exemption") + ": " + v.Exemption)
	}
	if d.Seller.Country == "FR" {
		p.textBlock(p.L("doc.fr_nature"))
		if d.Buyer.VATID != "" || d.Buyer.RegistrationID != "" {
			p.textBlock(p.L("doc.fr_penalties"), small)
		}
	}
	if !d.IsCreditNote() {
		switch {
		case v.PaymentDays > 0:
			p.textBlock(p.Lf("doc.payment_terms", map[string]any{"Days": v.PaymentDays}))
		case v.DueDate != "":
			p.textBlock(p.L("doc.payment_now"))
		}
	}
}

// payment is the bank transfer block with its QR code.
func (p *plan) payment() {
	pay := p.in.Payment
	if pay == nil || p.in.Doc.IsCreditNote() {
		return
	}
	lh := p.r.layout.LineHeight + 0.6
	items := [][2]string{{p.L("doc.iban"), pay.IBAN}, {p.L("doc.bic"), pay.BIC}, {p.L("doc.reference"), pay.Reference}, {p.L("doc.amount"), pay.Amount}}
	h := math.Max(float64(len(items)+2)*lh+4, 34)
	info := col.New(16).Add(text.New(p.L("doc.pay_transfer"), p.txt("", bold, func(t *props.Text) { t.Top = 2; t.Color = p.primary })))
	for i, it := range items {
		if it[1] == "" {
			continue
		}
		info.Add(text.New(it[0], p.txt("", func(t *props.Text) { t.Top = 2 + float64(i+1)*lh })))
		info.Add(text.New(it[1], p.txt("", bold, func(t *props.Text) { t.Top = 2 + float64(i+1)*lh; t.Left = 36 })))
	}
	qr := col.New(8)
	if pay.EPC != "" && p.r.layout.ShowQR {
		qr = col.New(8).Add(code.NewQr(pay.EPC, props.Rect{Center: true, Percent: 95}))
		info.Add(text.New(p.L("doc.scan"), p.txt("", small, func(t *props.Text) { t.Top = 2 + float64(len(items)+1)*lh })))
	}
	p.add(h, row.New(h).Add(info, qr).WithStyle(&props.Cell{BackgroundColor: p.accent}))
}

// buildFooter is the seller's legal line on every page.
func (p *plan) buildFooter() float64 {
	d := p.in.Doc
	parts := []string{d.Seller.Name}
	if a := strings.Join(document.PartyViewOf(d.Seller).Address, ", "); a != "" {
		parts = append(parts, a)
	}
	ids := p.party(d.Seller, false)[1+len(document.PartyViewOf(d.Seller).Address):]
	parts = append(parts, ids...)
	lines := []string{strings.Join(parts, " · ")}
	if f := p.r.layout.Footer; f != "" {
		lines = append(lines, f)
	}
	lh := p.r.layout.LineHeight - 0.6
	n := 0
	c := col.New(grid)
	for _, l := range lines {
		c.Add(text.New(l, p.txt("", small, func(t *props.Text) { t.Top = 1 + float64(n)*lh; t.Size -= 0.5; t.Align = align.Center })))
		n += p.wrap(l, p.colMM(grid)*1.15)
	}
	h := float64(n)*lh + 3
	p.footer = row.New(h).Add(c)
	return h
}

// generate makes the PDF.
func (p *plan) generate() ([]byte, error) {
	m := maroto.New(p.r.cfg(p.in, p.pageLbl))
	if err := m.RegisterFooter(p.footer); err != nil {
		return nil, fmt.Errorf("PDF footer: %w", err)
	}
	for _, blocks := range p.pages {
		pg := page.New()
		for _, b := range blocks {
			pg.Add(b.row)
		}
		m.AddPages(pg)
	}
	doc, err := m.Generate()
	if err != nil {
		return nil, fmt.Errorf("render PDF of %s: %w", p.in.Title, err)
	}
	return doc.GetBytes(), nil
}
