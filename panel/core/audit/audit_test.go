package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"faktura/panel/core"
	"faktura/panel/core/audit"
	"faktura/panel/core/db"
	"faktura/panel/core/db/dbtest"
	"faktura/panel/core/schema"
	"faktura/panel/core/tenancy"
)

// TestAppendOnlyAndScoped: entries carry who, where and what; the table
// refuses UPDATE and DELETE; a scope sees only its subtree; filters apply.
func TestAppendOnlyAndScoped(t *testing.T) {
	dbtest.Each(t, []db.MigrationSet{schema.Set}, func(t *testing.T, h *db.Handle) {
		clock := core.NewFrozenClock(time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC))
		log := audit.New(h, clock)
		ctx := audit.WithActor(context.Background(), audit.Actor{UserID: 7, TenantID: 1, Label: "admin@op.test", IP: "192.0.2.1"})
		entries := []audit.Entry{
			{Action: "tenant.create", ObjectType: "tenant", ObjectID: "4", TenantID: 4, TenantPath: "/1/4/", After: map[string]string{"name": "A"}},
			{Action: "user.update", ObjectType: "user", ObjectID: "9", TenantID: 5, TenantPath: "/1/4/5/", Before: map[string]string{"role": "user"}, After: map[string]string{"role": "owner"}},
			{Action: "tenant.create", ObjectType: "tenant", ObjectID: "6", TenantID: 6, TenantPath: "/1/6/"},
		}
		for _, e := range entries {
			if err := log.Record(ctx, e); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Hour)
		}
		if err := h.W.Exec("UPDATE audit_log SET action = 'x'").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("UPDATE audit_log = %v, want refused as append-only", err)
		}
		if err := h.W.Exec("DELETE FROM audit_log").Error; err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("DELETE FROM audit_log = %v, want refused", err)
		}
		all := tenancy.Scope{TenantID: 1, Kind: tenancy.KindOperator, Path: "/1/"}
		reseller := tenancy.Scope{TenantID: 4, Kind: tenancy.KindReseller, Path: "/1/4/"}
		cases := []struct {
			name  string
			scope tenancy.Scope
			f     audit.Filter
			want  []string
		}{
			{"operator sees all", all, audit.Filter{}, []string{"6", "9", "4"}},
			{"reseller sees its subtree", reseller, audit.Filter{}, []string{"9", "4"}},
			{"action prefix", all, audit.Filter{Action: "tenant."}, []string{"6", "4"}},
			{"wildcards are literal", all, audit.Filter{Action: "%"}, nil},
			{"time window", all, audit.Filter{Since: time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC), Until: time.Date(2026, 11, 22, 10, 30, 0, 0, time.UTC)}, []string{"9"}},
			{"tenant", all, audit.Filter{TenantID: 6}, []string{"6"}},
			{"zero scope sees nothing", tenancy.Scope{}, audit.Filter{}, nil},
		}
		for _, tc := range cases {
			got, err := log.List(context.Background(), tc.scope, tc.f, core.Page{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range got {
				ids = append(ids, r.ObjectID)
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("%s: got %v, want %v", tc.name, ids, tc.want)
			}
		}
		got, _ := log.List(context.Background(), all, audit.Filter{Action: "user."}, core.Page{Limit: 1})
		if len(got) != 1 || got[0].ActorLabel != "admin@op.test" || got[0].IP != "192.0.2.1" || *got[0].ActorUserID != 7 ||
			!strings.Contains(got[0].Summary, `"before":{"role":"user"}`) || !strings.Contains(got[0].Summary, `"after":{"role":"owner"}`) {
			t.Errorf("entry = %+v", got)
		}
	})
}
