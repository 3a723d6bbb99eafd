package dunning_test

import (
	"encoding/json"
	"fmt"
	"mime"
	netmail "net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"faktura/billing"
	"faktura/billing/dunning"
	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/settings"
	"faktura/provisioning"
	"faktura/provisioning/nginx/nginxtest"
)

// walkSchedule charges a fixed fee at +7 and a bounded percentage at +14.
const walkSchedule = "-7 reminder; +1 reminder; +7 reminder fee 5.00; +14 reminder fee 2% min 10.00 max 50.00; +15 suspend; +60 terminate off"

// TestWalk follows one invoice, with a frozen clock, from its issue
// through every day to 60 days past its due date: the reminders on their
// days (one mail each, over SMTP, in the buyer's language, with the PDF
// and the pay link), the late fees (fixed, percentage with its minimum,
// interest and the flat compensation, outside the scope of VAT),
// suspension on day +15, payment on day +20 and the account back at once,
// one event per transition, and nothing more however often a day runs.
func TestWalk(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		f := newFixture(t, h)
		f.set(dunning.ScheduleKey.Name, settings.LevelPanel, "", walkSchedule)
		f.set(dunning.Compensation.Name, settings.LevelPanel, "", "true")
		f.set(dunning.InterestBP.Name, settings.LevelPanel, "", "1015")
		acct := f.account(f.c, "kunde")
		inv := f.invoice("2026-12-01", f.c)
		if inv.DueDate != "2026-12-15" || inv.TotalMinor != 14280 {
			t.Fatalf("the invoice is due %s for %d, want 2026-12-15 for 142.80", inv.DueDate, inv.TotalMinor)
		}
		seen := len(f.smtp.Messages())
		type want struct {
			subjects []string // subjects of the day's mails, in any order
			state    provisioning.State
		}
		days := map[string]want{
			"2026-12-08": {subjects: []string{"Erinnerung: Rechnung " + *inv.Number + " ist am 15.12.2026 fällig"}},
			"2026-12-16": {subjects: []string{"Zahlungserinnerung: Rechnung " + *inv.Number + " ist überfällig", "Rechnung * von Hosting Operator GmbH"}},
			"2026-12-22": {subjects: []string{"Zahlungserinnerung: Rechnung " + *inv.Number + " ist überfällig", "Rechnung * von Hosting Operator GmbH"}},
			"2026-12-29": {subjects: []string{"Zahlungserinnerung: Rechnung " + *inv.Number + " ist überfällig", "Rechnung * von Hosting Operator GmbH"}},
			"2026-12-30": {subjects: []string{"Dienste gesperrt: Rechnung " + *inv.Number + " ist unbezahlt"}, state: provisioning.StateSuspended},
		}
		for d := (core.Date{Year: 2026, Month: 12, Day: 1}); !billing.Before(billing.AddDays(mustDate(t, inv.DueDate), 60), d); d = billing.AddDays(d, 1) {
			day := d.String()
			if day == "2027-01-04" { // +20: the customer pays
				f.at(day)
				f.payAll(operator, inv, day)
				if a := f.acct(acct.ID); a.State != provisioning.StateActive || a.SuspendReason != "" {
					t.Fatalf("paid on %s, the account is %s (%s), want it back at once", day, a.State, a.SuspendReason)
				}
			}
			f.day(day)
			f.day(day) // a second run the same day does nothing more
			msgs := f.smtp.Messages()[seen:]
			seen += len(msgs)
			w := days[day]
			var got []string
			for _, m := range msgs {
				sub := subject(m.Data)
				if strings.HasPrefix(sub, "Rechnung ") && strings.HasSuffix(sub, " von Hosting Operator GmbH") && !strings.Contains(sub, *inv.Number) {
					sub = "Rechnung * von Hosting Operator GmbH" // a fee invoice's own mail
				}
				got = append(got, sub)
			}
			if fmt.Sprint(slices.Sorted(slices.Values(got))) != fmt.Sprint(slices.Sorted(slices.Values(w.subjects))) {
				t.Fatalf("%s: mails %q, want %q", day, got, w.subjects)
			}
			for _, m := range msgs {
				if m.To[0] != "buchhaltung@kunde.test" || !strings.Contains(m.Data, "Content-Language: de") {
					t.Errorf("%s: a mail to %v not in German", day, m.To)
				}
				if strings.Contains(m.Data, "Dienste gesperrt") || strings.Contains(m.Data, "Zahlungserinnerung") || strings.Contains(m.Data, "Erinnerung:") {
					for _, part := range []string{*inv.Number + ".pdf", "https://panel.test/billing/invoices/" + itoa(inv.ID)} {
						if !strings.Contains(m.Data, part) {
							t.Errorf("%s: the reminder lacks %q", day, part)
						}
					}
				}
			}
			if day == "2026-12-16" || day == "2026-12-22" || day == "2026-12-29" {
				for _, m := range msgs {
					if strings.Contains(m.Data, "Zahlungserinnerung") && (!strings.Contains(m.Data, "Mahngeb=C3=BChr") && !strings.Contains(m.Data, "Mahngebühr")) {
						t.Errorf("%s: the reminder does not name its fee", day)
					}
				}
			}
			if day == "2026-12-16" {
				for _, m := range msgs {
					if strings.Contains(subject(m.Data), "Zahlungserinnerung") && !strings.Contains(m.Data, "30.12.2026") {
						t.Errorf("the +1 reminder does not warn of the suspension on 30.12.2026")
					}
				}
			}
			a := f.acct(acct.ID)
			wantState := provisioning.StateActive
			if day >= "2026-12-30" && day < "2027-01-04" {
				wantState = provisioning.StateSuspended
			}
			if a.State != wantState {
				t.Fatalf("%s: the account is %s, want %s", day, a.State, wantState)
			}
			if wantState == provisioning.StateSuspended && a.SuspendReason != provisioning.ReasonNonpayment {
				t.Fatalf("%s: suspended for %q, want nonpayment", day, a.SuspendReason)
			}
		}
		// The fees: +1 is a day of 10.15 % interest on 142.80 (0.04) and the
		// 40.00 flat compensation (the buyer is a business); +7 is 5.00 and
		// 6 more days of interest (0.24); +14 is 2 % of 142.80 raised to its
		// 10.00 minimum and 7 more days (0.28). All are outside the scope of
		// VAT.
		var fees []billing.Invoice
		f.must(h.W.Where("flags LIKE ?", "%late_fee%").Order("id").Find(&fees).Error)
		if len(fees) != 3 || fees[0].TotalMinor != 4+4000 || fees[1].TotalMinor != 500+24 || fees[2].TotalMinor != 1000+28 {
			t.Fatalf("fee invoices %+v, want 40.04, 5.24 and 10.28", fees)
		}
		var lines []billing.Line
		f.must(h.W.Where("invoice_id = ?", fees[1].ID).Order("position").Find(&lines).Error)
		if len(lines) != 2 || lines[0].Description != "Mahngebühr zu Rechnung "+*inv.Number || lines[1].TaxCategory != billing.CategoryOutside ||
			!strings.Contains(lines[1].Description, "für 6 Tage") {
			t.Fatalf("fee lines %+v", lines)
		}
		f.must(h.W.Where("invoice_id = ?", fees[0].ID).Order("position").Find(&lines).Error)
		if len(lines) != 2 || !strings.Contains(lines[1].Description, "Verzugspauschale") || lines[1].NetMinor != 4000 {
			t.Fatalf("first fee's lines %+v, want a day's interest and the flat compensation", lines)
		}
		if fees[0].TaxMinor != 0 || !strings.Contains(fees[0].Taxes, "Nicht steuerbar") {
			t.Fatalf("the fee invoice is taxed %d with %s; want outside the scope with its note", fees[0].TaxMinor, fees[0].Taxes)
		}
		// One event per transition.
		for name, n := range map[string]int64{"billing.dunning_step": 5, "billing.nonpayment_suspended": 1, "billing.nonpayment_released": 1,
			"provisioning.account_suspended": 1, "provisioning.account_unsuspended": 1} {
			if got := f.events(name); got != n {
				t.Errorf("%d %s events, want %d", got, name, n)
			}
		}
		if n := f.count("audit_log", "action IN ?", []string{"billing.dunning.suspend", "billing.dunning.release"}); n != 2 {
			t.Errorf("%d audit entries for the suspension and the release, want 2", n)
		}
		var rel struct{ Summary string }
		f.must(h.W.Table("audit_log").Select("summary").Where("action = ?", "billing.dunning.release").Take(&rel).Error)
		if !strings.Contains(rel.Summary, fmt.Sprintf(`"invoices":[%d]`, inv.ID)) {
			t.Errorf("the release's audit entry does not name the invoice: %s", rel.Summary)
		}
	})
}

func subject(data string) string {
	m, err := netmail.ReadMessage(strings.NewReader(data))
	if err != nil {
		return ""
	}
	return decodeHeader(m.Header.Get("Subject"))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustDate(t testing.TB, s string) core.Date {
	d, err := core.ParseDate("day", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func decodeHeader(s string) string {
	d, err := new(mime.WordDecoder).DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// TestSuspensionOnNginx: on a real nginx, the unpaid invoice's site
// serves the suspension page from day +15, and its own page again as
// soon as the invoice is paid.
func TestSuspensionOnNginx(t *testing.T) {
	dbtest.Each(t, sets, func(t *testing.T, h *db.Handle) {
		n := nginxtest.Start(t)
		f := newFixture(t, h, func(su *setup) {
			su.provisioning.Env.SuspensionPage = []byte("<h1>Suspended: an invoice is unpaid</h1>\n")
		})
		raw, _ := json.Marshal(n.Settings)
		srv, err := f.hosting.CreateServer(f.ctx(), provisioning.ServerInput{Name: "web-nginx", Driver: "nginx", Settings: raw})
		f.must(err)
		a, err := f.hosting.CreateAccount(f.ctx(), operator, provisioning.CreateAccountInput{TenantID: f.c.TenantID, PackageID: f.pkg.ID,
			ServerID: srv.ID, Username: "kunde", Domain: "kunde.example"})
		f.must(err)
		f.settle()
		f.must(os.WriteFile(filepath.Join(n.Settings.WebRoot, "kunde", "public_html", "index.html"), []byte("<h1>Kunde C online</h1>\n"), 0o644))
		n.WaitFor(t, "kunde.example", 200, "Kunde C online")
		inv := f.invoice("2026-12-01", f.c)
		for i := -7; i <= 14; i++ {
			f.day(dayOf(t, inv, i))
		}
		n.WaitFor(t, "kunde.example", 200, "Kunde C online")
		f.day(dayOf(t, inv, 15))
		if got := f.acct(a.ID); got.State != provisioning.StateSuspended {
			t.Fatalf("on +15 the account is %s", got.State)
		}
		n.WaitFor(t, "kunde.example", 200, "Suspended: an invoice is unpaid")
		f.at(dayOf(t, inv, 16))
		f.payCustomer(operator, f.c, dayOf(t, inv, 16))
		n.WaitFor(t, "kunde.example", 200, "Kunde C online")
		f.day(dayOf(t, inv, 16))
		n.WaitFor(t, "kunde.example", 200, "Kunde C online")
	})
}
