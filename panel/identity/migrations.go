package identity

import (
	"embed"

	"faktura/panel/core/db"
)

//go:embed migrations/sqlite/*.sql migrations/mysql/*.sql
var migrationFiles embed.FS

// Migrations is the identity module's set: users, recovery codes, password
// resets, sessions, login failures, API keys and idempotency records. It
// follows the core set, which owns the tenants table.
var Migrations = db.MigrationSet{Name: "identity", FS: mustSub(migrationFiles, "migrations")}
