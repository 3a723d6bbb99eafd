package country

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	cases := []struct {
		code string
		want bool
	}{
		{"DE", true}, {"FR", true}, {"IT", true}, {"DK", true}, {"GR", true}, {"US", true},
		{"AX", true}, {"XI", true}, {"XK", true},
		{"ZZ", false}, {"EL", false}, {"EU", false}, {"UK", false}, {"XX", false}, {"AA", false},
		{"de", false}, {"", false}, {"DEU", false}, {"D", false},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			if got := Valid(tc.code); got != tc.want {
				t.Errorf("Valid(%q) = %v, want %v", tc.code, got, tc.want)
			}
		})
	}
}

func TestListSize(t *testing.T) {
	if n := len(strings.Fields(iso3166)); n != 249 {
		t.Errorf("ISO 3166-1 lists 249 codes, the table has %d", n)
	}
	if n := len(codes); n != 251 {
		t.Errorf("%d codes known, want 249 + XI + XK (a duplicate in the table?)", n)
	}
}
