// Package core holds the small kernel every module uses: error kinds, the
// clock, and (in subpackages) the database handle, the outbox event bus,
// money and the settings chain. It imports nothing else from the project.
package core

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Error kinds. Domain errors wrap exactly one of them; only the HTTP layer
// maps them to status codes.
var (
	ErrNotFound     = errors.New("not found")
	ErrInvalid      = errors.New("invalid input")
	ErrConflict     = errors.New("conflict")
	ErrForbidden    = errors.New("forbidden")
	ErrPrecondition = errors.New("precondition failed")
)

// Kind returns the error kind err wraps, or nil when it wraps none.
func Kind(err error) error {
	for _, k := range []error{ErrNotFound, ErrInvalid, ErrConflict, ErrForbidden, ErrPrecondition} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// E returns an error of the given kind with a message.
func E(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// ValidationError reports invalid input field by field. It wraps ErrInvalid.
// Field names are the ones the caller used (JSON names, config key paths,
// CLI flags), so the message tells the user exactly what to fix.
type ValidationError struct {
	Fields map[string]string
}

// Check adds problem for field unless it is empty: the form of the
// checkers that answer "" for a good value.
func (v *ValidationError) Check(field, problem string) {
	if problem != "" {
		v.Add(field, problem)
	}
}

// Add records a problem with field; the first problem per field wins.
func (v *ValidationError) Add(field, problem string) {
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	if _, ok := v.Fields[field]; !ok {
		v.Fields[field] = problem
	}
}

// Addf records a formatted problem with field.
func (v *ValidationError) Addf(field, format string, args ...any) {
	v.Add(field, fmt.Sprintf(format, args...))
}

// Err returns v when it holds a problem and nil otherwise.
func (v *ValidationError) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

// Error lists every problem, sorted by field.
func (v *ValidationError) Error() string {
	keys := slices.Sorted(maps.Keys(v.Fields))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + v.Fields[k]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Unwrap makes a ValidationError an ErrInvalid.
func (v *ValidationError) Unwrap() error { return ErrInvalid }

// Invalid returns a ValidationError with one field problem.
func Invalid(field, format string, args ...any) error {
	v := &ValidationError{}
	v.Addf(field, format, args...)
	return v
}
