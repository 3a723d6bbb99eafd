package billing

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"faktura/billing/archive"
	"faktura/panel/core"
	"faktura/panel/core/mail"
	"faktura/panel/identity"
	"faktura/panel/web"
)

// files registers the downloads of an issued document's files, on the
// pages (the session) and the API (a key): the PDF, the XML in a chosen
// format, and the list of files with their SHA-256.
func (s *area) files(r *web.Router) {
	for _, g := range []*echo.Group{r.Pages.Group("/billing"), r.API} {
		g.GET("/invoices/:id/pdf", s.download(func(echo.Context) (string, error) { return archive.KindPDF, nil }))
		g.GET("/invoices/:id/xml", s.download(xmlKind))
	}
	r.API.GET("/invoices/:id/files", web.Get(web.Perm(identity.PermBillingRead), func(ctx context.Context, c identity.Caller, id int64) (web.List[archive.File], error) {
		fs, err := s.Deps.Archive.Files(ctx, c.Scope, id)
		if fs == nil {
			fs = []archive.File{}
		}
		return web.List[archive.File]{Data: fs}, err
	}))
	r.API.GET("/invoices/:id/deliveries", web.Get(web.Perm(identity.PermBillingRead), func(ctx context.Context, c identity.Caller, id int64) (web.List[mail.Delivery], error) {
		ds, err := s.Deps.Archive.Deliveries(ctx, c.Scope, id)
		if ds == nil {
			ds = []mail.Delivery{}
		}
		return web.List[mail.Delivery]{Data: ds}, err
	}))
	r.API.POST("/invoices/:id/resend", func(c echo.Context) error {
		id, err := web.IDParam(c)
		if err != nil {
			return err
		}
		if err := web.Need(c, identity.PermInvoices); err != nil {
			return err
		}
		if err := s.Deps.Archive.Resend(c.Request().Context(), web.CallerOf(c).Scope, id); err != nil {
			return err
		}
		return c.JSON(http.StatusAccepted, map[string]string{"status": "queued"})
	})
}

// xmlFormats are the values of ?format= and the file each names.
var xmlFormats = map[string]string{"ubl": archive.KindUBL, "cii": archive.KindCII, "xrechnung": archive.KindXRechnung, "peppol": archive.KindPeppol}

// xmlKind is the file ?format= names (cii when none).
func xmlKind(c echo.Context) (string, error) {
	f := c.QueryParam("format")
	if f == "" {
		f = "cii"
	}
	k, ok := xmlFormats[f]
	if !ok {
		return "", core.Invalid("format", "must be ubl, cii, xrechnung or peppol, got %q", f)
	}
	return k, nil
}

// download sends a stored file (the kind the request names), checked
// against its SHA-256, as an attachment named after the document number.
func (s *area) download(kindOf func(echo.Context) (string, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := web.IDParam(c)
		if err != nil {
			return err
		}
		if err := web.Need(c, identity.PermBillingRead); err != nil {
			return err
		}
		kind, err := kindOf(c)
		if err != nil {
			return err
		}
		return s.send(c, id, kind)
	}
}

func (s *area) send(c echo.Context, id int64, kind string) error {
	f, body, err := s.Deps.Archive.Open(c.Request().Context(), web.CallerOf(c).Scope, id, kind)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+f.FileName+`"`)
	h.Set("X-Content-SHA256", f.SHA256)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "private, max-age=0")
	return c.Blob(http.StatusOK, f.ContentType, body)
}
