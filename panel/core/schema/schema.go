// Package schema holds the core's tables (outbox, settings, automation run
// history, tenants, the append-only audit log) as numbered, append-only
// migrations for SQLite and MySQL. The operator tenant (id 1) is created here.
package schema

import (
	"embed"

	"faktura/panel/core/db"
)

//go:embed sqlite/*.sql mysql/*.sql
var files embed.FS

// Set is the core migration set; it is applied before every module's.
var Set = db.MigrationSet{Name: "core", FS: files}
