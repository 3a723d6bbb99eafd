// Package mailtest is a real SMTP server on loopback for tests
// (emersion/go-smtp): it keeps every message it accepts and can be told
// to refuse them, as a full mailbox or a broken relay would.
package mailtest

import (
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"faktura/panel/core/mail"
)

// Message is one accepted message: its envelope and its raw text.
type Message struct {
	From string
	To   []string
	Data string
}

// Server is the SMTP server.
type Server struct {
	mu     sync.Mutex
	msgs   []Message
	refuse *smtp.SMTPError
	Host   string
	Port   int
}

// Start runs a server on 127.0.0.1 until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	return s
}

// Sender is a mail sender that talks to this server.
func (s *Server) Sender(from string) *mail.Sender {
	return mail.NewSender(mail.Options{Host: s.Host, Port: s.Port, TLS: "none", From: from, Timeout: 5 * time.Second})
}

// Refuse makes the server answer every message with code and text (0:
// accept again).
func (s *Server) Refuse(code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == 0 {
		s.refuse = nil
		return
	}
	s.refuse = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: text}
}

// Messages returns what was accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s    *Server
	from string
	to   []string
}

func (x *session) AuthPlain(string, string) error              { return nil }
func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.from = from; return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}
func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.refuse != nil {
		return x.s.refuse
	}
	x.s.msgs = append(x.s.msgs, Message{From: x.from, To: x.to, Data: string(b)})
	return nil
}
func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
