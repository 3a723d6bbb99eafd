// Package viestest is a fake VIES REST service for tests, following the
// Commission's published contract (POST /check-vat-number and
// /check-vat-test-service, GET /ms/{cc}/vat/{n}, GET /check-status): the
// "valid" body on POST, "isValid"/"userError" on GET, the CommonResponse
// error body with a chosen HTTP status, "---" for undisclosed names, EL
// for Greece, and the test service's canned numbers.
package viestest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Trader is a registered VAT id's disclosed data.
type Trader struct{ Name, Address string }

// Server is the fake. Zero value is not usable: call New.
type Server struct {
	*httptest.Server

	mu          sync.Mutex
	registry    map[string]Trader // "DE136695976" -> data
	down        map[string]string // country -> error code (MS_UNAVAILABLE...)
	errorStatus int               // HTTP status of error bodies (400 or 500)
	delay       time.Duration
	calls       int
	requesters  []string // the requester (prefix and number) of each check, "" when none
}

// Requesters lists the requester of each check so far, in order.
func (s *Server) Requesters() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requesters...)
}

// New starts a fake with the given registered ids (with prefix).
func New(valid map[string]Trader) *Server {
	s := &Server{registry: map[string]Trader{}, down: map[string]string{}, errorStatus: http.StatusInternalServerError}
	for k, v := range valid {
		s.registry[k] = v
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /check-vat-number", s.post(false))
	mux.HandleFunc("POST /check-vat-test-service", s.post(true))
	mux.HandleFunc("GET /ms/{cc}/vat/{n}", s.get)
	mux.HandleFunc("GET /check-status", s.status)
	s.Server = httptest.NewServer(mux)
	return s
}

// Down makes a member state answer code (e.g. MS_UNAVAILABLE); "" restores it.
func (s *Server) Down(country, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if code == "" {
		delete(s.down, country)
		return
	}
	s.down[country] = code
}

// ErrorStatus sets the HTTP status of error bodies.
func (s *Server) ErrorStatus(code int) { s.mu.Lock(); s.errorStatus = code; s.mu.Unlock() }

// Delay makes every answer wait d (for client timeouts).
func (s *Server) Delay(d time.Duration) { s.mu.Lock(); s.delay = d; s.mu.Unlock() }

// Calls counts the check requests served.
func (s *Server) Calls() int { s.mu.Lock(); defer s.mu.Unlock(); return s.calls }

type verdict struct {
	code   string // error code, or "" for a verdict
	valid  bool
	trader Trader
}

var canned = map[string]string{"201": "INVALID_INPUT", "202": "INVALID_REQUESTER_INFO", "300": "SERVICE_UNAVAILABLE",
	"301": "MS_UNAVAILABLE", "302": "TIMEOUT", "400": "VAT_BLOCKED", "401": "IP_BLOCKED", "500": "GLOBAL_MAX_CONCURRENT_REQ",
	"501": "GLOBAL_MAX_CONCURRENT_REQ_TIME", "600": "MS_MAX_CONCURRENT_REQ", "601": "MS_MAX_CONCURRENT_REQ_TIME"}

func (s *Server) decide(cc, n string, test bool) verdict {
	s.mu.Lock()
	s.calls++
	delay, down := s.delay, s.down[cc]
	t, ok := s.registry[cc+n]
	s.mu.Unlock()
	time.Sleep(delay)
	if !memberStates[cc] || n == "" {
		return verdict{code: "INVALID_INPUT"}
	}
	if test {
		switch n {
		case "100":
			return verdict{valid: true, trader: Trader{"TEST TRADER", "TEST ADDRESS"}}
		case "200":
			return verdict{}
		}
		if c, ok := canned[n]; ok {
			return verdict{code: c}
		}
		return verdict{code: "SERVICE_UNAVAILABLE"}
	}
	if down != "" {
		return verdict{code: down}
	}
	return verdict{valid: ok, trader: t}
}

func orDashes(s string) string {
	if s == "" {
		return "---"
	}
	return s
}

func (s *Server) post(test bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct{ CountryCode, VatNumber, RequesterMemberStateCode, RequesterNumber string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			s.fail(w, "INVALID_INPUT")
			return
		}
		s.mu.Lock()
		s.requesters = append(s.requesters, req.RequesterMemberStateCode+req.RequesterNumber)
		s.mu.Unlock()
		v := s.decide(req.CountryCode, req.VatNumber, test)
		if v.code != "" {
			s.fail(w, v.code)
			return
		}
		reqID := ""
		if req.RequesterNumber != "" && v.valid {
			reqID = "WAPIAAAAW" + strings.ToUpper(req.VatNumber)
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"countryCode": req.CountryCode, "vatNumber": req.VatNumber, "requestDate": time.Now().UTC().Format(time.RFC3339Nano),
			"valid": v.valid, "requestIdentifier": reqID, "name": orDashes(v.trader.Name), "address": orDashes(v.trader.Address),
			"traderName": "", "traderNameMatch": "NOT_PROCESSED",
		})
	}
}

func (s *Server) fail(w http.ResponseWriter, code string) {
	s.mu.Lock()
	st := s.errorStatus
	s.mu.Unlock()
	if code == "INVALID_INPUT" {
		st = http.StatusBadRequest
	}
	writeJSON(w, st, map[string]any{"actionSucceed": false, "errorWrappers": []map[string]string{{"error": code}}})
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	cc, n := r.PathValue("cc"), r.PathValue("n")
	v := s.decide(cc, n, false)
	userError := v.code
	if userError == "" {
		userError = map[bool]string{true: "VALID", false: "INVALID"}[v.valid]
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"isValid": v.valid, "requestDate": time.Now().UTC().Format(time.RFC3339Nano), "userError": userError,
		"name": orDashes(v.trader.Name), "address": orDashes(v.trader.Address), "requestIdentifier": "",
		"vatNumber": n, "originalVatNumber": n,
	})
}

var memberStates = func() map[string]bool {
	m := map[string]bool{}
	for _, cc := range viesCountries {
		m[cc] = true
	}
	return m
}()

var viesCountries = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
	"LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI"}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var countries []map[string]string
	for _, cc := range viesCountries {
		a := "Available"
		if s.down[cc] != "" {
			a = "Unavailable"
		}
		countries = append(countries, map[string]string{"countryCode": cc, "availability": a})
	}
	writeJSON(w, http.StatusOK, map[string]any{"vow": map[string]bool{"available": true}, "countries": countries})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
