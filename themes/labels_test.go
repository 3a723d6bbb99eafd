package themes

import "testing"

func TestLabelCells(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"columns",
			`<table><thead><tr><th>Name</th><th class="num">Total <small>(EUR)</small></th></tr></thead><tbody><tr><td><a href="/x">A</a></td><td class="num">1.00</td></tr></tbody></table>`,
			`<table><thead><tr><th>Name</th><th class="num">Total <small>(EUR)</small></th></tr></thead><tbody><tr><td data-label="Name"><a href="/x">A</a></td><td class="num" data-label="Total (EUR)">1.00</td></tr></tbody></table>`},
		{"a spanning cell keeps none, the next counts the span",
			`<table><thead><tr><th>A</th><th>B</th><th>C</th></tr></thead><tr><td colspan="2">x</td><td>y</td></tr><tr><td colspan="3">empty</td></tr></table>`,
			`<table><thead><tr><th>A</th><th>B</th><th>C</th></tr></thead><tr><td colspan="2">x</td><td data-label="C">y</td></tr><tr><td colspan="3">empty</td></tr></table>`},
		{"quotes and entities escaped",
			`<table><thead><tr><th>Bob&#39;s &quot;cut&quot; &amp; more</th></tr></thead><tr><td>1</td></tr></table>`,
			`<table><thead><tr><th>Bob&#39;s &quot;cut&quot; &amp; more</th></tr></thead><tr><td data-label="Bob&#39;s &#34;cut&#34; &amp; more">1</td></tr></table>`},
		{"a label set by hand stays",
			`<table><thead><tr><th>A</th></tr></thead><tr><td data-label="Own">1</td></tr></table>`,
			`<table><thead><tr><th>A</th></tr></thead><tr><td data-label="Own">1</td></tr></table>`},
		{"no header, no labels; an empty heading none",
			`<table><tr><td>1</td></tr></table><table><thead><tr><th></th><th>B</th></tr></thead><tr><td>x</td><td>y</td></tr></table>`,
			`<table><tr><td>1</td></tr></table><table><thead><tr><th></th><th>B</th></tr></thead><tr><td>x</td><td data-label="B">y</td></tr></table>`},
		{"nested tables keep their own headings",
			`<table><thead><tr><th>Outer</th></tr></thead><tr><td><table><thead><tr><th>Inner</th></tr></thead><tr><td>i</td></tr></table></td></tr><tr><td>o</td></tr></table>`,
			`<table><thead><tr><th>Outer</th></tr></thead><tr><td data-label="Outer"><table><thead><tr><th>Inner</th></tr></thead><tr><td data-label="Inner">i</td></tr></table></td></tr><tr><td data-label="Outer">o</td></tr></table>`},
		{"everything else byte for byte",
			"<!doctype html>\n<style>td::before{content:\"<td>\"}</style><textarea><table><td>raw</td></textarea><p>a &amp; b</p>",
			"<!doctype html>\n<style>td::before{content:\"<td>\"}</style><textarea><table><td>raw</td></textarea><p>a &amp; b</p>"},
	}
	for _, tc := range cases {
		if got := string(labelCells([]byte(tc.in))); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
