package db

import (
	"errors"

	"github.com/go-sql-driver/mysql"
	"github.com/ncruces/go-sqlite3"
	"gorm.io/gorm"
)

// IsUniqueViolation reports whether err is a unique or primary-key
// violation on either database.
func IsUniqueViolation(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return errors.Is(err, gorm.ErrDuplicatedKey) || errors.Is(err, sqlite3.CONSTRAINT_UNIQUE) || errors.Is(err, sqlite3.CONSTRAINT_PRIMARYKEY)
}
