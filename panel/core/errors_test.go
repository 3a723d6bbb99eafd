package core

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestKind(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"plain", errors.New("boom"), nil},
		{"not found", E(ErrNotFound, "contract %d", 7), ErrNotFound},
		{"wrapped conflict", fmt.Errorf("save: %w", E(ErrConflict, "dup")), ErrConflict},
		{"validation", Invalid("email", "is required"), ErrInvalid},
		{"wrapped validation", fmt.Errorf("create user: %w", Invalid("email", "x")), ErrInvalid},
		{"forbidden", E(ErrForbidden, "no"), ErrForbidden},
		{"precondition", E(ErrPrecondition, "finalized"), ErrPrecondition},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Kind(tc.err); got != tc.want {
				t.Errorf("Kind(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestValidationError(t *testing.T) {
	var v ValidationError
	if v.Err() != nil {
		t.Fatal("empty ValidationError.Err() should be nil")
	}
	v.Add("b", "second")
	v.Add("a", "first")
	v.Add("a", "ignored")
	err := v.Err()
	if err == nil {
		t.Fatal("Err() = nil with two problems")
	}
	if got, want := err.Error(), "invalid input: a: first; b: second"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var ve *ValidationError
	if !errors.As(fmt.Errorf("wrap: %w", err), &ve) || ve.Fields["a"] != "first" {
		t.Errorf("errors.As did not recover the field map: %#v", ve)
	}
}

func TestFrozenClock(t *testing.T) {
	start := time.Date(2026, 3, 29, 1, 30, 0, 0, time.FixedZone("CET", 3600))
	c := NewFrozenClock(start)
	if got := c.Now(); !got.Equal(start) || got.Location() != time.UTC {
		t.Fatalf("Now() = %v, want %v in UTC", got, start)
	}
	c.Advance(90 * time.Minute)
	if got, want := c.Now(), start.Add(90*time.Minute); !got.Equal(want) {
		t.Errorf("after Advance Now() = %v, want %v", got, want)
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempts int
		want     time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {6, 30 * time.Second}, {40, 30 * time.Second}} {
		if got := Backoff(time.Second, 30*time.Second, tc.attempts); got != tc.want {
			t.Errorf("Backoff after %d failures = %v, want %v", tc.attempts, got, tc.want)
		}
	}
}
