package billing

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"faktura/billing/usage"
	"faktura/panel/core"
	"faktura/panel/identity"
	"faktura/panel/web"

	"github.com/labstack/echo/v4"
)

// sourceOf names who sends usage when the batch does not: the API key or
// the user.
func sourceOf(c identity.Caller) string {
	if c.APIKeyID != 0 {
		return "apikey:" + strconv.FormatInt(c.APIKeyID, 10)
	}
	return "user:" + strconv.FormatInt(c.UserID, 10)
}

func (s *area) ingestUsage(ctx context.Context, c identity.Caller, b usage.Batch) (usage.IngestResult, error) {
	return s.Deps.Usage.Ingest(ctx, c.Scope, sourceOf(c), b)
}

func (s *area) meters(ctx context.Context, c identity.Caller) ([]usage.Meter, error) {
	return s.Deps.Usage.Meters(ctx, c.Scope)
}

func (s *area) createMeter(ctx context.Context, c identity.Caller, in usage.MeterInput) (usage.Meter, error) {
	return s.Deps.Usage.CreateMeter(ctx, c.Scope, in)
}

func (s *area) usagePrices(ctx context.Context, c identity.Caller, id int64) ([]usage.Price, error) {
	return s.Deps.Usage.Prices(ctx, c.Scope, id)
}

// usagePricesInput is the body of PUT /products/:id/usage-prices.
type usagePricesInput struct {
	Prices []usage.Price `json:"prices"`
}

func (s *area) setUsagePrices(ctx context.Context, c identity.Caller, id int64, in usagePricesInput) ([]usage.Price, error) {
	return s.Deps.Usage.SetPrices(ctx, c.Scope, id, in.Prices)
}

// usageRows is how many usage price rows the product page offers.
const usageRows = 3

// units are the priced units a usage price row offers: the meter's own,
// or bytes priced per MB or GB.
var units = map[string]int64{"GB": 1_000_000_000, "MB": 1_000_000}

// usageForm fills the product page's usage price rows.
func (s *area) usageForm(c echo.Context, p *web.Page, v *catalogView, productID int64) error {
	ctx, scope := c.Request().Context(), web.CallerOf(c).Scope
	var err error
	if v.Meters, err = s.Deps.Usage.Meters(ctx, scope); err != nil {
		return err
	}
	v.Models, v.UsageRows = usage.Models, usageRows
	prices, err := s.Deps.Usage.Prices(ctx, scope, productID)
	if err != nil && core.Kind(err) != core.ErrNotFound {
		return err
	}
	for i, pr := range prices {
		if i >= usageRows {
			break
		}
		n := strconv.Itoa(i)
		per := max(pr.Per, 1)
		unit := pr.UnitName
		if _, ok := units[unit]; !ok || units[unit] != per {
			unit = ""
		}
		var tiers []string
		for _, t := range pr.Tiers {
			up := ""
			if t.UpTo != 0 {
				up = strconv.FormatInt(t.UpTo, 10)
			}
			tiers = append(tiers, up+":"+t.UnitPrice)
		}
		p.Form["u_meter_"+n], p.Form["u_currency_"+n], p.Form["u_model_"+n], p.Form["u_unit_"+n] = pr.Meter, pr.Currency, pr.Model, unit
		p.Form["u_included_"+n], p.Form["u_price_"+n], p.Form["u_tiers_"+n] = strconv.FormatInt(pr.Included/per, 10), pr.UnitPrice, strings.Join(tiers, " ")
		if pr.Package != 0 {
			p.Form["u_package_"+n], p.Form["u_package_price_"+n] = strconv.FormatInt(pr.Package, 10), pr.PackagePrice
		}
	}
	return nil
}

// usagePricesSave stores the usage price rows of the product form.
func (s *area) usagePricesSave(c echo.Context) error {
	id, err := web.IDParam(c)
	if err != nil {
		return err
	}
	if _, err := s.ownProduct(c, id); err != nil {
		return err
	}
	p, err := s.productPage(c)
	if err != nil {
		return err
	}
	var in []usage.Price
	var v core.ValidationError
	for i := range usageRows {
		n := strconv.Itoa(i)
		f := func(k string) string { return strings.TrimSpace(c.FormValue("u_" + k + "_" + n)) }
		for _, k := range []string{"meter", "currency", "model", "unit", "included", "price", "tiers", "package", "package_price"} {
			p.Form["u_"+k+"_"+n] = f(k)
		}
		if f("meter") == "" {
			continue
		}
		pr := usage.Price{Meter: f("meter"), Currency: f("currency"), Model: f("model"), UnitName: f("unit"), UnitPrice: f("price"), PackagePrice: f("package_price"), Per: 1}
		if per, ok := units[pr.UnitName]; ok {
			pr.Per = per
		}
		if inc := f("included"); inc != "" {
			n, err := strconv.ParseInt(inc, 10, 64)
			if err != nil || n < 0 {
				v.Add("u_included_"+strconv.Itoa(i), "must be a whole number of the unit")
			}
			pr.Included = n * pr.Per
		}
		if pk := f("package"); pk != "" {
			pr.Package, _ = strconv.ParseInt(pk, 10, 64)
		}
		for _, t := range strings.Fields(f("tiers")) {
			up, price, ok := strings.Cut(t, ":")
			var upTo int64
			if up != "" {
				upTo, err = strconv.ParseInt(up, 10, 64)
			}
			if !ok || err != nil {
				v.Add("u_tiers_"+strconv.Itoa(i), "write tiers as up_to:price, the last without a limit, e.g. 10:1.00 50:0.80 :0.50")
				break
			}
			pr.Tiers = append(pr.Tiers, usage.Tier{UpTo: upTo, UnitPrice: price})
		}
		in = append(in, pr)
	}
	if err := v.Err(); err != nil {
		return s.FormError(c, "billing_catalog", p, err)
	}
	if _, err := s.Deps.Usage.SetPrices(c.Request().Context(), web.CallerOf(c).Scope, id, in); err != nil {
		return s.FormError(c, "billing_catalog", p, usageErrors(err))
	}
	web.Flash(c, "saved")
	return c.Redirect(http.StatusSeeOther, "/billing/catalog/"+strconv.FormatInt(id, 10))
}

// usageErrors names a price's problem by its form field: prices.1.model
// is u_model_1.
func usageErrors(err error) error {
	var ve *core.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &core.ValidationError{Fields: map[string]string{}}
	field := map[string]string{"meter": "meter", "currency": "currency", "model": "model", "included": "included", "unit_price": "price",
		"package": "package", "package_price": "package_price", "tiers": "tiers"}
	for k, msg := range ve.Fields {
		parts := strings.SplitN(k, ".", 3)
		if len(parts) == 3 && parts[0] == "prices" {
			name := parts[2]
			if strings.HasPrefix(name, "tiers.") {
				name = "tiers"
			}
			if f, ok := field[name]; ok {
				out.Fields["u_"+f+"_"+parts[1]] = msg
				continue
			}
		}
		out.Fields[k] = msg
	}
	return out
}
