package billing

import (
	"context"
	"strconv"

	"faktura/billing/usage"
	"faktura/panel/identity"
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
