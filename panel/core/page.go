package core

// DefaultPageSize is how many rows a listing returns when the caller
// does not say.
const DefaultPageSize = 50

// Page bounds a listing that runs newest first: up to Limit rows with ids
// below Before (0: from the newest). Every module's list methods take one.
type Page struct {
	Before int64
	Limit  int
}

// Size is the limit to apply: Limit, or DefaultPageSize when unset.
func (p Page) Size() int {
	if p.Limit <= 0 {
		return DefaultPageSize
	}
	return p.Limit
}
