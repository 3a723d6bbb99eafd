package dunning

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"faktura/billing"
	"faktura/billing/document"
	"faktura/panel/core"
	"faktura/panel/core/mail"
	"faktura/panel/core/tenancy"
	"faktura/provisioning"
)

// sellerInfo is what a mail says of its seller.
type sellerInfo struct {
	Name, Email, Path string
}

func (s *Service) seller(ctx context.Context, p *pass, inv billing.Invoice) (sellerInfo, error) {
	if si, ok := p.sellers[inv.SellerID]; ok {
		return si, nil
	}
	var t struct {
		Path, Name, BrandName string
	}
	if err := s.db.Conn(ctx).Table("tenants").Select("path, name, brand_name").Where("id = ?", inv.SellerID).Take(&t).Error; err != nil {
		return sellerInfo{}, fmt.Errorf("seller of invoice %d: %w", inv.ID, err)
	}
	var party billing.Party
	if inv.Seller != "" {
		_ = json.Unmarshal([]byte(inv.Seller), &party)
	}
	si := sellerInfo{Name: cmp.Or(t.BrandName, party.Name, t.Name), Email: party.Email, Path: t.Path}
	p.sellers[inv.SellerID] = si
	return si, nil
}

// queueMail queues a step's mail to inv's buyer, once under the key
// dunning:<invoice>:<step>, in the buyer's language, with the invoice's
// PDF (and the fee invoice's) attached and the pay link, and reports
// whether it did. A buyer without an e-mail address gets none.
func (s *Service) queueMail(ctx context.Context, p *pass, inv billing.Invoice, st Step, fee *billing.Invoice, held []provisioning.Item, sched Schedule) (bool, error) {
	if s.opt.Mail == nil || s.opt.Tpl == nil {
		return false, nil
	}
	var buyer billing.Party
	if err := json.Unmarshal([]byte(inv.Buyer), &buyer); err != nil {
		return false, fmt.Errorf("buyer of invoice %d: %w", inv.ID, err)
	}
	if buyer.Email == "" {
		s.opt.Log.Warn("dunning mail not sent: the buyer has no e-mail address", "invoice", inv.ID, "step", st.Key())
		return false, nil
	}
	sel, err := s.seller(ctx, p, inv)
	if err != nil {
		return false, err
	}
	lang := cmp.Or(inv.Language, "en")
	loc := document.LocaleFor(lang)
	due, err := core.ParseDate("due_date", inv.DueDate)
	if err != nil {
		return false, err
	}
	number := ""
	if inv.Number != nil {
		number = *inv.Number
	}
	args := map[string]any{"Number": number, "Seller": sel.Name, "Buyer": buyer.Name, "Due": loc.Date(due),
		"Total": loc.Money(inv.TotalMinor, inv.Currency), "Open": loc.Money(openMinor(inv), inv.Currency), "Days": max(st.Offset, 0)}
	data := map[string]any{"Lang": lang, "Args": args, "Seller": sel.Name, "Link": s.opt.BaseURL + "/billing/invoices/" + itoa(inv.ID)}
	if fee != nil && fee.Number != nil {
		args["Fee"], args["FeeNumber"] = loc.Money(fee.TotalMinor, fee.Currency), *fee.Number
		data["Fee"] = true
	}
	if st.Action == ActionReminder {
		for _, x := range sched.On() {
			if x.Action == ActionSuspend && x.Offset > st.Offset {
				args["SuspendOn"] = loc.Date(billing.AddDays(due, x.Offset))
				data["Warning"] = true
				break
			}
		}
	}
	if len(held) > 0 {
		names := make([]string, len(held))
		for i, h := range held {
			names[i] = h.Name
		}
		args["Held"] = strings.Join(names, ", ")
	}
	var attach []mail.AttachRef
	if s.opt.AttachPDF && st.Action != ActionTerminate {
		attach = append(attach, mail.AttachRef{Source: "archive", Ref: itoa(inv.ID) + "/pdf"})
		if fee != nil {
			attach = append(attach, mail.AttachRef{Source: "archive", Ref: itoa(fee.ID) + "/pdf"})
		}
	}
	data["Step"], data["Attached"] = strings.TrimPrefix(st.Template(), "dunning_"), len(attach) > 0
	subject, text, html, err := s.opt.Tpl.Mail(st.Template(), lang, data)
	if err != nil {
		return false, err
	}
	key := "dunning:" + itoa(inv.ID) + ":" + st.Key()
	_, err = s.opt.Mail.Enqueue(ctx, mail.Queued{Key: key, Invoice: inv.ID, Kind: "dunning_" + string(st.Action),
		Tenant:  tenancy.Scope{TenantID: inv.SellerID, Path: sel.Path},
		Message: mail.Message{To: buyer.Email, Subject: subject, Body: text, HTML: html, Lang: lang, FromName: sel.Name, ReplyTo: sel.Email},
		Attach:  attach})
	return err == nil, err
}
