package themes

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"golang.org/x/net/html"
)

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

// BenchmarkLabelCells measures the labelling pass on a page with a
// 500-row table beside the raw baseline, a bare pass of the same
// tokenizer over the page that changes nothing, and prints the time per
// page and the ratio.
func BenchmarkLabelCells(b *testing.B) {
	var page []byte
	page = append(page, "<!doctype html><html><head><style>td{}</style></head><body><main><table id=\"invoices\"><thead><tr><th>Number</th><th>Customer</th><th>Issued</th><th class=\"num\">Total</th><th>Status</th></tr></thead><tbody>"...)
	for i := range 500 {
		page = append(page, fmt.Sprintf(`<tr><td><a href="/billing/invoices/%d">INV-2026-%06d</a></td><td>Client &amp; Co %d</td><td>22 November 2026</td><td class="num">1.234,56&nbsp;EUR</td><td><span class="badge istatus-finalized">open</span></td></tr>`, i, i, i)...)
	}
	page = append(page, "</tbody></table></main></body></html>"...)
	var out bytes.Buffer
	start := time.Now()
	for range b.N {
		out.Reset()
		z := html.NewTokenizer(bytes.NewReader(page))
		for z.Next() != html.ErrorToken {
			out.Write(z.Raw())
		}
	}
	raw := time.Since(start)
	start = time.Now()
	for range b.N {
		_ = labelCells(page)
	}
	labelled := time.Since(start)
	b.ReportMetric(float64(len(page))/1024, "page-KiB")
	b.ReportMetric(float64(labelled.Microseconds())/float64(b.N), "µs/page")
	b.ReportMetric(float64(raw.Microseconds())/float64(b.N), "raw-µs/page")
	b.ReportMetric(float64(labelled)/float64(max(raw, 1)), "x-raw")
}
