package identity

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core"
)

// IdempotentResponse is a stored answer to a POST with an Idempotency-Key.
type IdempotentResponse struct {
	APIKeyID     int64  `gorm:"primaryKey"`
	IdemKey      string `gorm:"primaryKey"`
	RequestHash  string
	StatusCode   int
	ContentType  string
	ResponseBody string
	CreatedAt    time.Time
}

// TableName is the table's name.
func (IdempotentResponse) TableName() string { return "idempotency_keys" }

// ClaimIdempotencyKey reserves (key, idemKey) for a request with the given
// body hash. It returns the stored response when the same request already
// completed; a conflict when the key came with another body or its first
// request is still running; nothing when the caller should go ahead.
func (s *Service) ClaimIdempotencyKey(ctx context.Context, apiKeyID int64, idemKey, reqHash string) (*IdempotentResponse, error) {
	if idemKey == "" || len(idemKey) > 255 {
		return nil, core.Invalid("Idempotency-Key", "must be 1 to 255 characters")
	}
	row := IdempotentResponse{APIKeyID: apiKeyID, IdemKey: idemKey, RequestHash: reqHash, CreatedAt: s.now()}
	r := s.db.Conn(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row)
	if r.Error != nil {
		return nil, fmt.Errorf("claim idempotency key: %w", r.Error)
	}
	if r.RowsAffected == 1 {
		return nil, nil
	}
	var prev IdempotentResponse
	err := s.db.Conn(ctx).Where("api_key_id = ? AND idem_key = ?", apiKeyID, idemKey).Take(&prev).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return s.ClaimIdempotencyKey(ctx, apiKeyID, idemKey, reqHash) // released meanwhile
	} else if err != nil {
		return nil, fmt.Errorf("load idempotency key: %w", err)
	}
	switch {
	case prev.RequestHash != reqHash:
		return nil, core.E(core.ErrConflict, "Idempotency-Key %q was used with a different request", idemKey)
	case prev.StatusCode == 0:
		return nil, core.E(core.ErrConflict, "a request with Idempotency-Key %q is still in progress", idemKey)
	}
	return &prev, nil
}

// FinishIdempotencyKey stores the response of a claimed request.
func (s *Service) FinishIdempotencyKey(ctx context.Context, apiKeyID int64, idemKey string, status int, contentType, body string) error {
	return s.db.Conn(ctx).Model(&IdempotentResponse{}).Where("api_key_id = ? AND idem_key = ?", apiKeyID, idemKey).
		Updates(map[string]any{"status_code": status, "content_type": contentType, "response_body": body}).Error
}

// ReleaseIdempotencyKey forgets a claim whose request failed on our side,
// so the client may retry with the same key.
func (s *Service) ReleaseIdempotencyKey(ctx context.Context, apiKeyID int64, idemKey string) error {
	return s.db.Conn(ctx).Where("api_key_id = ? AND idem_key = ? AND status_code = 0", apiKeyID, idemKey).Delete(&IdempotentResponse{}).Error
}

// PruneIdempotencyKeys forgets responses older than a day.
func (s *Service) PruneIdempotencyKeys(ctx context.Context) (int64, error) {
	r := s.db.Conn(ctx).Where("created_at < ?", s.now().Add(-24*time.Hour)).Delete(&IdempotentResponse{})
	return r.RowsAffected, r.Error
}
