package provisioning

import (
	"embed"

	"faktura/panel/core/db"
)

//go:embed migrations/sqlite/*.sql migrations/mysql/*.sql
var migrationFiles embed.FS

// Migrations is the provisioning set: servers, packages, reseller accounts,
// hosting accounts, domains (and subdomains) and the driver job queue. It
// follows the core set, which owns the tenants table.
var Migrations = db.MigrationSet{Name: "provisioning", FS: db.SubFS(migrationFiles, "migrations")}
