package provisioning

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"faktura/panel/core"
	"faktura/panel/core/db"
	"faktura/panel/core/tenancy"
)

// PackageInput creates a hosting package (0 in a limit means no limit).
type PackageInput struct {
	Code             string `json:"code"`
	Name             string `json:"name"`
	DiskMB           int64  `json:"disk_mb"`
	TrafficMB        int64  `json:"traffic_mb"`
	MaxDomains       int    `json:"max_domains"`
	MaxSubdomains    int    `json:"max_subdomains"`
	ClientSubdomains bool   `json:"client_subdomains"`
}

// Validate normalises the input and reports every problem.
func (in *PackageInput) Validate() error {
	var v core.ValidationError
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	in.Name = strings.TrimSpace(in.Name)
	if !codeRE.MatchString(in.Code) {
		v.Add("code", "must be 1-50 lower-case letters, digits, '-' or '_'")
	}
	if in.Name == "" || len(in.Name) > 200 {
		v.Add("name", "must be 1-200 characters")
	}
	for f, n := range map[string]int64{"disk_mb": in.DiskMB, "traffic_mb": in.TrafficMB, "max_domains": int64(in.MaxDomains), "max_subdomains": int64(in.MaxSubdomains)} {
		if n < 0 {
			v.Add(f, "must be 0 (no limit) or more")
		}
	}
	return v.Err()
}

// CreatePackage adds a package owned by the caller's tenant (the operator
// or a reseller).
func (s *Service) CreatePackage(ctx context.Context, scope tenancy.Scope, in PackageInput) (Package, error) {
	if err := in.Validate(); err != nil {
		return Package{}, err
	}
	if scope.Kind != tenancy.KindOperator && scope.Kind != tenancy.KindReseller {
		return Package{}, core.E(core.ErrForbidden, "only the operator and resellers define packages")
	}
	now := s.now()
	p := Package{TenantID: scope.TenantID, Code: in.Code, Name: in.Name, DiskMB: in.DiskMB, TrafficMB: in.TrafficMB,
		MaxDomains: in.MaxDomains, MaxSubdomains: in.MaxSubdomains, ClientSubdomains: in.ClientSubdomains, CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Create(&p).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return core.Invalid("code", "you have a package %s already", in.Code)
			}
			return fmt.Errorf("create package: %w", err)
		}
		return s.record(ctx, "package.create", "package", p.ID, scope.TenantID, scope.Path, nil, in)
	})
	return p, err
}

// Packages lists the packages the caller can use or manage: its own, its
// subtree's and the operator's.
func (s *Service) Packages(ctx context.Context, scope tenancy.Scope) ([]Package, error) {
	var out []Package
	if !scope.Valid() {
		return nil, nil
	}
	err := s.db.Read(ctx).Scopes(scope.Column("tenant_id")).Or("tenant_id IN ?", tenancy.Ancestors(scope.Path)).
		Order("tenant_id, code").Limit(1000).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list packages: %w", err)
	}
	return out, nil
}

// usablePackage loads a package that seller may put on an account: one of
// its own or the operator's.
func (s *Service) usablePackage(ctx context.Context, seller, id int64) (Package, error) {
	var p Package
	err := first(s.db.Conn(ctx).Where("id = ? AND tenant_id IN ?", id, []int64{seller, tenancy.OperatorID}), &p, "package", id)
	if err != nil {
		return p, core.Invalid("package_id", "no such package for this seller")
	}
	return p, nil
}

func (s *Service) packageByID(ctx context.Context, id int64) (Package, error) {
	var p Package
	return p, first(s.db.Conn(ctx).Where("id = ?", id), &p, "package", id)
}

// ServerInput registers a server or changes one.
type ServerInput struct {
	Name     string          `json:"name"`
	Driver   string          `json:"driver"`
	Settings json.RawMessage `json:"settings"`
	Capacity int             `json:"capacity"`
	Enabled  *bool           `json:"enabled"`
}

// validateServer checks the input, and the settings with the driver's
// factory.
func (s *Service) validateServer(in *ServerInput) error {
	var v core.ValidationError
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 100 {
		v.Add("name", "must be 1-100 characters")
	}
	if in.Capacity < 0 {
		v.Add("capacity", "must be 0 (no limit) or more")
	}
	if len(in.Settings) == 0 || string(in.Settings) == "null" {
		in.Settings = json.RawMessage("{}")
	}
	f, ok := factory(in.Driver)
	if !ok {
		v.Addf("driver", "must be one of %s", strings.Join(DriverNames(), ", "))
	} else if _, err := f(in.Settings, s.opt.Env); err != nil {
		if ve, ok := err.(*core.ValidationError); ok {
			for field, problem := range ve.Fields {
				v.Add(field, problem)
			}
		} else {
			v.Add("settings", err.Error())
		}
	}
	return v.Err()
}

// CreateServer registers a server (operator only: the panel checks).
func (s *Service) CreateServer(ctx context.Context, in ServerInput) (Server, error) {
	if err := s.validateServer(&in); err != nil {
		return Server{}, err
	}
	now := s.now()
	srv := Server{Name: in.Name, Driver: in.Driver, Settings: string(in.Settings), Capacity: in.Capacity,
		Enabled: in.Enabled == nil || *in.Enabled, Health: "unknown", CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(ctx context.Context) error {
		if err := s.db.Conn(ctx).Create(&srv).Error; err != nil {
			if db.IsUniqueViolation(err) {
				return core.Invalid("name", "a server named %s exists", in.Name)
			}
			return fmt.Errorf("create server: %w", err)
		}
		return s.record(ctx, "server.create", "server", srv.ID, tenancy.OperatorID, tenancy.PathOf("/", tenancy.OperatorID), nil,
			map[string]any{"name": srv.Name, "driver": srv.Driver, "capacity": srv.Capacity, "enabled": srv.Enabled})
	})
	return srv, err
}

// UpdateServerInput changes a server; absent fields stay as they are. The
// driver of a server never changes.
type UpdateServerInput struct {
	Name     *string         `json:"name"`
	Settings json.RawMessage `json:"settings"`
	Capacity *int            `json:"capacity"`
	Enabled  *bool           `json:"enabled"`
}

// UpdateServer changes a server's name, settings, capacity or state.
func (s *Service) UpdateServer(ctx context.Context, id int64, up UpdateServerInput) (Server, error) {
	var srv Server
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if srv, err = s.GetServer(ctx, id); err != nil {
			return err
		}
		in := ServerInput{Name: srv.Name, Driver: srv.Driver, Settings: json.RawMessage(srv.Settings), Capacity: srv.Capacity, Enabled: up.Enabled}
		if up.Name != nil {
			in.Name = *up.Name
		}
		if len(up.Settings) > 0 {
			in.Settings = up.Settings
		}
		if up.Capacity != nil {
			in.Capacity = *up.Capacity
		}
		if err := s.validateServer(&in); err != nil {
			return err
		}
		before := map[string]any{"name": srv.Name, "capacity": srv.Capacity, "enabled": srv.Enabled}
		srv.Name, srv.Settings, srv.Capacity, srv.UpdatedAt = in.Name, string(in.Settings), in.Capacity, s.now()
		if in.Enabled != nil {
			srv.Enabled = *in.Enabled
		}
		err = s.db.Conn(ctx).Model(&Server{}).Where("id = ?", id).Updates(map[string]any{"name": srv.Name, "settings": srv.Settings,
			"capacity": srv.Capacity, "enabled": srv.Enabled, "updated_at": srv.UpdatedAt}).Error
		if err != nil {
			if db.IsUniqueViolation(err) {
				return core.Invalid("name", "a server named %s exists", in.Name)
			}
			return fmt.Errorf("update server %d: %w", id, err)
		}
		return s.record(ctx, "server.update", "server", srv.ID, tenancy.OperatorID, tenancy.PathOf("/", tenancy.OperatorID), before,
			map[string]any{"name": srv.Name, "capacity": srv.Capacity, "enabled": srv.Enabled})
	})
	return srv, err
}

// DeleteServer removes a server that never hosted anything: one with
// accounts (terminated ones too, which keep their history) or jobs is
// refused; disable it instead.
func (s *Service) DeleteServer(ctx context.Context, id int64) (Server, error) {
	var srv Server
	err := s.tx(ctx, func(ctx context.Context) error {
		var err error
		if srv, err = s.GetServer(ctx, id); err != nil {
			return err
		}
		var accounts, jobs int64
		if err := s.db.Conn(ctx).Model(&Account{}).Where("server_id = ?", id).Count(&accounts).Error; err != nil {
			return err
		}
		if err := s.db.Conn(ctx).Model(&Job{}).Where("server_id = ?", id).Count(&jobs).Error; err != nil {
			return err
		}
		if accounts+jobs > 0 {
			return core.E(core.ErrPrecondition, "server %s has hosted %d accounts: disable it instead of removing it", srv.Name, accounts)
		}
		if err := s.db.Conn(ctx).Where("id = ?", id).Delete(&Server{}).Error; err != nil {
			return fmt.Errorf("remove server %d: %w", id, err)
		}
		return s.record(ctx, "server.delete", "server", srv.ID, tenancy.OperatorID, tenancy.PathOf("/", tenancy.OperatorID),
			map[string]any{"name": srv.Name, "driver": srv.Driver}, nil)
	})
	return srv, err
}

// GetServer loads a server.
func (s *Service) GetServer(ctx context.Context, id int64) (Server, error) {
	var srv Server
	return srv, first(s.db.Read(ctx).Where("id = ?", id), &srv, "server", id)
}

// Servers lists the servers with their live account counts.
func (s *Service) Servers(ctx context.Context) ([]Server, error) {
	return s.serversWithLoad(ctx)
}

func (s *Service) serversWithLoad(ctx context.Context) ([]Server, error) {
	var out []Server
	if err := s.db.Conn(ctx).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list servers: %w", err)
	}
	var counts []struct {
		ServerID int64
		N        int64
	}
	err := s.db.Conn(ctx).Model(&Account{}).Select("server_id, COUNT(*) AS n").
		Where("target <> ? AND state <> ?", StateTerminated, StateFailed).Group("server_id").Scan(&counts).Error
	if err != nil {
		return nil, fmt.Errorf("count accounts per server: %w", err)
	}
	for i := range out {
		for _, c := range counts {
			if c.ServerID == out[i].ID {
				out[i].Accounts = c.N
			}
		}
	}
	return out, nil
}

// TestServer calls the driver's TestConnection (outside any transaction)
// and records the server's health.
func (s *Service) TestServer(ctx context.Context, id int64) (Server, error) {
	srv, err := s.GetServer(ctx, id)
	if err != nil {
		return srv, err
	}
	health, msg := "ok", ""
	d, err := s.Driver(srv)
	if err == nil {
		cctx, cancel := context.WithTimeout(ctx, s.opt.CallTimeout)
		err = d.TestConnection(cctx)
		cancel()
	}
	if err != nil {
		health, msg = "failing", truncate(err.Error())
	}
	now := s.now()
	srv.Health, srv.HealthMessage, srv.HealthAt = health, msg, &now
	// UpdateColumns leaves updated_at alone: health is not a settings change
	// (the cached driver stays).
	err = s.db.Conn(ctx).Model(&Server{}).Where("id = ?", id).
		UpdateColumns(map[string]any{"health": health, "health_message": msg, "health_at": now}).Error
	return srv, err
}

func truncate(msg string) string {
	if len(msg) > 2000 {
		return msg[:2000]
	}
	return msg
}
