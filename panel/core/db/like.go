package db

import "strings"

// LikeEscape follows a LIKE whose pattern came from Contains or Prefix.
// '!' is the escape character because SQLite has none by default and
// MySQL treats a backslash in a literal as an escape of its own.
const LikeEscape = " ESCAPE '!'"

var likeReplacer = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// Contains returns a LIKE pattern matching values that contain s literally.
func Contains(s string) string { return "%" + likeReplacer.Replace(s) + "%" }

// Prefix returns a LIKE pattern matching values that start with s literally.
func Prefix(s string) string { return likeReplacer.Replace(s) + "%" }

// Suffix returns a LIKE pattern matching values that end with s literally.
func Suffix(s string) string { return "%" + likeReplacer.Replace(s) }
