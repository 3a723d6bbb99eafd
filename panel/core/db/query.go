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
