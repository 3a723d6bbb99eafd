// Package mail sends e-mail over SMTP. It is the plain sender the panel
// uses for password resets; messages are built by the caller (already
// translated) and sent outside any database transaction.
package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// ErrDisabled says no SMTP server is configured.
var ErrDisabled = errors.New("mail is not configured (mail.host is empty)")

// Message is one e-mail: a text body, optionally an HTML alternative and
// attachments.
type Message struct {
	To          string
	Subject     string
	Body        string
	HTML        string // an HTML alternative to Body; empty for none
	Lang        string // Content-Language
	FromName    string // the name shown with the configured address (a reseller's)
	ReplyTo     string // where answers go (the seller's billing address)
	MessageID   string // fixed per delivery, so a resent message is recognisably the same
	Attachments []Attachment
}

// Attachment is a file sent with a message.
type Attachment struct {
	Name        string
	ContentType string
	Body        []byte
}

// Options name the SMTP server. TLS is "none", "starttls" or "tls".
type Options struct {
	Host, TLS, Username, Password, From string
	Port                                int
	Timeout                             time.Duration
}

// Sender sends messages through one SMTP server.
type Sender struct{ o Options }

// NewSender returns a sender; with an empty host every Send returns
// ErrDisabled.
func NewSender(o Options) *Sender {
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	return &Sender{o: o}
}

// Enabled reports whether a server is configured.
func (s *Sender) Enabled() bool { return s.o.Host != "" }

// Send delivers m. It makes a network call: never call it inside a
// database transaction.
func (s *Sender) Send(ctx context.Context, m Message) error {
	if !s.Enabled() {
		return ErrDisabled
	}
	msg := gomail.NewMsg()
	if m.FromName != "" {
		if err := msg.FromFormat(m.FromName, s.o.From); err != nil {
			return fmt.Errorf("mail from %q: %w", s.o.From, err)
		}
	} else if err := msg.From(s.o.From); err != nil {
		return fmt.Errorf("mail from %q: %w", s.o.From, err)
	}
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return fmt.Errorf("mail reply-to %q: %w", m.ReplyTo, err)
		}
	}
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail to %q: %w", m.To, err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Body), gomail.WithFileContentType(gomail.ContentType(a.ContentType))); err != nil {
			return fmt.Errorf("attach %s: %w", a.Name, err)
		}
	}
	if m.Lang != "" {
		msg.SetGenHeader("Content-Language", m.Lang)
	}
	opts := []gomail.Option{gomail.WithPort(s.o.Port), gomail.WithTimeout(s.o.Timeout)}
	switch s.o.TLS {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.o.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(s.o.Username), gomail.WithPassword(s.o.Password))
	}
	c, err := gomail.NewClient(s.o.Host, opts...)
	if err != nil {
		return fmt.Errorf("mail client for %s: %w", s.o.Host, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("send mail via %s:%d: %w", s.o.Host, s.o.Port, err)
	}
	return nil
}
