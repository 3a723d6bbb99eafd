package dbtest

import (
	"strings"
	"testing"
	"time"

	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// Tenant inserts an active tenant of kind below parent (the core's
// tenants table, as identity would write it) and returns its scope. The
// e-mail is made from the name.
func Tenant(tb testing.TB, h *db.Handle, now time.Time, kind tenancy.Kind, parent tenancy.Scope, name string) tenancy.Scope {
	tb.Helper()
	row := map[string]any{"kind": kind, "parent_id": parent.TenantID, "path": "", "name": name, "email": strings.ReplaceAll(strings.ToLower(name), " ", ".") + "@x.test",
		"country": "DE", "language": "en", "status": "active", "created_at": now, "updated_at": now}
	if err := h.W.Table("tenants").Create(row).Error; err != nil {
		tb.Fatal(err)
	}
	var id int64
	h.W.Table("tenants").Select("MAX(id)").Scan(&id)
	path := tenancy.PathOf(parent.Path, id)
	if err := h.W.Table("tenants").Where("id = ?", id).Update("path", path).Error; err != nil {
		tb.Fatal(err)
	}
	return tenancy.Scope{TenantID: id, Kind: kind, Path: path}
}
