package archive_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"faktura/billing/archive"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
)

func pngOf(c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := range 40 {
		for y := range 20 {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func images(t *testing.T, pdf []byte) int {
	f := filepath.Join(t.TempDir(), "x.pdf")
	os.WriteFile(f, pdf, 0o644)
	out, err := exec.Command("qpdf", "--json=1", "--json-key=objects", f).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(out), `"/Subtype": "/Image"`)
}

// TestSellerLogo: the seller's logo, fetched once from its brand's
// address, is in its PDFs; a document keeps the logo it was made with
// when the seller changes its logo; a logo on a private address is not
// fetched unless allowed.
func TestSellerLogo(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		logo := pngOf(color.RGBA{0x1f, 0x3a, 0x5f, 0xff})
		fetched := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fetched++
			if r.URL.Path == "/big.png" {
				w.Write(bytes.Repeat([]byte{0}, 2<<20))
				return
			}
			w.Write(logo)
		}))
		t.Cleanup(srv.Close)
		f := newFixture(t, h, "")
		f.must(h.W.Exec("UPDATE tenants SET brand_logo_url = ? WHERE id = 1", srv.URL+"/logo.png").Error)

		// Not allowed to fetch from loopback: no logo, the PDF still made.
		first := f.invoice(operator, f.c, "10.00")
		_, body, err := f.arc.Open(f.ctx(), operator, first.ID, archive.KindPDF)
		f.must(err)
		base := images(t, body) // the EPC QR code
		if fetched != 0 {
			t.Errorf("a logo on a private address was fetched")
		}

		arc := archive.New(h, f.clock, f.bill, renderer(t), archive.Options{Log: quiet(), PrivateLogoHosts: true})
		inv := f.invoice(operator, f.c, "20.00")
		_, body, err = arc.Open(f.ctx(), operator, inv.ID, archive.KindPDF)
		f.must(err)
		if n := images(t, body); n != base+1 {
			t.Errorf("the PDF has no logo (%d images, %d without)", n, base)
		}
		second := f.invoice(operator, f.c, "30.00")
		_, _, err = arc.Open(f.ctx(), operator, second.ID, archive.KindPDF)
		f.must(err)
		if fetched != 1 {
			t.Errorf("the logo was fetched %d times for two documents", fetched)
		}
		// A new logo at a new address: new documents use it, old ones
		// keep theirs.
		logo = pngOf(color.RGBA{0xaa, 0, 0, 0xff})
		f.must(h.W.Exec("UPDATE tenants SET brand_logo_url = ? WHERE id = 1", srv.URL+"/logo-2027.png").Error)
		third := f.invoice(operator, f.c, "40.00")
		_, _, err = arc.Open(f.ctx(), operator, third.ID, archive.KindPDF)
		f.must(err)
		for _, id := range []int64{inv.ID, second.ID, third.ID, first.ID} {
			if err := arc.Verify(f.ctx(), id); err != nil {
				t.Errorf("document %d after the logo changed: %v", id, err)
			}
		}
		var shas []string
		h.W.Table("document_files").Where("kind = ? AND invoice_id IN ?", archive.KindPDF, []int64{inv.ID, third.ID}).Order("invoice_id").Pluck("logo_sha256", &shas)
		if len(shas) != 2 || shas[0] == "" || shas[0] == shas[1] {
			t.Errorf("logos recorded: %v", shas)
		}
		// Too large: refused, no logo.
		f.must(h.W.Exec("UPDATE tenants SET brand_logo_url = ? WHERE id = 1", srv.URL+"/big.png").Error)
		big := f.invoice(operator, f.c, "50.00")
		_, body, err = arc.Open(f.ctx(), operator, big.ID, archive.KindPDF)
		f.must(err)
		if n := images(t, body); n != base {
			t.Errorf("a 2 MiB logo was used")
		}
	})
}
