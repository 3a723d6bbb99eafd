package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/secret"
	"faktura/panel/core/tenancy"
)

// gatewayRow is a seller's configuration of one gateway.
type gatewayRow struct {
	SellerID  int64
	Gateway   string
	Enabled   bool
	Settings  string // JSON: the fields that are not secret
	Secrets   string // the secret fields as JSON, sealed
	UpdatedAt time.Time
}

func (gatewayRow) TableName() string { return "payment_gateways" }

// UseSecrets sets the key that seals gateway credentials.
func (s *Service) UseSecrets(b *secret.Box) { s.box = b }

// GatewayInput configures a gateway for the caller (a seller). A secret
// field left empty keeps the stored value.
type GatewayInput struct {
	Enabled  bool              `json:"enabled"`
	Settings map[string]string `json:"settings"`
}

// GatewayView is a seller's gateway as the panel shows it: its settings,
// and which secrets are stored (never their values).
type GatewayView struct {
	Gateway    string            `json:"gateway"`
	Enabled    bool              `json:"enabled"`
	Settings   map[string]string `json:"settings"`
	SecretsSet []string          `json:"secrets_set"`
	Fields     []Field           `json:"-"`
}

// Has reports whether secret field name is stored.
func (v GatewayView) Has(name string) bool { return slices.Contains(v.SecretsSet, name) }

func where(seller int64, name string) string {
	return "payment_gateways:" + strconv.FormatInt(seller, 10) + ":" + name
}

// sellerOnly refuses a caller that sells nothing.
func sellerOnly(scope tenancy.Scope) error {
	if !scope.Valid() || scope.Kind == tenancy.KindClient {
		return core.E(core.ErrForbidden, "only a seller has payment gateways")
	}
	return nil
}

// SellerGateways lists every registered gateway with the caller's
// configuration of it.
func (s *Service) SellerGateways(ctx context.Context, scope tenancy.Scope) ([]GatewayView, error) {
	if err := sellerOnly(scope); err != nil {
		return nil, err
	}
	var rows []gatewayRow
	if err := s.db.Read(ctx).Where("seller_id = ?", scope.TenantID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read gateways: %w", err)
	}
	by := map[string]gatewayRow{}
	for _, r := range rows {
		by[r.Gateway] = r
	}
	var out []GatewayView
	for _, name := range Gateways() {
		v, err := s.view(name, by[name])
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (s *Service) view(name string, r gatewayRow) (GatewayView, error) {
	fields, _ := FieldsOf(name)
	v := GatewayView{Gateway: name, Enabled: r.Enabled, Settings: map[string]string{}, Fields: fields, SecretsSet: []string{}}
	if r.Settings != "" {
		if err := json.Unmarshal([]byte(r.Settings), &v.Settings); err != nil {
			return v, fmt.Errorf("gateway %s settings: %w", name, err)
		}
	}
	if r.Secrets != "" {
		sec, err := s.openSecrets(r)
		if err != nil {
			return v, err
		}
		v.SecretsSet = slices.Sorted(maps.Keys(sec))
	}
	return v, nil
}

func (s *Service) openSecrets(r gatewayRow) (map[string]string, error) {
	out := map[string]string{}
	if r.Secrets == "" {
		return out, nil
	}
	if s.box == nil {
		return nil, errors.New("no secret key: gateway credentials cannot be read")
	}
	plain, err := s.box.Open(r.Secrets, where(r.SellerID, r.Gateway))
	if err != nil {
		return nil, fmt.Errorf("gateway %s of seller %d: %w", r.Gateway, r.SellerID, err)
	}
	return out, json.Unmarshal(plain, &out)
}

// ConfigureGateway stores the caller's configuration of gateway name:
// every field checked (unknown ones and missing required ones are field
// errors), secrets sealed, the audit entry naming which secrets changed
// but never their values.
func (s *Service) ConfigureGateway(ctx context.Context, scope tenancy.Scope, name string, in GatewayInput) (GatewayView, error) {
	if err := sellerOnly(scope); err != nil {
		return GatewayView{}, err
	}
	fields, ok := FieldsOf(name)
	if !ok {
		return GatewayView{}, core.E(core.ErrNotFound, "no payment gateway %q (there are: %s)", name, strings.Join(Gateways(), ", "))
	}
	if s.box == nil {
		return GatewayView{}, core.E(core.ErrPrecondition, "no secret key is configured (secret.key or secret.key_file)")
	}
	var v GatewayView
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var old gatewayRow
		if err := s.db.Conn(ctx).Where("seller_id = ? AND gateway = ?", scope.TenantID, name).Limit(1).Find(&old).Error; err != nil {
			return fmt.Errorf("read gateway %s: %w", name, err)
		}
		old.SellerID, old.Gateway = scope.TenantID, name
		secrets, err := s.openSecrets(old)
		if err != nil {
			secrets = map[string]string{} // a value sealed with a lost key is entered again
		}
		plain := map[string]string{}
		var bad core.ValidationError
		known := map[string]bool{}
		var changedSecrets []string
		for _, f := range fields {
			known[f.Name] = true
			val := strings.TrimSpace(in.Settings[f.Name])
			switch {
			case f.Secret && val != "":
				secrets[f.Name] = val
				changedSecrets = append(changedSecrets, f.Name)
			case f.Secret:
			case val != "":
				plain[f.Name] = val
			}
			if f.Required && in.Enabled && (f.Secret && secrets[f.Name] == "" || !f.Secret && plain[f.Name] == "") {
				bad.Add("settings."+f.Name, "is required to enable the gateway")
			}
			if len(val) > 2000 {
				bad.Add("settings."+f.Name, "must be at most 2000 characters")
			}
		}
		for k := range in.Settings {
			if !known[k] {
				bad.Addf("settings."+k, "is not a setting of %s", name)
			}
		}
		if err := bad.Err(); err != nil {
			return err
		}
		settingsJSON, _ := json.Marshal(plain)
		secretsJSON, _ := json.Marshal(secrets)
		row := gatewayRow{SellerID: scope.TenantID, Gateway: name, Enabled: in.Enabled, Settings: string(settingsJSON),
			Secrets: s.box.Seal(secretsJSON, where(scope.TenantID, name)), UpdatedAt: s.now()}
		if err := s.db.Conn(ctx).Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return fmt.Errorf("store gateway %s: %w", name, err)
		}
		if err := s.audit.Record(ctx, audit.Entry{Action: "payment.gateway.configure", ObjectType: "payment_gateway", ObjectID: name,
			TenantID: scope.TenantID, TenantPath: scope.Path,
			After: map[string]any{"enabled": in.Enabled, "settings": plain, "secrets_changed": changedSecrets}}); err != nil {
			return err
		}
		v, err = s.view(name, row)
		return err
	})
	return v, err
}

// gateway opens seller's gateway name when it is enabled.
func (s *Service) gateway(ctx context.Context, seller int64, name string) (Gateway, error) {
	f, ok := factoryOf(name)
	if !ok {
		return nil, core.Invalid("gateway", "no payment gateway %q", name)
	}
	var r gatewayRow
	err := s.db.Read(ctx).Where("seller_id = ? AND gateway = ? AND enabled = ?", seller, name, true).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, core.Invalid("gateway", "the seller does not take payments by %s", name)
	} else if err != nil {
		return nil, fmt.Errorf("read gateway %s: %w", name, err)
	}
	cfg := GatewayConfig{SellerID: seller, Values: map[string]string{}}
	if r.Settings != "" {
		if err := json.Unmarshal([]byte(r.Settings), &cfg.Values); err != nil {
			return nil, fmt.Errorf("gateway %s settings: %w", name, err)
		}
	}
	sec, err := s.openSecrets(r)
	if err != nil {
		return nil, err
	}
	maps.Copy(cfg.Values, sec)
	return f(cfg)
}

// EnabledGateways names the gateways seller takes payments by.
func (s *Service) EnabledGateways(ctx context.Context, seller int64) ([]string, error) {
	var names []string
	err := s.db.Read(ctx).Model(&gatewayRow{}).Where("seller_id = ? AND enabled = ?", seller, true).Order("gateway").Pluck("gateway", &names).Error
	if err != nil {
		return nil, fmt.Errorf("read gateways: %w", err)
	}
	return slices.DeleteFunc(names, func(n string) bool { _, ok := factoryOf(n); return !ok }), nil
}
