package provisioning

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Driver carries out provisioning on one server. Its methods follow the
// WHMCS module functions. Every call must be idempotent: the worker
// repeats a call whose result it could not record (a crash, a lost
// connection), so creating an account that exists, or suspending one that
// is suspended, succeeds. Calls run outside any database transaction and
// get the whole desired state of the account in the spec, so a driver can
// converge to it rather than replay a step.
type Driver interface {
	// TestConnection checks that the server answers and the driver can act
	// on it.
	TestConnection(ctx context.Context) error
	CreateAccount(ctx context.Context, a AccountSpec) error
	SuspendAccount(ctx context.Context, a AccountSpec) error
	UnsuspendAccount(ctx context.Context, a AccountSpec) error
	TerminateAccount(ctx context.Context, a AccountSpec) error
	ChangePackage(ctx context.Context, a AccountSpec) error
	ChangePassword(ctx context.Context, a AccountSpec, password string) error
	// AddSite and RemoveSite add or remove one domain or subdomain; the
	// spec's Sites already include (or no longer include) it.
	AddSite(ctx context.Context, a AccountSpec, site SiteSpec) error
	RemoveSite(ctx context.Context, a AccountSpec, site SiteSpec) error
	// UsageReport returns disk and traffic per account on the server.
	UsageReport(ctx context.Context) ([]Usage, error)
}

// UsageCollector is a driver that reads usage incrementally: from the
// cursor it returned last time (nil the first time), the traffic its
// accounts had since and their disk now, with the cursor to go on from.
// Reading again from the same cursor gives the same readings with the same
// keys: the caller stores readings and cursor in one transaction, so a
// crash between reading and storing repeats the reading, never counts it
// twice.
type UsageCollector interface {
	CollectUsage(ctx context.Context, cursor []byte) (UsageReading, error)
}

// UsageReading is what one collection read.
type UsageReading struct {
	Traffic []TrafficReading
	Disk    []Usage // DiskBytes per account now
	Cursor  []byte
}

// TrafficReading is the bytes an account's site sent on one day in one
// stretch of its log; Key names the stretch (site, file, offset, day), so
// the same stretch read twice has the same key.
type TrafficReading struct {
	Username string
	Key      string
	Bytes    int64
	At       time.Time // the stretch's first request that day
}

// AccountSpec is the state a driver call should leave the account in.
type AccountSpec struct {
	ID        int64
	Username  string
	Package   string
	DiskMB    int64
	TrafficMB int64
	Suspended bool
	Reason    Reason
	Sites     []SiteSpec // live domains and subdomains
	// Key identifies the job: remote APIs that take an idempotency key get
	// this one, which stays the same across retries.
	Key string
}

// SiteSpec is one domain or subdomain of an account.
type SiteSpec struct {
	Name   string // ASCII form
	Parent string // the domain of a subdomain; empty for a domain
	Label  string // the subdomain's first label
}

// Usage is one account's consumption as a server reports it.
type Usage struct {
	Username     string
	DiskBytes    int64
	TrafficBytes int64
}

// Env is what the panel gives every driver it builds.
type Env struct {
	// SuspensionPage is the HTML a suspended site serves (rendered from the
	// theme).
	SuspensionPage []byte
}

// Factory builds a driver for one server from its settings (a JSON
// object). It rejects unknown or invalid settings with a validation error
// naming each field ("settings.<key>").
type Factory func(settings json.RawMessage, env Env) (Driver, error)

var (
	driversMu sync.RWMutex
	drivers   = map[string]Factory{}
)

// RegisterDriver makes a driver available under name; drivers call it from
// init. It panics when the name is empty or already taken, like
// database/sql.Register.
func RegisterDriver(name string, f Factory) {
	driversMu.Lock()
	defer driversMu.Unlock()
	if name == "" || f == nil {
		panic("provisioning: RegisterDriver needs a name and a factory")
	}
	if _, dup := drivers[name]; dup {
		panic(fmt.Sprintf("provisioning: driver %q registered twice", name))
	}
	drivers[name] = f
}

// DriverNames lists the registered drivers, sorted.
func DriverNames() []string {
	driversMu.RLock()
	defer driversMu.RUnlock()
	var out []string
	for n := range drivers {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func factory(name string) (Factory, bool) {
	driversMu.RLock()
	defer driversMu.RUnlock()
	f, ok := drivers[name]
	return f, ok
}
