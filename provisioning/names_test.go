package provisioning

import "testing"

func TestNormalizeDomain(t *testing.T) {
	long := ""
	for range 5 {
		long += "a123456789a123456789a123456789a123456789a123456789a123456789." // 61 characters a label
	}
	cases := []struct {
		in, ascii, display string
		bad                bool
	}{
		{in: "example.com", ascii: "example.com", display: "example.com"},
		{in: " Example.COM. ", ascii: "example.com", display: "example.com"},
		{in: "bücher.de", ascii: "xn--bcher-kva.de", display: "bücher.de"},
		{in: "xn--bcher-kva.de", ascii: "xn--bcher-kva.de", display: "bücher.de"},
		{in: "blåbærgrød.dk", ascii: "xn--blbrgrd-fxak7p.dk", display: "blåbærgrød.dk"},
		{in: "a-b.example.it", ascii: "a-b.example.it", display: "a-b.example.it"},
		{in: "", bad: true},
		{in: "localhost", bad: true},
		{in: "-bad.com", bad: true},
		{in: "bad-.com", bad: true},
		{in: "ex ample.com", bad: true},
		{in: "under_score.com", bad: true},
		{in: "a..com", bad: true},
		{in: "1.2.3.4", bad: true},
		{in: "xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", bad: true}, // 65-char label
		{in: long + "com", bad: true}, // 308 characters
		{in: "ab--cd.com", bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			a, d, problem := NormalizeDomain(tc.in)
			if tc.bad {
				if problem == "" {
					t.Fatalf("NormalizeDomain(%q) = %q, want a problem", tc.in, a)
				}
				return
			}
			if problem != "" || a != tc.ascii || d != tc.display {
				t.Fatalf("NormalizeDomain(%q) = %q, %q, %q; want %q, %q", tc.in, a, d, problem, tc.ascii, tc.display)
			}
		})
	}
}

func TestNormalizeLabelAndUsername(t *testing.T) {
	for in, want := range map[string]string{"blog": "blog", "Shop": "shop", "café": "xn--caf-dma", "a.b": "", "-x": "", "": "", "a_b": ""} {
		got, problem := NormalizeLabel(in)
		if (want == "") != (problem != "") || got != want {
			t.Errorf("NormalizeLabel(%q) = %q, %q; want %q", in, got, problem, want)
		}
	}
	for in, ok := range map[string]bool{"alice": true, "a1": true, "1abc": false, "Alice": false, "a": false, "abcdefghijklmnopq": false, "a-b": false} {
		if got := checkUsername(in) == ""; got != ok {
			t.Errorf("checkUsername(%q) ok = %v, want %v", in, got, ok)
		}
	}
}
