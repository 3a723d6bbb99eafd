package billing

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// VIESClient checks EU VAT ids against the VIES REST API
// (POST {base}/check-vat-number). It never runs inside a transaction:
// the profile page and the billing.vies step call it, and the invoice run
// only reads the stored answer, so VIES being down never blocks a run.
type VIESClient struct {
	BaseURL   string        // e.g. https://ec.europa.eu/taxation_customs/vies/rest-api
	Timeout   time.Duration // per attempt (default 10s)
	Attempts  int           // for answers VIES says are temporary (default 2)
	Requester string        // our own VAT id, so VIES returns a consultation number
	HTTP      *http.Client
}

// VIESResult is a VIES verdict, or its absence (VATUnavailable with the
// error code in Message).
type VIESResult struct {
	Status    VATStatus
	Name      string
	Address   string
	RequestID string
	Message   string
}

// retryableVIES are the codes VIES documents as temporary.
var retryableVIES = map[string]bool{
	"SERVICE_UNAVAILABLE": true, "MS_UNAVAILABLE": true, "TIMEOUT": true,
	"GLOBAL_MAX_CONCURRENT_REQ": true, "GLOBAL_MAX_CONCURRENT_REQ_TIME": true,
	"MS_MAX_CONCURRENT_REQ": true, "MS_MAX_CONCURRENT_REQ_TIME": true,
}

// Check asks VIES about vatID (with its prefix, as NormalizeVATID returns
// it). A transport error, a timeout or an error code gives VATUnavailable,
// never an error: callers fall back by their setting.
func (c *VIESClient) Check(ctx context.Context, vatID string) VIESResult {
	return c.CheckAs(ctx, vatID, c.Requester)
}

// CheckAs is Check on behalf of requester (the seller's own VAT id, with
// its prefix): VIES then answers a valid id with a consultation number,
// the seller's proof of the check.
func (c *VIESClient) CheckAs(ctx context.Context, vatID, requester string) VIESResult {
	attempts := cmp.Or(c.Attempts, 2)
	var res VIESResult
	for i := 0; i < attempts; i++ {
		var code string
		res, code = c.once(ctx, vatID, requester)
		if res.Status != VATUnavailable || !retryableVIES[code] || ctx.Err() != nil {
			return res
		}
		select {
		case <-ctx.Done():
			return res
		case <-time.After(time.Duration(i+1) * 200 * time.Millisecond):
		}
	}
	return res
}

type viesRequest struct {
	CountryCode              string `json:"countryCode"`
	VATNumber                string `json:"vatNumber"`
	RequesterMemberStateCode string `json:"requesterMemberStateCode,omitempty"`
	RequesterNumber          string `json:"requesterNumber,omitempty"`
}

type viesResponse struct {
	Valid             *bool  `json:"valid"`
	Name              string `json:"name"`
	Address           string `json:"address"`
	RequestIdentifier string `json:"requestIdentifier"`
	ActionSucceed     *bool  `json:"actionSucceed"`
	ErrorWrappers     []struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	} `json:"errorWrappers"`
}

func (c *VIESClient) once(ctx context.Context, vatID, requester string) (VIESResult, string) {
	if len(vatID) < 3 {
		return VIESResult{Status: VATInvalid, Message: "INVALID_INPUT"}, "INVALID_INPUT"
	}
	req := viesRequest{CountryCode: vatID[:2], VATNumber: vatID[2:]}
	if len(requester) > 2 {
		req.RequesterMemberStateCode, req.RequesterNumber = requester[:2], requester[2:]
	}
	body, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(ctx, cmp.Or(c.Timeout, 10*time.Second))
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+"/check-vat-number", bytes.NewReader(body))
	if err != nil {
		return VIESResult{Status: VATUnavailable, Message: err.Error()}, ""
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return VIESResult{Status: VATUnavailable, Message: "VIES unreachable: " + err.Error()}, "TIMEOUT"
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var r viesResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return VIESResult{Status: VATUnavailable, Message: fmt.Sprintf("VIES answered HTTP %d without JSON", resp.StatusCode)}, "SERVICE_UNAVAILABLE"
	}
	if len(r.ErrorWrappers) > 0 {
		code := r.ErrorWrappers[0].Error
		if code == "INVALID_INPUT" {
			return VIESResult{Status: VATInvalid, Message: code}, code
		}
		return VIESResult{Status: VATUnavailable, Message: code}, code
	}
	if resp.StatusCode != http.StatusOK || r.Valid == nil {
		return VIESResult{Status: VATUnavailable, Message: fmt.Sprintf("VIES answered HTTP %d", resp.StatusCode)}, "SERVICE_UNAVAILABLE"
	}
	res := VIESResult{Status: VATInvalid, Name: dashes(r.Name), Address: dashes(r.Address), RequestID: r.RequestIdentifier}
	if *r.Valid {
		res.Status = VATValid
	}
	return res, ""
}

// dashes turns VIES's "---" (not disclosed) into empty.
func dashes(s string) string {
	if strings.Trim(s, "- ") == "" {
		return ""
	}
	return s
}
