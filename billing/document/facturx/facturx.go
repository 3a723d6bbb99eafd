// Package facturx turns an invoice PDF into a Factur-X / ZUGFeRD file:
// the CII XML embedded as factur-x.xml (AFRelationship /Alternative, in
// the catalogue's /AF and /Names), the XMP metadata a PDF/A-3 file and
// Factur-X declare (pdfaid part 3, conformance B; the fx extension
// schema with the document type, file name, version and conformance
// level), an sRGB output intent and a file identifier.
//
// It writes an incremental update: the renderer's bytes stay as they
// are and the new objects, a new catalogue, a cross-reference section
// and a trailer follow them. Everything it adds depends only on its
// inputs, so the same invoice gives the same file.
package facturx

import (
	"bytes"
	"crypto/md5"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// FileName is the attachment's name Factur-X prescribes.
const FileName = "factur-x.xml"

// Meta describes the document for the XMP metadata.
type Meta struct {
	Title       string
	Author      string
	Created     time.Time
	Conformance string // the Factur-X profile: "EN 16931"
	DocType     string // INVOICE (also for credit notes, as Factur-X says)
}

var (
	trailerRE = regexp.MustCompile(`trailer\s*<<\s*/Size (\d+)\s*/Root (\d+) 0 R\s*/Info (\d+) 0 R\s*>>\s*startxref\s*(\d+)\s*%%EOF\s*$`)
	pagesRE   = regexp.MustCompile(`/Pages (\d+) 0 R`)
)

// Embed returns pdf with xml embedded as a Factur-X file. pdf must be a
// classic-xref PDF with a plain catalogue, as gofpdf writes them.
func Embed(pdf, xml []byte, m Meta) ([]byte, error) {
	t := trailerRE.FindSubmatch(pdf)
	if t == nil {
		return nil, errors.New("factur-x: the PDF's trailer is not one this writer can update")
	}
	size, _ := strconv.Atoi(string(t[1]))
	root, info, prev := string(t[2]), string(t[3]), string(t[4])
	cat := objectBody(pdf, root)
	pages := pagesRE.FindSubmatch(cat)
	if pages == nil {
		return nil, errors.New("factur-x: the PDF's catalogue names no pages")
	}
	var out bytes.Buffer
	out.Write(pdf)
	if pdf[len(pdf)-1] != '\n' {
		out.WriteByte('\n')
	}
	offsets := map[int]int{}
	next := size
	obj := func(body func(n int) string) int {
		n := next
		next++
		offsets[n] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", n, body(n))
		return n
	}
	stream := func(dict string, data []byte) func(int) string {
		return func(int) string {
			return fmt.Sprintf("<<%s /Length %d>>\nstream\n%s\nendstream", dict, len(data), data)
		}
	}
	date := pdfDate(m.Created)
	ef := obj(stream(fmt.Sprintf("/Type /EmbeddedFile /Subtype /text#2Fxml /Params <</ModDate %s /Size %d>>", date, len(xml)), xml))
	spec := obj(func(int) string {
		return fmt.Sprintf("<</Type /Filespec /F (%s) /UF (%s) /Desc (Factur-X invoice) /AFRelationship /Alternative /EF <</F %d 0 R /UF %d 0 R>>>>",
			FileName, FileName, ef, ef)
	})
	meta := obj(stream(" /Type /Metadata /Subtype /XML", xmp(m)))
	icc := obj(stream(" /N 3", SRGBProfile()))
	intent := obj(func(int) string {
		return fmt.Sprintf("<</Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1) /DestOutputProfile %d 0 R>>", icc)
	})
	// The catalogue again, under its own number, now with the attachment.
	rootN, _ := strconv.Atoi(root)
	offsets[rootN] = out.Len()
	fmt.Fprintf(&out, "%d 0 obj\n<</Type /Catalog /Version /1.7 /Pages %s 0 R /Metadata %d 0 R /OutputIntents [%d 0 R] /AF [%d 0 R] /Names <</EmbeddedFiles <</Names [(%s) %d 0 R]>>>> /MarkInfo <</Marked false>>>>\nendobj\n",
		rootN, pages[1], meta, intent, spec, FileName, spec)

	xref := out.Len()
	out.WriteString("xref\n")
	nums := []int{rootN}
	for n := size; n < next; n++ {
		nums = append(nums, n)
	}
	// Subsections of consecutive numbers.
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		fmt.Fprintf(&out, "%d %d\n", nums[i], j-i+1)
		for k := i; k <= j; k++ {
			fmt.Fprintf(&out, "%010d 00000 n \n", offsets[nums[k]])
		}
		i = j + 1
	}
	id := fmt.Sprintf("%x", md5.Sum(pdf))
	fmt.Fprintf(&out, "trailer\n<</Size %d /Root %s 0 R /Info %s 0 R /Prev %s /ID [<%s> <%s>]>>\nstartxref\n%d\n%%%%EOF\n", next, root, info, prev, id, id, xref)
	return out.Bytes(), nil
}

// objectBody is the text of object n (between "n 0 obj" and "endobj").
func objectBody(pdf []byte, n string) []byte {
	start := bytes.LastIndex(pdf, []byte("\n"+n+" 0 obj"))
	if start < 0 {
		return nil
	}
	end := bytes.Index(pdf[start:], []byte("endobj"))
	if end < 0 {
		return nil
	}
	return pdf[start : start+end]
}

func pdfDate(t time.Time) string { return "(D:" + t.UTC().Format("20060102150405") + "Z)" }

// xmp is the metadata packet: PDF/A-3B identification, the Factur-X
// extension schema and its values, and the document's title, author and
// dates (as in the PDF's Info dictionary).
func xmp(m Meta) []byte {
	esc := func(s string) string {
		var b strings.Builder
		for _, r := range s {
			switch r {
			case '&':
				b.WriteString("&amp;")
			case '<':
				b.WriteString("&lt;")
			case '>':
				b.WriteString("&gt;")
			default:
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	created := m.Created.UTC().Format("2006-01-02T15:04:05Z")
	return fmt.Appendf(nil, `<?xpacket begin="%s" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
<pdfaid:part>3</pdfaid:part>
<pdfaid:conformance>B</pdfaid:conformance>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">%s</rdf:li></rdf:Alt></dc:title>
<dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
<xmp:CreateDate>%s</xmp:CreateDate>
<xmp:ModifyDate>%s</xmp:ModifyDate>
<xmp:CreatorTool>Faktura</xmp:CreatorTool>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/" xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>fx</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentFileName</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The name of the embedded XML document</pdfaProperty:description></rdf:li>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>DocumentType</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The type of the hybrid document in capital letters, e.g. INVOICE or ORDER</pdfaProperty:description></rdf:li>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>Version</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The actual version of the standard applying to the embedded XML document</pdfaProperty:description></rdf:li>
<rdf:li rdf:parseType="Resource"><pdfaProperty:name>ConformanceLevel</pdfaProperty:name><pdfaProperty:valueType>Text</pdfaProperty:valueType><pdfaProperty:category>external</pdfaProperty:category><pdfaProperty:description>The conformance level of the embedded XML document</pdfaProperty:description></rdf:li>
</rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>
<rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
<fx:DocumentType>%s</fx:DocumentType>
<fx:DocumentFileName>%s</fx:DocumentFileName>
<fx:Version>1.0</fx:Version>
<fx:ConformanceLevel>%s</fx:ConformanceLevel>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`, "\ufeff", esc(m.Title), esc(m.Author), created, created, esc(m.DocType), FileName, esc(m.Conformance))
}
