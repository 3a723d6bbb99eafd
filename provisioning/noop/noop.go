// Package noop is a provisioning driver that changes nothing and records
// every call, for demos and for testing the parts around provisioning. Its
// settings may make chosen actions fail, to show what a broken server
// looks like:
//
//	{"label": "demo", "fail": {"create": "disk full"}}
package noop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"faktura/panel/core"
	"faktura/provisioning"
)

func init() { provisioning.RegisterDriver("noop", New) }

// Settings configure a noop server.
type Settings struct {
	Label string            `json:"label"` // groups the recorded calls
	Fail  map[string]string `json:"fail"`  // action -> error message
}

var actions = []string{"test", "create", "suspend", "unsuspend", "terminate", "change_package", "change_password", "add_site", "remove_site", "usage"}

// Call is one recorded driver call.
type Call struct {
	Action   string
	Username string
	Site     string
	Sites    int
}

var (
	mu    sync.Mutex
	calls = map[string][]Call{}
)

// Calls returns the calls recorded under label.
func Calls(label string) []Call {
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(calls[label])
}

// SetFail makes action fail with msg (empty msg: succeed) on every noop
// server labelled label from now on.
func SetFail(label, action, msg string) {
	mu.Lock()
	defer mu.Unlock()
	if failing[label] == nil {
		failing[label] = map[string]string{}
	}
	failing[label][action] = msg
}

var failing = map[string]map[string]string{}

// Driver is a noop server.
type Driver struct{ s Settings }

// New decodes the settings strictly.
func New(raw json.RawMessage, _ provisioning.Env) (provisioning.Driver, error) {
	var s Settings
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, core.Invalid("settings", "%v", err)
	}
	for a := range s.Fail {
		if !slices.Contains(actions, a) {
			return nil, core.Invalid("settings.fail", "has unknown action %q", a)
		}
	}
	return &Driver{s: s}, nil
}

func (d *Driver) do(action string, a provisioning.AccountSpec, site string) error {
	mu.Lock()
	defer mu.Unlock()
	calls[d.s.Label] = append(calls[d.s.Label], Call{Action: action, Username: a.Username, Site: site, Sites: len(a.Sites)})
	msg := d.s.Fail[action]
	if m, ok := failing[d.s.Label][action]; ok {
		msg = m
	}
	if msg != "" {
		return errors.New(msg)
	}
	return nil
}

func (d *Driver) TestConnection(context.Context) error {
	return d.do("test", provisioning.AccountSpec{}, "")
}
func (d *Driver) CreateAccount(_ context.Context, a provisioning.AccountSpec) error {
	return d.do("create", a, "")
}
func (d *Driver) SuspendAccount(_ context.Context, a provisioning.AccountSpec) error {
	return d.do("suspend", a, "")
}
func (d *Driver) UnsuspendAccount(_ context.Context, a provisioning.AccountSpec) error {
	return d.do("unsuspend", a, "")
}
func (d *Driver) TerminateAccount(_ context.Context, a provisioning.AccountSpec) error {
	return d.do("terminate", a, "")
}
func (d *Driver) ChangePackage(_ context.Context, a provisioning.AccountSpec) error {
	return d.do("change_package", a, "")
}
func (d *Driver) ChangePassword(_ context.Context, a provisioning.AccountSpec, _ string) error {
	return d.do("change_password", a, "")
}
func (d *Driver) AddSite(_ context.Context, a provisioning.AccountSpec, s provisioning.SiteSpec) error {
	return d.do("add_site", a, s.Name)
}
func (d *Driver) RemoveSite(_ context.Context, a provisioning.AccountSpec, s provisioning.SiteSpec) error {
	return d.do("remove_site", a, s.Name)
}

// UsageReport reports nothing used.
func (d *Driver) UsageReport(context.Context) ([]provisioning.Usage, error) {
	if err := d.do("usage", provisioning.AccountSpec{}, ""); err != nil {
		return nil, err
	}
	return nil, nil
}

var _ provisioning.Driver = (*Driver)(nil)

// String names the driver in logs.
func (d *Driver) String() string { return fmt.Sprintf("noop(%s)", d.s.Label) }
