package payment

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"unicode/utf8"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"faktura/billing"
	"faktura/panel/core"
	"faktura/panel/core/money"
	"faktura/panel/core/tenancy"
)

// CreditorReference is an invoice's structured creditor reference (ISO
// 11649, "RF"): RF, two check digits, then the invoice number's letters
// and digits (at most 21), so a bank transfer names the invoice in a
// form banks carry unchanged and a statement can be matched on.
func CreditorReference(number string) (string, error) {
	var body strings.Builder
	for _, c := range strings.ToUpper(number) {
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			body.WriteRune(c)
		}
	}
	b := body.String()
	if b == "" || len(b) > 21 {
		return "", fmt.Errorf("invoice number %q makes no creditor reference (1 to 21 letters and digits)", number)
	}
	check := 98 - billing.Mod97(b+"RF00")
	return fmt.Sprintf("RF%02d%s", check, b), nil
}

// ValidCreditorReference checks an RF reference's check digits.
func ValidCreditorReference(ref string) bool {
	ref = strings.ToUpper(strings.Join(strings.Fields(ref), ""))
	return len(ref) >= 5 && len(ref) <= 25 && strings.HasPrefix(ref, "RF") && billing.Mod97(ref[4:]+ref[:4]) == 1
}

// EPCPayload is the EPC QR code's text (EPC069-12, version 002, a SEPA
// credit transfer, UTF-8): a banking app scans it and fills in the
// transfer. Only euro amounts fit it.
func EPCPayload(name, iban, bic string, amountMinor int64, currency, reference string) (string, error) {
	switch {
	case currency != "EUR":
		return "", errors.New("an EPC QR code carries euro amounts only")
	case amountMinor < 1 || amountMinor > 99999999999:
		return "", errors.New("an EPC QR code carries 0.01 to 999999999.99 EUR")
	case iban == "" || name == "":
		return "", errors.New("an EPC QR code needs the payee's name and IBAN")
	}
	if utf8.RuneCountInString(name) > 70 {
		name = string([]rune(name)[:70])
	}
	amount := money.Money{Amount: amountMinor, Currency: "EUR"}.Decimal().StringFixed(2)
	lines := []string{"BCD", "002", "1", "SCT", bic, name, iban, "EUR" + amount, "", reference, ""}
	return strings.Join(lines, "\n"), nil
}

// Transfer is how to pay an invoice by bank transfer.
type Transfer struct {
	Holder    string
	IBAN      string
	BIC       string
	Reference string
	OpenMinor int64
	Currency  string
	QR        string // the EPC QR code as a data: URL (PNG), for euro invoices
}

// BankTransfer returns how to pay open invoice id by bank transfer to its
// seller, or nil when the seller gave no account or nothing is open.
func (s *Service) BankTransfer(ctx context.Context, scope tenancy.Scope, id int64) (*Transfer, error) {
	inv, err := s.bill.Invoice(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	if inv.Kind != billing.DocInvoice || !inv.Frozen() || inv.OpenMinor() <= 0 || inv.Status == billing.InvoiceStatusCancelled || inv.Number == nil {
		return nil, nil
	}
	var prof billing.Profile
	if err := s.db.Read(ctx).Where("tenant_id = ?", inv.SellerID).Limit(1).Find(&prof).Error; err != nil {
		return nil, fmt.Errorf("read the seller's bank account: %w", err)
	}
	if prof.IBAN == "" {
		return nil, nil
	}
	ref, err := CreditorReference(*inv.Number)
	if err != nil {
		return nil, core.E(core.ErrPrecondition, "%v", err)
	}
	t := &Transfer{Holder: prof.LegalName, IBAN: prof.IBAN, BIC: prof.BIC, Reference: ref, OpenMinor: inv.OpenMinor(), Currency: inv.Currency}
	if payload, err := EPCPayload(prof.LegalName, prof.IBAN, prof.BIC, inv.OpenMinor(), inv.Currency, ref); err == nil {
		if t.QR, err = qrDataURL(payload); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// qrDataURL draws text as a QR code (error correction M, as EPC069-12
// asks) in a PNG data URL.
func qrDataURL(text string) (string, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("draw the QR code: %w", err)
	}
	if code, err = barcode.Scale(code, 240, 240); err != nil {
		return "", fmt.Errorf("draw the QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, code); err != nil {
		return "", fmt.Errorf("draw the QR code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// IBANGrouped is the IBAN as printed.
func (t Transfer) IBANGrouped() string { return GroupIBAN(t.IBAN) }

// GroupIBAN writes an IBAN in groups of four, as printed.
func GroupIBAN(iban string) string {
	var b strings.Builder
	for i, c := range iban {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
