package usage

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"faktura/panel/core/mail"
	"faktura/panel/core/settings"
	"faktura/panel/core/tenancy"
)

// The quota warnings: a mail to the account's owner when its traffic this
// month or its disk reaches these percentages of the package's quota; 0
// turns one off.
var (
	WarnFirst  = settings.Int("usage.warn_first_percent", 80, 0, 1000).At(settings.LevelPanel, settings.LevelSeller, settings.LevelCustomer)
	WarnSecond = settings.Int("usage.warn_second_percent", 100, 0, 1000).At(settings.LevelPanel, settings.LevelSeller, settings.LevelCustomer)
)

// Templates renders a theme's mail in a language.
type Templates interface {
	Mail(name, lang string, data any) (subject, text, html string, err error)
}

// UseMail sets how quota warnings are sent: the outbox, the theme's
// templates and the panel's address for the link.
func (s *Service) UseMail(o *mail.Outbox, tpl Templates, baseURL string) {
	s.mail, s.tpl, s.baseURL = o, tpl, baseURL
}

// Warn queues a quota warning for each account whose traffic this month
// or whose disk reached a warning percentage of its quota, once per
// account, meter, month and percentage (the mail's key).
func (s *Service) Warn(ctx context.Context) (int, error) {
	if s.mail == nil {
		return 0, nil
	}
	now := s.now()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	var accts []struct {
		ID, SellerID, TenantID int64
		TenantPath, Username   string
		TrafficMB, DiskMB      int64
		Email, Language        string
	}
	err := s.db.Read(ctx).Table("accounts a").Select("a.id, a.seller_id, a.tenant_id, a.tenant_path, a.username, a.traffic_mb, a.disk_mb, t.email, t.language").
		Joins("JOIN tenants t ON t.id = a.tenant_id").Where("a.target <> 'terminated' AND (a.traffic_mb > 0 OR a.disk_mb > 0) AND t.email <> ''").Find(&accts).Error
	if err != nil {
		return 0, fmt.Errorf("accounts with quotas: %w", err)
	}
	sent := 0
	for _, a := range accts {
		r, err := s.Account(ctx, tenancy.Scope{TenantID: a.TenantID, Path: a.TenantPath}, a.ID)
		if err != nil {
			return sent, err
		}
		sc := settings.Scope{Seller: strconv.FormatInt(a.SellerID, 10), Customer: strconv.FormatInt(a.TenantID, 10)}
		var pcts []int
		for _, k := range []settings.Key[int]{WarnFirst, WarnSecond} {
			v, err := settings.Get(ctx, s.settings, k, sc)
			if err != nil {
				return sent, err
			}
			if v.Value > 0 {
				pcts = append(pcts, v.Value)
			}
		}
		for _, m := range []struct {
			code        string
			used, quota int64
		}{{MeterTraffic, r.TrafficBytes, r.TrafficQuota}, {MeterDisk, r.DiskBytes, r.DiskQuota}} {
			// The highest percentage reached, once: a jump past both
			// sends the higher warning only.
			reached := 0
			for _, p := range pcts {
				if m.quota > 0 && m.used*100 >= m.quota*int64(p) && p > reached {
					reached = p
				}
			}
			if reached == 0 {
				continue
			}
			lang := a.Language
			args := map[string]any{"Account": a.Username, "Percent": reached, "Used": FormatBytes(m.used), "Quota": FormatBytes(m.quota)}
			subject, text, html, err := s.tpl.Mail("usage_warning", lang, map[string]any{"Lang": lang, "Meter": m.code, "Args": args,
				"Link": s.baseURL + "/hosting/" + strconv.FormatInt(a.ID, 10)})
			if err != nil {
				return sent, err
			}
			key := fmt.Sprintf("usage-warn:%d:%s:%s:%d", a.ID, m.code, from.Format("2006-01"), reached)
			added, err := s.mail.Enqueue(ctx, mail.Queued{Key: key, Kind: "usage_warning", Tenant: tenancy.Scope{TenantID: a.TenantID, Path: a.TenantPath},
				Message: mail.Message{To: a.Email, Subject: subject, Body: text, HTML: html, Lang: lang}})
			if err != nil {
				return sent, err
			}
			if added {
				sent++
			}
		}
	}
	return sent, nil
}

// FormatBytes writes a byte count as people read it (SI units, as
// quotas are).
func FormatBytes(n int64) string {
	switch {
	case n >= 1_000_000_000:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
