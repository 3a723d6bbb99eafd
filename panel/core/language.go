package core

import "slices"

// Languages are the languages the product speaks, to staff and to
// customers (pages, documents, mail); the first is the fallback.
var Languages = []string{"en", "de", "fr", "it", "da"}

// IsLanguage reports whether code is one of Languages.
func IsLanguage(code string) bool { return slices.Contains(Languages, code) }
