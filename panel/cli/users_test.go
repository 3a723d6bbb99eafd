package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"faktura/panel/core/db/dbtest"
)

// TestUserAndAPIKeyCreate creates the first admin and an API key from the
// command line, and checks that bad input names every problem, exits 2 and
// creates nothing.
func TestUserAndAPIKeyCreate(t *testing.T) {
	for _, b := range dbtest.Backends(t) {
		t.Run(string(b), func(t *testing.T) {
			dir := t.TempDir()
			env := backendEnv(t, b)
			good := filepath.Join(dir, "pw")
			bad := filepath.Join(dir, "weak")
			os.WriteFile(good, []byte("correct horse battery\n"), 0o600)
			os.WriteFile(bad, []byte("short\n"), 0o600)

			r := faktura(t, dir, env, "user", "create", "--email", "not-an-address", "--role", "emperor", "--password-file", bad)
			if r.code != 2 {
				t.Fatalf("bad user: exit %d, want 2: %s", r.code, r.stderr)
			}
			for _, want := range []string{"email: is not a valid e-mail address", "role: is not a role", "password: must be at least 12 characters"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("bad user: stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if r := faktura(t, dir, env, "user", "create", "--email", "a@b.test", "--role", "admin", "--password-file", filepath.Join(dir, "missing")); r.code != 2 || !strings.Contains(r.stderr, "--password-file") {
				t.Errorf("missing password file: %d %s", r.code, r.stderr)
			}
			if r := faktura(t, dir, env, "user", "create", "--email", "a@b.test"); r.code != 2 || !strings.Contains(r.stderr, `"role" not set`) {
				t.Errorf("no role: %d %s", r.code, r.stderr)
			}
			r = faktura(t, dir, env, "user", "create", "--email", "Admin@Example.COM", "--name", "Ada", "--role", "admin", "--password-file", good)
			if r.code != 0 || r.stdout != "created user 1 admin@example.com (admin) in tenant 1\n" {
				t.Fatalf("create admin: %d %q %s", r.code, r.stdout, r.stderr)
			}
			if r := faktura(t, dir, env, "user", "create", "--email", "admin@example.com", "--role", "support", "--password-file", good); r.code != 2 || !strings.Contains(r.stderr, "email: is already in use") {
				t.Errorf("duplicate: %d %s", r.code, r.stderr)
			}
			if r := faktura(t, dir, env, "user", "create", "--email", "owner@example.com", "--role", "owner", "--password-file", good); r.code != 2 || !strings.Contains(r.stderr, "role: must be one of admin, billing, support, auditor for a operator") {
				t.Errorf("reseller role for the operator: %d %s", r.code, r.stderr)
			}

			r = faktura(t, dir, env, "apikey", "create", "--role", "auditor", "--name", "exports")
			if r.code != 0 || !strings.HasPrefix(r.stdout, "fk_") || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stderr, "shown only now") {
				t.Errorf("apikey create: %d %q %s", r.code, r.stdout, r.stderr)
			}
			if r := faktura(t, dir, env, "apikey", "create", "--role", "owner", "--reseller", "99"); r.code != 2 || !strings.Contains(r.stderr, "reseller: no reseller with id 99") {
				t.Errorf("unknown reseller: %d %s", r.code, r.stderr)
			}
			if r := faktura(t, dir, env, "apikey", "create", "--role", "emperor"); r.code != 2 || !strings.Contains(r.stderr, "role: must be one of") {
				t.Errorf("bad key role: %d %s", r.code, r.stderr)
			}
			if r := faktura(t, dir, env, "apikey", "create", "--role", "admin", "--name", ""); r.code != 2 || !strings.Contains(r.stderr, "name: is required") {
				t.Errorf("empty key name: %d %s", r.code, r.stderr)
			}
		})
	}
}
