package billing

import "testing"

// TestMajorString: minor units as a form field shows them.
func TestMajorString(t *testing.T) {
	if got := majorString(-1990, "EUR"); got != "-19.90" {
		t.Errorf("majorString = %q, want -19.90", got)
	}
}
