package archive

import (
	"cmp"
	"context"
	"fmt"
	"strconv"
	"strings"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/panel/core"
	"faktura/panel/core/mail"
	"faktura/panel/core/outbox"
	"faktura/panel/core/tenancy"
)

// Templates renders a theme's mail in a language.
type Templates interface {
	Mail(name, lang string, data any) (subject, text, html string, err error)
}

// UseMail makes finalized documents go to their buyers by e-mail through
// o, written from the theme's mail/document templates; baseURL is the
// panel's address for the link to the document.
func (s *Service) UseMail(o *mail.Outbox, t Templates, baseURL string) {
	s.mail, s.templates, s.baseURL = o, t, strings.TrimRight(baseURL, "/")
	o.Source("archive", func(ctx context.Context, ref string) (mail.Attachment, error) {
		idStr, kind, _ := strings.Cut(ref, "/")
		id, err := strconv.ParseInt(idStr, 10, 64)
		if err != nil {
			return mail.Attachment{}, fmt.Errorf("archive attachment %q: %w", ref, err)
		}
		f, body, err := s.Open(ctx, system, id, kind)
		if err != nil {
			return mail.Attachment{}, err
		}
		return mail.Attachment{Name: f.FileName, ContentType: f.ContentType, Body: body}, nil
	})
}

// bindMail queues the mail of every finalized document, once per
// document (its key), in the transaction that delivers the event.
func (s *Service) bindMail(b *outbox.Bus) error {
	if err := outbox.On(b, "archive.mail_invoice", 30, func(ctx context.Context, _ outbox.Meta, ev billing.InvoiceFinalized) error {
		return s.QueueMail(ctx, ev.InvoiceID, "")
	}); err != nil {
		return err
	}
	return outbox.On(b, "archive.mail_credit_note", 30, func(ctx context.Context, _ outbox.Meta, ev billing.CreditNoteFinalized) error {
		return s.QueueMail(ctx, ev.InvoiceID, "")
	})
}

// QueueMail queues document id's mail to its buyer: once under the key
// document:<id> (suffix, when not empty, makes another: a resend), with
// the Factur-X PDF attached and the XML the buyer asked for. A buyer
// without an e-mail address gets none.
func (s *Service) QueueMail(ctx context.Context, id int64, suffix string) error {
	if s.mail == nil {
		return nil
	}
	d, inv, err := document.Load(ctx, s.billing, system, id)
	if err != nil {
		return err
	}
	if !inv.Frozen() || d.IsDraft() {
		return core.E(core.ErrPrecondition, "document %d is a draft: it is mailed once finalized", id)
	}
	to := d.Buyer.Email
	if to == "" {
		s.opt.Log.Warn("document not mailed: the buyer has no e-mail address", "invoice", id)
		return nil
	}
	var seller struct {
		Path      string
		BrandName string
	}
	if err := s.db.Conn(ctx).Table("tenants").Select("path, brand_name").Where("id = ?", inv.SellerID).Take(&seller).Error; err != nil {
		return fmt.Errorf("seller of document %d: %w", id, err)
	}
	v := d.View()
	from := cmp.Or(seller.BrandName, d.Seller.Name)
	data := map[string]any{"Lang": v.Lang, "CreditNote": d.IsCreditNote(), "Number": d.Number, "IssueDate": v.IssueDate, "Total": v.Total,
		"Seller": from, "Link": s.baseURL + "/billing/invoices/" + strconv.FormatInt(id, 10)}
	if !d.IsCreditNote() {
		data["DueDate"] = v.DueDate
	}
	args := map[string]any{"Number": d.Number, "Seller": from, "Buyer": d.Buyer.Name}
	if d.Credits != nil {
		args["Credits"] = d.Credits.Number
	}
	data["Args"] = args
	subject, text, html, err := s.templates.Mail("document", v.Lang, data)
	if err != nil {
		return err
	}
	attach := []mail.AttachRef{{Source: "archive", Ref: strconv.FormatInt(id, 10) + "/" + KindPDF}}
	if k := d.Buyer.EInvoice; k != "" {
		attach = append(attach, mail.AttachRef{Source: "archive", Ref: strconv.FormatInt(id, 10) + "/" + k})
	}
	kind := "invoice"
	if d.IsCreditNote() {
		kind = "credit_note"
	}
	_, err = s.mail.Enqueue(ctx, mail.Queued{Key: "document:" + strconv.FormatInt(id, 10) + suffix, Invoice: id, Kind: kind,
		Tenant:  tenancy.Scope{TenantID: inv.SellerID, Path: seller.Path},
		Message: mail.Message{To: to, Subject: subject, Body: text, HTML: html, Lang: v.Lang, FromName: from, ReplyTo: d.Seller.Email},
		Attach:  attach})
	return err
}

// Deliveries is document id's mail log for a caller who may read it.
func (s *Service) Deliveries(ctx context.Context, scope tenancy.Scope, id int64) ([]mail.Delivery, error) {
	if _, err := s.billing.Invoice(ctx, scope, id); err != nil {
		return nil, err
	}
	if s.mail == nil {
		return nil, nil
	}
	return s.mail.Deliveries(ctx, system, id, 50)
}

// Resend mails document id again (its seller asks): a new delivery.
func (s *Service) Resend(ctx context.Context, scope tenancy.Scope, id int64) error {
	inv, err := s.billing.Invoice(ctx, scope, id)
	if err != nil {
		return err
	}
	if inv.SellerID != scope.TenantID {
		return core.E(core.ErrForbidden, "only the seller of document %d resends it", id)
	}
	if s.mail == nil || !s.mail.Enabled() {
		return core.E(core.ErrPrecondition, "mail is not configured (mail.host)")
	}
	var n int64
	if err := s.db.Read(ctx).Table("mail_deliveries").Where("invoice_id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error { return s.QueueMail(ctx, id, "#"+strconv.FormatInt(n+1, 10)) })
}
