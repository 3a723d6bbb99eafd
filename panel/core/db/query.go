package db

import (
	"fmt"

	"gorm.io/gorm"

	"faktura/panel/core"
)

// FindPage loads one page of q, newest first: rows with ids below
// p.Before, at most p.Size(). what names the rows in an error.
func FindPage[T any](q *gorm.DB, p core.Page, what string) ([]T, error) {
	if p.Before > 0 {
		q = q.Where("id < ?", p.Before)
	}
	var out []T
	if err := q.Order("id DESC").Limit(p.Size()).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list %s: %w", what, err)
	}
	return out, nil
}

// Cond is one condition of a listing's filter, applied only when set.
type Cond struct {
	sql  string
	args []any
	set  bool
}

// Eq is "column = v" when v is not its zero value (an unset filter field).
func Eq[T comparable](column string, v T) Cond {
	var zero T
	return Cond{sql: column + " = ?", args: []any{v}, set: v != zero}
}

// When is the condition sql with args when set holds.
func When(set bool, sql string, args ...any) Cond { return Cond{sql: sql, args: args, set: set} }

// Filter narrows q by each condition that is set.
func Filter(q *gorm.DB, conds ...Cond) *gorm.DB {
	for _, c := range conds {
		if c.set {
			q = q.Where(c.sql, c.args...)
		}
	}
	return q
}
