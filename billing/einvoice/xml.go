package einvoice

import (
	"bytes"
	"encoding/xml"
)

// node is an XML element under construction. Elements without text,
// attributes or children are left out, so optional business terms need
// no conditionals at the call site; the order of children is the
// schema's, as written.
type node struct {
	name  string
	attrs [][2]string
	text  string
	kids  []*node
	keep  bool // written even when empty (a schema-required element)
}

// el makes an element with children (nil children are skipped).
func el(name string, kids ...*node) *node {
	n := &node{name: name}
	for _, k := range kids {
		if !k.empty() {
			n.kids = append(n.kids, k)
		}
	}
	return n
}

// tx makes a text element with attributes as name/value pairs.
func tx(name, text string, attrs ...string) *node {
	if text == "" {
		return nil
	}
	n := &node{name: name, text: text}
	for i := 0; i+1 < len(attrs); i += 2 {
		if attrs[i+1] != "" {
			n.attrs = append(n.attrs, [2]string{attrs[i], attrs[i+1]})
		}
	}
	return n
}

// when returns n if ok, else nothing.
func when(ok bool, n *node) *node {
	if ok {
		return n
	}
	return nil
}

func (n *node) empty() bool { return n == nil || (!n.keep && n.text == "" && len(n.kids) == 0) }

// required makes an element the schema wants even when it is empty.
func required(name string) *node { return &node{name: name, keep: true} }

// write serialises the tree, two spaces per level; empty elements vanish.
func (n *node) write(b *bytes.Buffer, depth int) {
	if n.empty() {
		return
	}
	for range depth {
		b.WriteString("  ")
	}
	b.WriteByte('<')
	b.WriteString(n.name)
	for _, a := range n.attrs {
		b.WriteByte(' ')
		b.WriteString(a[0])
		b.WriteString(`="`)
		xml.EscapeText(b, []byte(a[1]))
		b.WriteByte('"')
	}
	b.WriteByte('>')
	if len(n.kids) == 0 {
		xml.EscapeText(b, []byte(n.text))
	} else {
		b.WriteByte('\n')
		for _, k := range n.kids {
			k.write(b, depth+1)
		}
		for range depth {
			b.WriteString("  ")
		}
	}
	b.WriteString("</")
	b.WriteString(n.name)
	b.WriteString(">\n")
}

// with sets attributes on an element (namespace declarations).
func (n *node) with(attrs ...string) *node {
	for i := 0; i+1 < len(attrs); i += 2 {
		n.attrs = append(n.attrs, [2]string{attrs[i], attrs[i+1]})
	}
	return n
}

func render(root *node) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	root.write(&b, 0)
	return b.Bytes()
}
