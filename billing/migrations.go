package billing

import (
	"embed"

	"faktura/panel/core/db"
)

//go:embed migrations/sqlite/*.sql migrations/mysql/*.sql
var migrationFiles embed.FS

// Migrations is the billing set: billing profiles, the catalog (products,
// prices, coupons), contracts and their pending charges, number series,
// invoices and credit notes with their lines, and VIES answers. It follows
// the core and provisioning sets.
var Migrations = db.MigrationSet{Name: "billing", FS: db.SubFS(migrationFiles, "migrations")}
