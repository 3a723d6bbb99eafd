package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"time"

	"gorm.io/gorm/clause"

	"faktura/billing/document/pdf"
)

// maxLogo is the largest logo fetched.
const maxLogo = 1 << 20

// brandLogo is a fetched logo.
type brandLogo struct {
	ID        int64
	TenantID  int64
	URL       string
	SHA256    string `gorm:"column:sha256"`
	Body      []byte
	FetchedAt time.Time
}

func (brandLogo) TableName() string { return "brand_logos" }

// logo is the seller's current logo: the one already fetched from its
// brand's logo address, else fetched now (outside any transaction; a
// PNG or JPEG of at most 1 MiB; from a public address unless
// Options.PrivateLogoHosts). No address, or a fetch that fails, is no
// logo (the failure is logged).
func (s *Service) logo(ctx context.Context, seller int64) (sha string, body []byte) {
	var url string
	s.db.Read(ctx).Table("tenants").Where("id = ?", seller).Pluck("brand_logo_url", &url)
	if url == "" {
		return "", nil
	}
	var l brandLogo
	if err := s.db.Read(ctx).Where("tenant_id = ? AND url = ?", seller, url).Order("id DESC").Limit(1).Find(&l).Error; err == nil && l.ID != 0 {
		return l.SHA256, l.Body
	}
	b, err := s.fetchLogo(ctx, url)
	if err != nil {
		s.opt.Log.Warn("seller logo not fetched; documents go without it", "seller", seller, "url", url, "err", err)
		return "", nil
	}
	sum := sha256.Sum256(b)
	l = brandLogo{TenantID: seller, URL: url, SHA256: hex.EncodeToString(sum[:]), Body: b, FetchedAt: s.now()}
	if err := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&l).Error; err != nil {
		s.opt.Log.Warn("seller logo not kept", "seller", seller, "err", err)
		return "", nil
	}
	return l.SHA256, b
}

// logoBySHA is a logo a document was made with.
func (s *Service) logoBySHA(ctx context.Context, seller int64, sha string) ([]byte, error) {
	if sha == "" {
		return nil, nil
	}
	var l brandLogo
	if err := s.db.Read(ctx).Where("tenant_id = ? AND sha256 = ?", seller, sha).Take(&l).Error; err != nil {
		return nil, fmt.Errorf("the logo %s of seller %d: %w", sha, seller, err)
	}
	return l.Body, nil
}

var errPrivateHost = errors.New("the logo address is not a public host")

func (s *Service) fetchLogo(ctx context.Context, url string) ([]byte, error) {
	if !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://") {
		return nil, fmt.Errorf("not an http(s) address: %q", url)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, _ := net.SplitHostPort(address)
		ip := net.ParseIP(host)
		if !s.opt.PrivateLogoHosts && (ip == nil || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()) {
			return errPrivateHost
		}
		return nil
	}}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: dialer.DialContext, Proxy: nil}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxLogo+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxLogo {
		return nil, fmt.Errorf("the logo is larger than %d bytes", maxLogo)
	}
	if _, ok := pdf.ImageKind(b); !ok {
		return nil, errors.New("the logo is not a PNG or JPEG image")
	}
	return b, nil
}
