// Package paypaltest is a PayPal REST API for tests, following PayPal's
// documented behaviour for what the gateway uses: OAuth client
// credentials (POST /v1/oauth2/token), Orders v2 (create with
// PayPal-Request-Id idempotency, get, capture: refused until the payer
// approved, ORDER_ALREADY_CAPTURED after), capture refunds, and
// verify-webhook-signature. Deliveries it signs carry PayPal's
// transmission headers; the signature is an HMAC over PayPal's
// documented input (transmission id|time|webhook id|CRC32 of the body),
// which only this server can check, as only PayPal can check its own.
package paypaltest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Server is a fake PayPal.
type Server struct {
	*httptest.Server
	ClientID, Secret string
	mu               sync.Mutex
	n                int
	orders           map[string]*order
	byRequest        map[string]string // PayPal-Request-Id -> response id
	signKey          []byte
}

type order struct {
	ID, Status, Currency, Value, CustomID, ReferenceID string
	ReturnURL, CancelURL                               string
	Approved                                           bool
	CaptureID, CaptureStatus                           string
	Refunds                                            []string
}

// New starts a server for one REST app.
func New(clientID, secret string) *Server {
	s := &Server{ClientID: clientID, Secret: secret, orders: map[string]*order{}, byRequest: map[string]string{}, signKey: []byte("paypal-test-signing")}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/oauth2/token", s.token)
	mux.HandleFunc("POST /v2/checkout/orders", s.auth(s.createOrder))
	mux.HandleFunc("GET /v2/checkout/orders/{id}", s.auth(s.getOrder))
	mux.HandleFunc("POST /v2/checkout/orders/{id}/capture", s.auth(s.capture))
	mux.HandleFunc("POST /v2/payments/captures/{id}/refund", s.auth(s.refund))
	mux.HandleFunc("POST /v1/notifications/verify-webhook-signature", s.auth(s.verify))
	mux.HandleFunc("GET /checkoutnow", s.approvePage)
	mux.HandleFunc("POST /checkoutnow", s.approvePost)
	s.Server = httptest.NewServer(mux)
	return s
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func issue(w http.ResponseWriter, status int, name, iss string) {
	writeJSON(w, status, map[string]any{"name": name, "message": iss, "debug_id": "test", "details": []map[string]string{{"issue": iss}}})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	id, sec, ok := r.BasicAuth()
	if !ok || id != s.ClientID || sec != s.Secret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Client Authentication failed"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"scope": "https://uri.paypal.com/services/payments/payment", "access_token": "A21-test-token",
		"token_type": "Bearer", "app_id": "APP-TEST", "expires_in": 32400, "nonce": "n"})
}

func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer A21-test-token" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		next(w, r)
	}
}

func (s *Server) next(prefix string) string {
	s.n++
	return fmt.Sprintf("%s%06dTEST", prefix, s.n)
}

func (s *Server) orderJSON(o *order, host string) map[string]any {
	unit := map[string]any{"reference_id": o.ReferenceID, "custom_id": o.CustomID, "amount": map[string]string{"currency_code": o.Currency, "value": o.Value}}
	if o.CaptureID != "" {
		unit["payments"] = map[string]any{"captures": []map[string]any{{"id": o.CaptureID, "status": o.CaptureStatus, "custom_id": o.CustomID,
			"amount": map[string]string{"currency_code": o.Currency, "value": o.Value}}}}
	}
	return map[string]any{"id": o.ID, "status": o.Status, "intent": "CAPTURE", "purchase_units": []any{unit},
		"links": []map[string]string{{"href": host + "/checkoutnow?token=" + o.ID, "rel": "approve", "method": "GET"},
			{"href": host + "/v2/checkout/orders/" + o.ID, "rel": "self", "method": "GET"}}}
}

func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Intent        string `json:"intent"`
		PurchaseUnits []struct {
			ReferenceID string `json:"reference_id"`
			CustomID    string `json:"custom_id"`
			Amount      struct {
				Currency string `json:"currency_code"`
				Value    string `json:"value"`
			} `json:"amount"`
		} `json:"purchase_units"`
		AppContext struct {
			ReturnURL string `json:"return_url"`
			CancelURL string `json:"cancel_url"`
		} `json:"application_context"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Intent != "CAPTURE" || len(in.PurchaseUnits) != 1 || in.PurchaseUnits[0].Amount.Value == "" {
		issue(w, http.StatusBadRequest, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.byRequest["order:"+r.Header.Get("PayPal-Request-Id")]; ok && r.Header.Get("PayPal-Request-Id") != "" {
		writeJSON(w, http.StatusOK, s.orderJSON(s.orders[id], s.URL))
		return
	}
	u := in.PurchaseUnits[0]
	o := &order{ID: s.next("5O"), Status: "CREATED", Currency: u.Amount.Currency, Value: u.Amount.Value, CustomID: u.CustomID, ReferenceID: u.ReferenceID,
		ReturnURL: in.AppContext.ReturnURL, CancelURL: in.AppContext.CancelURL}
	s.orders[o.ID] = o
	if k := r.Header.Get("PayPal-Request-Id"); k != "" {
		s.byRequest["order:"+k] = o.ID
	}
	writeJSON(w, http.StatusCreated, s.orderJSON(o, s.URL))
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[r.PathValue("id")]
	if !ok {
		issue(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
		return
	}
	writeJSON(w, http.StatusOK, s.orderJSON(o, s.URL))
}

// Approve is the payer approving order id on PayPal's page.
func (s *Server) Approve(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := s.orders[id]; ok {
		o.Approved, o.Status = true, "APPROVED"
	}
}

func (s *Server) capture(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[r.PathValue("id")]
	switch {
	case !ok:
		issue(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
		return
	case o.CaptureID != "" && s.byRequest["capture:"+r.Header.Get("PayPal-Request-Id")] == o.ID:
		writeJSON(w, http.StatusCreated, s.orderJSON(o, s.URL)) // the same request again
		return
	case o.CaptureID != "":
		issue(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED")
		return
	case !o.Approved:
		issue(w, http.StatusUnprocessableEntity, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED")
		return
	}
	o.CaptureID, o.CaptureStatus, o.Status = s.next("3C"), "COMPLETED", "COMPLETED"
	if k := r.Header.Get("PayPal-Request-Id"); k != "" {
		s.byRequest["capture:"+k] = o.ID
	}
	writeJSON(w, http.StatusCreated, s.orderJSON(o, s.URL))
}

// Capture captures an approved order as PayPal would for the payer and
// returns its capture id.
func (s *Server) Capture(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o.CaptureID == "" {
		o.CaptureID, o.CaptureStatus, o.Status, o.Approved = s.next("3C"), "COMPLETED", "COMPLETED", true
	}
	return o.CaptureID
}

func (s *Server) refund(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var o *order
	for _, x := range s.orders {
		if x.CaptureID == r.PathValue("id") {
			o = x
		}
	}
	if o == nil {
		issue(w, http.StatusNotFound, "RESOURCE_NOT_FOUND", "INVALID_RESOURCE_ID")
		return
	}
	if id, ok := s.byRequest["refund:"+r.Header.Get("PayPal-Request-Id")]; ok {
		writeJSON(w, http.StatusCreated, map[string]any{"id": id, "status": "COMPLETED"})
		return
	}
	id := s.next("1R")
	o.Refunds = append(o.Refunds, id)
	s.byRequest["refund:"+r.Header.Get("PayPal-Request-Id")] = id
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "status": "COMPLETED"})
}

func (s *Server) mac(id, ts, webhookID string, body []byte) string {
	m := hmac.New(sha256.New, s.signKey)
	fmt.Fprintf(m, "%s|%s|%s|%d", id, ts, webhookID, crc32.ChecksumIEEE(body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	var in struct {
		AuthAlgo, CertURL, TransmissionID, TransmissionSig, TransmissionTime, WebhookID string
		Event                                                                           json.RawMessage `json:"webhook_event"`
	}
	var raw map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		issue(w, http.StatusBadRequest, "INVALID_REQUEST", "MALFORMED_REQUEST_JSON")
		return
	}
	str := func(k string) string {
		var v string
		json.Unmarshal(raw[k], &v)
		return v
	}
	in.TransmissionID, in.TransmissionSig, in.TransmissionTime, in.WebhookID, in.Event =
		str("transmission_id"), str("transmission_sig"), str("transmission_time"), str("webhook_id"), raw["webhook_event"]
	status := "FAILURE"
	if in.TransmissionSig != "" && hmac.Equal([]byte(in.TransmissionSig), []byte(s.mac(in.TransmissionID, in.TransmissionTime, in.WebhookID, in.Event))) {
		status = "SUCCESS"
	}
	writeJSON(w, http.StatusOK, map[string]string{"verification_status": status})
}

// Delivery is a signed webhook delivery.
type Delivery struct {
	Body   []byte
	Header http.Header
}

// Deliver signs an event for webhook id as PayPal would send it.
func (s *Server) Deliver(webhookID string, event map[string]any) Delivery {
	body, _ := json.Marshal(event)
	s.mu.Lock()
	s.n++
	id := fmt.Sprintf("tx-%d", s.n)
	s.mu.Unlock()
	ts := time.Now().UTC().Format(time.RFC3339)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("PAYPAL-TRANSMISSION-ID", id)
	h.Set("PAYPAL-TRANSMISSION-TIME", ts)
	h.Set("PAYPAL-AUTH-ALGO", "SHA256withRSA")
	h.Set("PAYPAL-CERT-URL", "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-TEST")
	h.Set("PAYPAL-TRANSMISSION-SIG", s.mac(id, ts, webhookID, body))
	return Delivery{Body: body, Header: h}
}

// CaptureCompleted is the PAYMENT.CAPTURE.COMPLETED event of order id.
func (s *Server) CaptureCompleted(id string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	return map[string]any{"id": "WH-" + o.CaptureID + "-C", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource_type": "capture",
		"create_time": time.Now().UTC().Format(time.RFC3339),
		"resource": map[string]any{"id": o.CaptureID, "status": "COMPLETED", "custom_id": o.CustomID,
			"amount":             map[string]string{"currency_code": o.Currency, "value": o.Value},
			"supplementary_data": map[string]any{"related_ids": map[string]string{"order_id": o.ID}}}}
}

// CaptureRefunded is the PAYMENT.CAPTURE.REFUNDED event of a refund of
// value of order id's capture.
func (s *Server) CaptureRefunded(id, refundID, value string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	return map[string]any{"id": "WH-" + refundID + "-R", "event_type": "PAYMENT.CAPTURE.REFUNDED", "resource_type": "refund",
		"create_time": time.Now().UTC().Format(time.RFC3339),
		"resource": map[string]any{"id": refundID, "status": "COMPLETED", "custom_id": o.CustomID,
			"amount": map[string]string{"currency_code": o.Currency, "value": value},
			"links":  []map[string]string{{"rel": "up", "href": s.URL + "/v2/payments/captures/" + o.CaptureID, "method": "GET"}}}}
}

// OrderOf finds the order whose approve link is href.
func (s *Server) OrderOf(href string) string {
	return href[strings.LastIndex(href, "=")+1:]
}

// approvePage is PayPal's page where the payer approves an order.
func (s *Server) approvePage(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	o, ok := s.orders[r.URL.Query().Get("token")]
	s.mu.Unlock()
	if !ok {
		http.Error(w, "no such order", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><title>PayPal (test)</title><h1>Pay %s %s with PayPal (test)</h1>
<form method="post" action="/checkoutnow?token=%s"><button id="approve" type="submit">Pay now</button></form>`, o.Value, o.Currency, o.ID)
}

// approvePost approves the order and sends the payer back as PayPal
// does: to the return URL with token and PayerID.
func (s *Server) approvePost(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("token")
	s.Approve(id)
	s.mu.Lock()
	o, ok := s.orders[id]
	s.mu.Unlock()
	if !ok || o.ReturnURL == "" {
		http.Error(w, "no such order", http.StatusNotFound)
		return
	}
	sep := "?"
	if strings.Contains(o.ReturnURL, "?") {
		sep = "&"
	}
	http.Redirect(w, r, o.ReturnURL+sep+"token="+id+"&PayerID=TESTPAYER", http.StatusFound)
}
