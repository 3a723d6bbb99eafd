package web_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/mail"
)

// inbox is an SMTP server on loopback that keeps what it receives.
type inbox struct {
	mu   sync.Mutex
	msgs []string
}

func (in *inbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{in: in}, nil }

type smtpSession struct {
	in *inbox
	to string
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.in.mu.Lock()
	s.in.msgs = append(s.in.msgs, "To-Envelope: "+s.to+"\n"+string(b))
	s.in.mu.Unlock()
	return err
}
func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }

func (in *inbox) wait(t *testing.T, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		in.mu.Lock()
		got := append([]string(nil), in.msgs...)
		in.mu.Unlock()
		if len(got) >= n {
			return got
		}
	}
	t.Fatalf("no mail %d arrived", n)
	return nil
}

func startInbox(t *testing.T) (*inbox, *mail.Sender) {
	in := &inbox{}
	srv := smtp.NewServer(in)
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	port := ln.Addr().(*net.TCPAddr).Port
	return in, mail.NewSender(mail.Options{Host: "127.0.0.1", Port: port, TLS: "none", From: "Panel <panel@op.test>"})
}

// TestPasswordReset mails a reset link over real SMTP, sets a new password
// with it, ends the old sessions, and refuses the link a second time.
// Unknown addresses get the same answer and no mail.
func TestPasswordReset(t *testing.T) {
	h := dbtest.Open(t, dbtest.SQLite, testSets)
	in, sender := startInbox(t)
	w := newWorld(t, h, worldOpts{mail: sender})
	old := w.signIn("owner@a.test")
	b := w.browser()
	if r := b.post("/profile", nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/login") {
		t.Fatalf("signed-out POST = %d %s", r.status, r.location)
	}
	known := b.post("/password/forgot", url.Values{"email": {"owner@a.test"}})
	unknown := b.post("/password/forgot", url.Values{"email": {"ghost@a.test"}})
	if known.status != 200 || unknown.status != 200 || between(known.body, `class="flash" role="status">`, "<") != between(unknown.body, `class="flash" role="status">`, "<") {
		t.Fatalf("known and unknown addresses answer differently: %d / %d", known.status, unknown.status)
	}
	msgs := in.wait(t, 1)
	w.s.Wait()
	if len(in.msgs) != 1 || !strings.Contains(msgs[0], "To-Envelope: owner@a.test") {
		t.Fatalf("mails = %d, want exactly one to owner@a.test", len(in.msgs))
	}
	body := strings.ReplaceAll(strings.ReplaceAll(msgs[0], "=\r\n", ""), "=3D", "=")
	link := between(body, "http://panel.test", "\r\n")
	if !strings.HasPrefix(link, "/password/reset?token=") {
		t.Fatalf("no reset link in the mail:\n%s", msgs[0])
	}
	token, _ := url.ParseQuery(strings.TrimPrefix(link, "/password/reset?"))
	if r := b.get(link); r.status != 200 || !strings.Contains(r.body, `name="token"`) {
		t.Fatalf("reset page = %d", r.status)
	}
	if r := b.post("/password/reset", url.Values{"token": {token.Get("token")}, "password": {"short"}}); r.status != 422 {
		t.Errorf("weak new password = %d, want 422", r.status)
	}
	if r := b.post("/password/reset", url.Values{"token": {token.Get("token")}, "password": {"a brand new secret"}}); r.status != http.StatusSeeOther {
		t.Fatalf("reset = %d %s", r.status, r.body)
	}
	if r := old.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("old session after reset = %d, want signed out", r.status)
	}
	if r := b.post("/password/reset", url.Values{"token": {token.Get("token")}, "password": {"another new secret"}}); r.status != 422 {
		t.Errorf("second use of the link = %d, want 422", r.status)
	}
	nb := w.browser()
	if r := nb.post("/login", url.Values{"email": {"owner@a.test"}, "password": {"a brand new secret"}}); r.status != http.StatusSeeOther {
		t.Errorf("sign in with the new password = %d", r.status)
	}
}
