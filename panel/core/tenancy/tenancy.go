// Package tenancy is the one mechanism that scopes queries to a caller's
// tenant. Tenants form a tree (operator -> resellers -> clients, with
// clients directly under the operator too); each tenant's materialised path
// ("/1/4/23/") lets a query keep to a subtree without recursion. Stores
// take a Scope argument and apply it with Tenants or Column; a zero Scope
// matches nothing, so a forgotten scope fails closed.
package tenancy

import (
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Kind is what a tenant is.
type Kind string

// The tenant kinds.
const (
	KindOperator Kind = "operator"
	KindReseller Kind = "reseller"
	KindClient   Kind = "client"
)

// OperatorID is the operator tenant's id; the core schema creates it.
const OperatorID int64 = 1

// Scope is the subtree a caller may see: its own tenant and every tenant
// below it.
type Scope struct {
	TenantID int64
	Kind     Kind
	Path     string
}

// PathOf returns the materialised path of a tenant under parentPath.
func PathOf(parentPath string, id int64) string {
	return fmt.Sprintf("%s%d/", parentPath, id)
}

// Valid reports whether the scope names a tenant; stores refuse others.
func (s Scope) Valid() bool {
	return s.TenantID > 0 && strings.HasPrefix(s.Path, "/") && strings.HasSuffix(s.Path, "/")
}

// like is the LIKE pattern of the subtree; paths hold only digits and
// slashes, so nothing needs escaping.
func (s Scope) like() string {
	if !s.Valid() {
		return "\x00" // matches no path
	}
	return s.Path + "%"
}

// Tenants restricts a query on the tenants table to the scope.
func (s Scope) Tenants(q *gorm.DB) *gorm.DB {
	return q.Where("tenants.path LIKE ?", s.like())
}

// Column restricts a query on a table whose column holds a tenant id to
// rows of tenants in the scope.
func (s Scope) Column(column string) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		return q.Where(column+" IN (SELECT id FROM tenants WHERE path LIKE ?)", s.like())
	}
}

// PathColumn restricts a query on a table that stores the tenant's path
// (the audit log) to the scope.
func (s Scope) PathColumn(column string) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		return q.Where(column+" LIKE ?", s.like())
	}
}

// Ancestors lists the tenant ids on a path, root first ("/1/4/23/" -> 1,
// 4, 23): the tenant itself and every tenant above it.
func Ancestors(path string) []int64 {
	var out []int64
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}
