package identity

import (
	"strings"
	"testing"

	"faktura/panel/core/tenancy"
)

func TestPasswordHashing(t *testing.T) {
	h, err := hashPassword("correct horse battery", Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Errorf("hash %q is not a PHC argon2id string", h)
	}
	h2, _ := hashPassword("correct horse battery", Argon2Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1})
	if h == h2 {
		t.Error("two hashes of one password are equal: no salt")
	}
	cases := []struct {
		pw, hash string
		want     bool
	}{
		{"correct horse battery", h, true},
		{"correct horse batterY", h, false},
		{"", h, false},
		{"correct horse battery", "$argon2i$v=19$m=1024,t=1,p=1$AAAA$AAAA", false},
		{"correct horse battery", "plain", false},
	}
	for _, tc := range cases {
		if got := verifyPassword(tc.pw, tc.hash); got != tc.want {
			t.Errorf("verify(%q, %.20q) = %v, want %v", tc.pw, tc.hash, got, tc.want)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	cases := []struct{ pw, email, want string }{
		{"correct horse battery", "a@b.test", ""},
		{"short", "a@b.test", "at least 12"},
		{"ünïcödé-pässwörd", "a@b.test", ""},
		{strings.Repeat("x", 257), "a@b.test", "at most 256"},
		{"Password1234", "a@b.test", "too common"},
		{"hello-maria.rossi-2026", "maria.rossi@b.test", "e-mail"},
	}
	for _, tc := range cases {
		got := checkPassword(tc.pw, tc.email)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("checkPassword(%.20q) = %q, want %q", tc.pw, got, tc.want)
		}
	}
}

func TestRoles(t *testing.T) {
	cases := []struct {
		kind  tenancy.Kind
		role  Role
		perm  Perm
		allow bool
	}{
		{tenancy.KindOperator, RoleAdmin, PermSecurity, true},
		{tenancy.KindOperator, RoleAuditor, PermAuditRead, true},
		{tenancy.KindOperator, RoleAuditor, PermTenantsWrite, false},
		{tenancy.KindOperator, RoleAuditor, PermKeysWrite, false},
		{tenancy.KindOperator, RoleSupport, PermTenantsWrite, false},
		{tenancy.KindOperator, RoleBilling, PermTenantsWrite, true},
		{tenancy.KindReseller, RoleOwner, PermBrand, true},
		{tenancy.KindReseller, RoleStaff, PermUsersWrite, false},
		{tenancy.KindReseller, RoleAdmin, PermTenantsRead, false},
		{tenancy.KindClient, RoleOwner, PermUsersWrite, true},
		{tenancy.KindClient, RoleOwner, PermTenantsWrite, false},
		{tenancy.KindClient, RoleUser, PermUsersRead, false},
	}
	for _, tc := range cases {
		if got := Allows(tc.kind, tc.role, tc.perm); got != tc.allow {
			t.Errorf("%s %s %s = %v, want %v", tc.kind, tc.role, tc.perm, got, tc.allow)
		}
	}
	// Nobody hands out more than they have.
	if Covers(tenancy.KindOperator, RoleBilling, RoleAdmin) || !Covers(tenancy.KindOperator, RoleAdmin, RoleAuditor) || Covers(tenancy.KindClient, RoleUser, RoleOwner) {
		t.Error("Covers lets a role grant more than it holds")
	}
	if (Caller{}).Can(PermTenantsRead) {
		t.Error("a zero caller holds a permission")
	}
}
