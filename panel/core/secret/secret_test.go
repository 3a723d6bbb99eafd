package secret

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	b, err := New(bytes.Repeat([]byte{7}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	s := b.Seal([]byte("client-secret-123"), "payment_gateways:7:paypal")
	if strings.Contains(s, "client-secret") || !strings.HasPrefix(s, "v1:") {
		t.Fatalf("sealed value %q", s)
	}
	if s2 := b.Seal([]byte("client-secret-123"), "payment_gateways:7:paypal"); s2 == s {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if got, err := b.Open(s, "payment_gateways:7:paypal"); err != nil || string(got) != "client-secret-123" {
		t.Errorf("Open = %q, %v", got, err)
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	for name, open := range map[string]func() ([]byte, error){
		"another place": func() ([]byte, error) { return b.Open(s, "payment_gateways:8:paypal") },
		"another key":   func() ([]byte, error) { return other.Open(s, "payment_gateways:7:paypal") },
		"tampered":      func() ([]byte, error) { return b.Open(s[:len(s)-4]+"AAAA", "payment_gateways:7:paypal") },
		"plain text":    func() ([]byte, error) { return b.Open("client-secret-123", "payment_gateways:7:paypal") },
	} {
		if _, err := open(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: error = %v, want ErrOpen", name, err)
		}
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "secret.key")
	a, err := Load("", path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, mode %v", err, st.Mode())
	}
	b, err := Load("", path) // the same key again
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b.Open(a.Seal([]byte("x"), "p"), "p"); err != nil || string(got) != "x" {
		t.Errorf("the key file gave another key: %v", err)
	}
	for _, bad := range []string{"short", "bm90IDMyIGJ5dGVz"} {
		if _, err := Load(bad, path); err == nil || !strings.Contains(err.Error(), "secret.key") {
			t.Errorf("Load(%q) = %v, want an error naming secret.key", bad, err)
		}
	}
	if k, err := Load("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=", ""); err != nil || k == nil {
		t.Errorf("a 32-byte base64 key: %v", err)
	}
	os.WriteFile(path, []byte("garbage"), 0o600)
	if _, err := Load("", path); err == nil || !strings.Contains(err.Error(), "secret.key_file") {
		t.Errorf("a bad key file: %v", err)
	}
}
