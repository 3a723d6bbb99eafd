package themes

import (
	"bytes"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// labelCells copies each table's column headings onto its body cells as
// data-label attributes, so a narrow screen that shows each row as a card
// keeps the labels (the stylesheet prints them). A cell that spans
// columns, or already has a label, is left as it is; so is everything
// else, byte for byte.
func labelCells(src []byte) []byte {
	type table struct {
		heads  []string
		inHead bool
		inTH   bool
		th     strings.Builder
		span   int
		col    int
	}
	var stack []*table
	top := func() *table {
		if len(stack) == 0 {
			return nil
		}
		return stack[len(stack)-1]
	}
	out := bytes.NewBuffer(make([]byte, 0, len(src)+len(src)/8))
	z := html.NewTokenizer(bytes.NewReader(src))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := z.Raw()
		switch tt {
		case html.StartTagToken:
			name, _ := z.TagName()
			t := top()
			switch string(name) {
			case "table":
				stack = append(stack, &table{})
			case "thead":
				if t != nil {
					t.inHead, t.heads = true, nil
				}
			case "tr":
				if t != nil {
					t.col = 0
					if t.inHead {
						t.heads = nil
					}
				}
			case "th":
				if t != nil && t.inHead {
					t.inTH, t.span = true, spanOf(z)
					t.th.Reset()
				}
			case "td":
				if t != nil && !t.inHead {
					label, span := "", spanOf(z)
					if span == 1 && t.col < len(t.heads) {
						label = t.heads[t.col]
					}
					t.col += span
					if label != "" && !bytes.Contains(raw, []byte("data-label")) && bytes.HasSuffix(raw, []byte(">")) {
						out.Write(raw[:len(raw)-1])
						out.WriteString(` data-label="` + html.EscapeString(label) + `">`)
						continue
					}
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			t := top()
			if t == nil {
				break
			}
			switch string(name) {
			case "table":
				stack = stack[:len(stack)-1]
			case "thead":
				t.inHead = false
			case "th":
				if t.inTH {
					label := strings.Join(strings.Fields(t.th.String()), " ")
					for range t.span {
						t.heads = append(t.heads, label)
					}
					t.inTH = false
				}
			}
		case html.TextToken:
			if t := top(); t != nil && t.inTH {
				out.Write(raw) // before Text, which unescapes in place
				t.th.Write(z.Text())
				continue
			}
		}
		out.Write(raw)
	}
	return out.Bytes()
}

// spanOf reads the current tag's colspan (1 when absent or odd).
func spanOf(z *html.Tokenizer) int {
	if !bytes.Contains(z.Raw(), []byte("colspan")) {
		return 1
	}
	for {
		k, v, more := z.TagAttr()
		if string(k) == "colspan" {
			if n, err := strconv.Atoi(string(v)); err == nil && n > 0 && n < 100 {
				return n
			}
		}
		if !more {
			return 1
		}
	}
}
