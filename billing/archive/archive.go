// Package archive renders every finalized invoice and credit note once
// and keeps the files unchanged: the Factur-X PDF (the PDF with its CII
// XML inside) and the EN 16931 XML (CII and UBL, and the XRechnung or
// Peppol variant a buyer asked for), each with its SHA-256, in the
// database or a directory. Finalization queues the rendering (billing's
// InvoiceFinalized and CreditNoteFinalized events); workers render
// outside any transaction and store the files in one; a file asked for
// before its turn is rendered on the spot. Rendering is deterministic, so
// the stored bytes are what a rendering of the document gives at any
// time, which Verify checks.
package archive

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gorm.io/gorm/clause"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/billing/document/facturx"
	"faktura/billing/document/pdf"
	"faktura/billing/einvoice"
	"faktura/billing/payment"
	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/mail"
	"faktura/panel/core/outbox"
	"faktura/panel/core/tenancy"
)

// Kinds of stored file.
const (
	KindPDF       = "pdf"       // the Factur-X PDF
	KindCII       = "cii"       // EN 16931 CII (the XML inside the PDF)
	KindUBL       = "ubl"       // EN 16931 UBL
	KindXRechnung = "xrechnung" // XRechnung UBL, for buyers that want it
	KindPeppol    = "peppol"    // Peppol BIS 3 UBL, for buyers that want it
)

// File is a stored file's record.
type File struct {
	ID          int64     `json:"id"`
	InvoiceID   int64     `json:"invoice_id"`
	Kind        string    `json:"kind"`
	FileName    string    `json:"file_name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `gorm:"column:sha256" json:"sha256"`
	Storage     string    `json:"storage"`                     // db or dir
	LogoSHA256  string    `gorm:"column:logo_sha256" json:"-"` // the seller's logo the PDF was made with
	Body        []byte    `json:"-"`
	Path        string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

// TableName implements gorm's Tabler.
func (File) TableName() string { return "document_files" }

// Options tune the archive.
type Options struct {
	Dir         string // store files here; empty keeps them in the database
	Log         *slog.Logger
	RendererErr error // why there is no PDF renderer (fonts missing)
	// PrivateLogoHosts lets logos come from loopback and private
	// addresses (tests); a seller's logo address is otherwise fetched
	// only from public hosts.
	PrivateLogoHosts bool
}

// Service is the archive.
type Service struct {
	db      *db.Handle
	clock   core.Clock
	billing *billing.Service
	pdf     *pdf.Renderer
	opt     Options
	wake    chan struct{}

	mail      *mail.Outbox // nil: documents are not mailed
	templates Templates
	baseURL   string
}

// New returns the archive; r renders the PDFs (nil when it could not be
// made: then every rendering fails with Options.RendererErr, and the
// queue keeps the documents until it can).
func New(h *db.Handle, clock core.Clock, b *billing.Service, r *pdf.Renderer, o Options) *Service {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: h, clock: clock, billing: b, pdf: r, opt: o, wake: make(chan struct{}, 1)}
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Millisecond) }

// system reads every document (the workers act for no user).
var system = tenancy.Scope{TenantID: tenancy.OperatorID, Kind: tenancy.KindOperator, Path: tenancy.PathOf("/", tenancy.OperatorID)}

// Bind queues a rendering for every finalized document.
func (s *Service) Bind(b *outbox.Bus) error {
	if err := outbox.On(b, "archive.render_invoice", 10, func(ctx context.Context, _ outbox.Meta, ev billing.InvoiceFinalized) error {
		return s.Enqueue(ctx, ev.InvoiceID)
	}); err != nil {
		return err
	}
	if err := outbox.On(b, "archive.render_credit_note", 10, func(ctx context.Context, _ outbox.Meta, ev billing.CreditNoteFinalized) error {
		return s.Enqueue(ctx, ev.InvoiceID)
	}); err != nil {
		return err
	}
	return s.bindMail(b)
}

// Enqueue queues document id for rendering, once however often it is asked.
func (s *Service) Enqueue(ctx context.Context, ids ...int64) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now()
	jobs := make([]job, len(ids))
	for i, id := range ids {
		jobs[i] = job{InvoiceID: id, Line: "doc:" + strconv.FormatInt(id, 10), Status: JobPending, NextAttemptAt: now, CreatedAt: now}
	}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&jobs, 500).Error; err != nil {
		return fmt.Errorf("queue document rendering: %w", err)
	}
	db.AfterCommit(ctx, s.poke)
	return nil
}

func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// rendered is a file made but not yet stored.
type rendered struct {
	kind, name, ctype string
	body              []byte
	logo              string // the logo's SHA-256 (the PDF)
}

// render makes a finalized document's files. It reads the database but
// writes nothing to the archive and takes no lock (it may fetch the
// seller's logo): call it outside any transaction. logo, when not nil,
// is the SHA-256 of the logo to use (a document made before: Verify),
// else the seller's current one.
func (s *Service) render(ctx context.Context, id int64, logo *string) ([]rendered, error) {
	d, inv, err := document.Load(ctx, s.billing, system, id)
	if err != nil {
		return nil, err
	}
	if !inv.Frozen() || d.IsDraft() {
		return nil, core.E(core.ErrPrecondition, "document %d is %s: only finalized documents have files", id, inv.Status)
	}
	// The files show the document as issued: what was paid or credited
	// later is not part of them.
	d.CreditBy, d.Totals.PaidMinor, d.Totals.CreditedMinor, d.Totals.DueMinor = nil, 0, 0, d.Totals.TotalMinor
	if d.IsCreditNote() {
		d.Totals.DueMinor = 0
	}
	cii, err := einvoice.Write(d, einvoice.CII, einvoice.EN16931)
	if err != nil {
		return nil, fmt.Errorf("document %d: CII: %w", id, err)
	}
	ubl, err := einvoice.Write(d, einvoice.UBL, einvoice.EN16931)
	if err != nil {
		return nil, fmt.Errorf("document %d: UBL: %w", id, err)
	}
	in := pdf.Input{Doc: d, Brand: s.brand(ctx, inv.SellerID)}
	var logoSHA string
	if logo != nil {
		if in.Brand.Logo, err = s.logoBySHA(ctx, inv.SellerID, *logo); err != nil {
			return nil, err
		}
		logoSHA = *logo
	} else {
		logoSHA, in.Brand.Logo = s.logo(ctx, inv.SellerID)
	}
	if d.Seller.IBAN != "" && !d.IsCreditNote() {
		if ref, err := payment.CreditorReference(d.Number); err == nil {
			epc, _ := payment.EPCPayload(d.Seller.Name, d.Seller.IBAN, d.Seller.BIC, d.Totals.TotalMinor, d.Currency, ref)
			in.Payment = &pdf.Payment{IBAN: payment.GroupIBAN(d.Seller.IBAN), BIC: d.Seller.BIC, Reference: ref, EPC: epc,
				Amount: document.LocaleFor(d.Language).Money(d.Totals.TotalMinor, d.Currency)}
		}
	}
	if s.pdf == nil {
		return nil, fmt.Errorf("document %d: no PDF renderer: %w", id, s.opt.RendererErr)
	}
	plain, err := s.pdf.Render(in)
	if err != nil {
		return nil, err
	}
	fx, err := facturx.Embed(plain, cii, facturx.Meta{Title: d.Number, Author: d.Seller.Name, Created: d.IssueDate.In(time.UTC),
		Conformance: "EN 16931", DocType: "INVOICE"})
	if err != nil {
		return nil, fmt.Errorf("document %d: %w", id, err)
	}
	base := safeName(d.Number)
	out := []rendered{
		{KindPDF, base + ".pdf", "application/pdf", fx, logoSHA},
		{KindCII, base + "-cii.xml", "application/xml", cii, ""},
		{KindUBL, base + "-ubl.xml", "application/xml", ubl, ""},
	}
	if syn, prof, ok := einvoice.For(d.Buyer.EInvoice); ok && prof != einvoice.EN16931 {
		x, err := einvoice.Write(d, syn, prof)
		if err != nil {
			return nil, fmt.Errorf("document %d: %s: %w", id, prof, err)
		}
		out = append(out, rendered{string(prof), base + "-" + string(prof) + ".xml", "application/xml", x, ""})
	}
	return out, nil
}

// safeName makes a document number a file name.
func safeName(number string) string {
	b := []byte(number)
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// brand is how the seller presents itself (its brand name and colours).
func (s *Service) brand(ctx context.Context, seller int64) pdf.Brand {
	var t struct{ BrandName, BrandPrimary, BrandAccent string }
	s.db.Read(ctx).Table("tenants").Select("brand_name, brand_primary, brand_accent").Where("id = ?", seller).Take(&t)
	return pdf.Brand{Name: t.BrandName, Primary: t.BrandPrimary, Accent: t.BrandAccent}
}

// Ensure renders and stores document id's files unless they are stored;
// it returns the stored records.
func (s *Service) Ensure(ctx context.Context, id int64) ([]File, error) {
	have, err := s.stored(ctx, id)
	if err != nil || len(have) > 0 {
		return have, err
	}
	rs, err := s.render(ctx, id, nil)
	if err != nil {
		return nil, err
	}
	if err := s.store(ctx, id, rs); err != nil {
		return nil, err
	}
	return s.stored(ctx, id)
}

func (s *Service) stored(ctx context.Context, id int64) ([]File, error) {
	var fs []File
	err := s.db.Read(ctx).Omit("body").Where("invoice_id = ?", id).Order("id").Find(&fs).Error
	return fs, err
}

// store writes the files (to the directory first, when there is one)
// and records them in one transaction; a file already recorded is kept
// as it is, never replaced.
func (s *Service) store(ctx context.Context, id int64, rs []rendered) error {
	files, err := s.prepare(id, rs)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error { return s.insertFiles(ctx, files) })
}

// prepare makes the records of rendered files, writing them to the
// directory when there is one.
func (s *Service) prepare(id int64, rs []rendered) ([]File, error) {
	now := s.now()
	files := make([]File, 0, len(rs))
	for _, r := range rs {
		sum := sha256.Sum256(r.body)
		f := File{InvoiceID: id, Kind: r.kind, FileName: r.name, ContentType: r.ctype, Size: int64(len(r.body)), SHA256: hex.EncodeToString(sum[:]),
			Storage: "db", Body: r.body, CreatedAt: now, LogoSHA256: r.logo}
		if s.opt.Dir != "" {
			p, err := s.writeFile(id, r, f.SHA256)
			if err != nil {
				return nil, err
			}
			f.Storage, f.Path, f.Body = "dir", p, nil
		}
		files = append(files, f)
	}
	return files, nil
}

// storeTx is store inside the caller's transaction (the worker's, fenced
// by its lease); files in a directory are written first.
func (s *Service) storeTx(ctx context.Context, id int64, rs []rendered) error {
	files, err := s.prepare(id, rs)
	if err != nil {
		return err
	}
	return s.insertFiles(ctx, files)
}

func (s *Service) insertFiles(ctx context.Context, files []File) error {
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&files).Error; err != nil {
		return fmt.Errorf("record archive files: %w", err)
	}
	return nil
}

// writeFile puts a file under dir/<invoice id>/ (a file of that name
// already there must hold the same bytes: never overwritten).
func (s *Service) writeFile(id int64, r rendered, sum string) (string, error) {
	rel := filepath.Join(strconv.FormatInt(id/1000, 10), strconv.FormatInt(id, 10), r.name)
	full := filepath.Join(s.opt.Dir, rel)
	if err := os.MkdirAll(filepath.Dir(full), 0o750); err != nil {
		return "", fmt.Errorf("archive directory: %w", err)
	}
	if old, err := os.ReadFile(full); err == nil {
		if got := sha256.Sum256(old); hex.EncodeToString(got[:]) != sum {
			return "", fmt.Errorf("archive: %s exists with other content; it is never overwritten", full)
		}
		return rel, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(full), ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("archive file: %w", err)
	}
	_, werr := tmp.Write(r.body)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("archive file %s: %w", full, err)
	}
	if err := os.Rename(tmp.Name(), full); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("archive file %s: %w", full, err)
	}
	return rel, nil
}

// Files lists a document's stored files for a caller who may read it,
// rendering them first when a finalized document has none yet.
func (s *Service) Files(ctx context.Context, scope tenancy.Scope, id int64) ([]File, error) {
	inv, err := s.billing.Invoice(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	if !inv.Frozen() {
		return nil, core.E(core.ErrPrecondition, "document %d is a draft: it has no files until it is finalized", id)
	}
	return s.Ensure(ctx, id)
}

// Open returns one file of a document with its bytes, checked against
// the SHA-256 recorded when it was stored.
func (s *Service) Open(ctx context.Context, scope tenancy.Scope, id int64, kind string) (File, []byte, error) {
	fs, err := s.Files(ctx, scope, id)
	if err != nil {
		return File{}, nil, err
	}
	for _, f := range fs {
		if f.Kind != kind {
			continue
		}
		body, err := s.read(ctx, f)
		if err != nil {
			return f, nil, err
		}
		return f, body, nil
	}
	return File{}, nil, core.E(core.ErrNotFound, "document %d has no %s file (the buyer's profile chooses XRechnung or Peppol)", id, kind)
}

// ErrDamaged is a stored file whose bytes no longer match their SHA-256.
var ErrDamaged = errors.New("archive: a stored file does not match its SHA-256")

func (s *Service) read(ctx context.Context, f File) ([]byte, error) {
	var body []byte
	switch f.Storage {
	case "dir":
		b, err := os.ReadFile(filepath.Join(s.opt.Dir, f.Path))
		if err != nil {
			return nil, fmt.Errorf("archive file of document %d: %w", f.InvoiceID, err)
		}
		body = b
	default:
		var row File
		if err := s.db.Read(ctx).Select("body").Where("id = ?", f.ID).Take(&row).Error; err != nil {
			return nil, fmt.Errorf("archive file of document %d: %w", f.InvoiceID, err)
		}
		body = row.Body
	}
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != f.SHA256 {
		return nil, fmt.Errorf("%w: document %d, %s", ErrDamaged, f.InvoiceID, f.Kind)
	}
	return body, nil
}

// Verify renders document id again and reports each stored file whose
// SHA-256 differs from the new rendering (none: nil).
func (s *Service) Verify(ctx context.Context, id int64) error {
	have, err := s.stored(ctx, id)
	if err != nil {
		return err
	}
	if len(have) == 0 {
		return core.E(core.ErrNotFound, "document %d has no stored files", id)
	}
	var logo string
	for _, f := range have {
		if f.Kind == KindPDF {
			logo = f.LogoSHA256
		}
	}
	rs, err := s.render(ctx, id, &logo)
	if err != nil {
		return err
	}
	now := map[string][]byte{}
	for _, r := range rs {
		now[r.kind] = r.body
	}
	var errs []error
	for _, f := range have {
		sum := sha256.Sum256(now[f.Kind])
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			errs = append(errs, fmt.Errorf("document %d %s: stored %s, rendered %x", id, f.Kind, f.SHA256, sum))
		}
		stored, err := s.read(ctx, f)
		if err != nil {
			errs = append(errs, err)
		} else if !bytes.Equal(stored, now[f.Kind]) {
			errs = append(errs, fmt.Errorf("document %d %s: the stored bytes differ from a new rendering", id, f.Kind))
		}
	}
	return errors.Join(errs...)
}
