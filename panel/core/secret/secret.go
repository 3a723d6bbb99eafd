// Package secret keeps secrets (payment-gateway credentials) encrypted at
// rest: AES-256-GCM with a random nonce per value and the value's place
// ("payment_gateways:7:paypal") as additional data, so a sealed value
// copied to another row does not open. The key comes from the
// environment (FAKTURA_SECRET_KEY) or a key file, never from the
// database.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the key's length in bytes.
const KeySize = 32

const prefix = "v1:"

// Box seals and opens values with one key.
type Box struct{ aead cipher.AEAD }

// New returns a box on a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret key: %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey reads a base64 key (standard or URL alphabet, padded or not).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil {
			if len(k) != KeySize {
				return nil, fmt.Errorf("decodes to %d bytes, want %d", len(k), KeySize)
			}
			return k, nil
		}
	}
	return nil, errors.New("is not base64")
}

// Load returns the box of a base64 key, or, when key is empty, of the
// key in file path, which it creates (mode 0600, a fresh random key) when
// it does not exist yet.
func Load(key, path string) (*Box, error) {
	if key != "" {
		k, err := ParseKey(key)
		if err != nil {
			return nil, fmt.Errorf("secret.key %w", err)
		}
		return New(k)
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k := make([]byte, KeySize)
		if _, err := rand.Read(k); err != nil {
			return nil, fmt.Errorf("make a secret key: %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("secret.key_file %s: %w", path, err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("secret.key_file %s: %w", path, err)
		}
		if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("secret.key_file %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("secret.key_file %s: %w", path, err)
		}
		return New(k)
	} else if err != nil {
		return nil, fmt.Errorf("secret.key_file %s: %w", path, err)
	}
	k, err := ParseKey(string(raw))
	if err != nil {
		return nil, fmt.Errorf("secret.key_file %s %w", path, err)
	}
	return New(k)
}

// Seal encrypts plain for the place named by where.
func (b *Box) Seal(plain []byte, where string) string {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	return prefix + base64.StdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, plain, []byte(where)))
}

// ErrOpen is a value that does not open with this key and place.
var ErrOpen = errors.New("secret: the value does not open with this key (wrong key, or copied from elsewhere)")

// Open decrypts a value Seal made for the same place.
func (b *Box) Open(sealed, where string) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, ErrOpen
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return nil, ErrOpen
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(where))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}
