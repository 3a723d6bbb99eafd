package identity

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2Params tune argon2id. The parameters are stored in each hash, so
// raising them later still verifies old hashes.
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
}

// DefaultArgon2 follows the OWASP recommendation for argon2id (m=64 MiB,
// t=3, p=2) closely enough for a panel that logs in rarely.
var DefaultArgon2 = Argon2Params{MemoryKiB: 64 * 1024, Iterations: 3, Parallelism: 2}

const (
	saltLen = 16
	keyLen  = 32
	// MinPasswordLen and MaxPasswordBytes bound a password.
	MinPasswordLen   = 12
	MaxPasswordBytes = 256
)

// hashPassword returns the PHC string of pw: $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func hashPassword(pw string, p Argon2Params) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Iterations, p.MemoryKiB, p.Parallelism, keyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// verifyPassword reports whether pw matches the PHC string h, in constant
// time for a given hash.
func verifyPassword(pw, h string) bool {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Iterations, &p.Parallelism); err != nil {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, p.Iterations, p.MemoryKiB, p.Parallelism, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// common holds passwords attackers try first; a policy that lets them
// through is no policy.
var common = map[string]bool{
	"123456789012": true, "password1234": true, "passwordpassword": true, "qwertyuiop12": true,
	"iloveyou1234": true, "adminadmin12": true, "administrator": true, "letmein12345": true,
	"welcome12345": true, "changeme1234": true, "qwertyqwerty": true, "111111111111": true,
	"000000000000": true, "abcdefghijkl": true, "abc123abc123": true, "password123!": true,
	"passw0rd1234": true, "1q2w3e4r5t6y": true, "qwerty123456": true, "trustno1trustno1": true,
}

// checkPassword applies the policy: 12 characters at least, 256 bytes at
// most, not a well-known password, and not built from the e-mail address.
// It returns the problem or "".
func checkPassword(pw, email string) string {
	switch {
	case utf8.RuneCountInString(pw) < MinPasswordLen:
		return fmt.Sprintf("must be at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordBytes:
		return fmt.Sprintf("must be at most %d bytes", MaxPasswordBytes)
	case !utf8.ValidString(pw):
		return "must be valid UTF-8 text"
	case common[strings.ToLower(pw)]:
		return "is too common; choose another"
	}
	if local, _, ok := strings.Cut(strings.ToLower(email), "@"); ok && len(local) >= 4 && strings.Contains(strings.ToLower(pw), local) {
		return "must not contain your e-mail address"
	}
	return ""
}
