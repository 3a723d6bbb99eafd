// Package nginx is the local web-server driver: each hosting account gets
// a document root, each of its domains and subdomains a server block with
// its own access log (whose format records the bytes sent, for traffic
// metering), and a suspended account's sites serve the theme's suspension
// page. Every change is checked with `nginx -t` before nginx reloads; when
// the check or the reload fails, the previous files are put back, so the
// configuration that was serving keeps serving.
//
// Every path is a setting, so a test can run nginx as a plain process
// under a temporary prefix on a loopback port.
package nginx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"faktura/panel/core"
	"faktura/provisioning"
)

func init() { provisioning.RegisterDriver("nginx", New) }

// Settings configure one nginx server. The main configuration (Conf) must
// include SitesDir/*.conf inside its http block.
type Settings struct {
	Binary   string `json:"binary"`    // the nginx executable
	Prefix   string `json:"prefix"`    // nginx -p; empty for the compiled-in prefix
	Conf     string `json:"conf"`      // nginx -c
	SitesDir string `json:"sites_dir"` // where server blocks go
	WebRoot  string `json:"web_root"`  // <web_root>/<user>/public_html
	LogDir   string `json:"log_dir"`   // <log_dir>/<site>.access.log
	Listen   string `json:"listen"`    // listen directive value, e.g. "80" or "127.0.0.1:8080"
	Reload   *bool  `json:"reload"`    // run nginx -s reload after a change (default true)
}

// Defaults are a Debian nginx's paths.
var Defaults = Settings{
	Binary: "/usr/sbin/nginx", Conf: "/etc/nginx/nginx.conf", SitesDir: "/etc/nginx/conf.d/faktura",
	WebRoot: "/var/www/faktura", LogDir: "/var/log/nginx/faktura", Listen: "80",
}

var (
	nameRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)
	userRE   = regexp.MustCompile(`^[a-z][a-z0-9]{1,31}$`)
	listenRE = regexp.MustCompile(`^([0-9.]+:|\[[0-9a-f:]+\]:)?[0-9]{1,5}$`)
)

// Driver manages one nginx.
type Driver struct {
	s        Settings
	page     []byte
	mu       sync.Mutex // one change at a time: files, then nginx -t, then reload
	suspRoot string
}

// New decodes and checks the settings.
func New(raw json.RawMessage, env provisioning.Env) (provisioning.Driver, error) {
	s := Defaults
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, core.Invalid("settings", "%v", err)
	}
	var v core.ValidationError
	for field, p := range map[string]string{"binary": s.Binary, "conf": s.Conf, "sites_dir": s.SitesDir, "web_root": s.WebRoot, "log_dir": s.LogDir} {
		if !filepath.IsAbs(p) {
			v.Addf("settings."+field, "must be an absolute path")
		}
	}
	if s.Prefix != "" && !filepath.IsAbs(s.Prefix) {
		v.Add("settings.prefix", "must be an absolute path or empty")
	}
	if !listenRE.MatchString(s.Listen) {
		v.Add("settings.listen", "must be a port, or address:port")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	page := env.SuspensionPage
	if len(page) == 0 {
		page = []byte("<!doctype html><title>Account suspended</title><h1>This account is suspended</h1>\n")
	}
	return &Driver{s: s, page: page, suspRoot: filepath.Join(s.WebRoot, ".suspended")}, nil
}

var _ provisioning.Driver = (*Driver)(nil)

// nginx runs the binary with the prefix and configuration and returns its
// combined output with the error.
func (d *Driver) nginx(ctx context.Context, args ...string) error {
	full := []string{}
	if d.s.Prefix != "" {
		full = append(full, "-p", d.s.Prefix)
	}
	full = append(full, "-c", d.s.Conf)
	full = append(full, args...)
	out, err := exec.CommandContext(ctx, d.s.Binary, full...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("nginx %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// TestConnection checks, creating nothing outside the directories it
// checks: the binary is an executable, the directories exist and take a
// file, nginx is running (its pid file names a live process) and the
// configuration passes nginx -t. It reports every problem it finds.
func (d *Driver) TestConnection(ctx context.Context) error {
	var problems []string
	if fi, err := os.Stat(d.s.Binary); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		problems = append(problems, fmt.Sprintf("binary %s is not an executable file", d.s.Binary))
	}
	for _, dir := range []struct{ name, path string }{{"sites_dir", d.s.SitesDir}, {"web_root", d.s.WebRoot}, {"log_dir", d.s.LogDir}} {
		if err := writable(dir.path); err != nil {
			problems = append(problems, fmt.Sprintf("%s %s: %v", dir.name, dir.path, err))
		}
	}
	if len(problems) == 0 {
		if err := d.running(ctx); err != nil {
			problems = append(problems, err.Error())
		} else if err := d.nginx(ctx, "-t", "-q"); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// writable checks that dir is a directory a file can be written to,
// with a file it removes at once.
func writable(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return errors.New("does not exist")
	}
	if !fi.IsDir() {
		return errors.New("is not a directory")
	}
	f, err := os.CreateTemp(dir, ".faktura-test-*")
	if err != nil {
		return errors.New("is not writable")
	}
	f.Close()
	return os.Remove(f.Name())
}

var (
	pidDirective = regexp.MustCompile(`(?m)^\s*pid\s+([^;\s]+)\s*;`)
	pidPathFlag  = regexp.MustCompile(`--pid-path=(\S+)`)
	prefixFlag   = regexp.MustCompile(`--prefix=(\S+)`)
)

// running checks that the nginx master is up: the pid file (the main
// configuration's pid directive, else the compiled-in path) names a live
// process.
func (d *Driver) running(ctx context.Context) error {
	conf, err := os.ReadFile(d.s.Conf)
	if err != nil {
		return fmt.Errorf("conf %s: %v", d.s.Conf, err)
	}
	path, prefix := "", d.s.Prefix
	if m := pidDirective.FindSubmatch(conf); m != nil {
		path = string(m[1])
	}
	if path == "" || (!filepath.IsAbs(path) && prefix == "") {
		out, _ := exec.CommandContext(ctx, d.s.Binary, "-V").CombinedOutput()
		if m := pidPathFlag.FindSubmatch(out); path == "" && m != nil {
			path = string(m[1])
		}
		if m := prefixFlag.FindSubmatch(out); prefix == "" && m != nil {
			prefix = string(m[1])
		}
	}
	if path == "" {
		return errors.New("nginx names no pid file: cannot tell whether it is running")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(prefix, path)
	}
	raw, err := os.ReadFile(path)
	pid, perr := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || perr != nil || pid <= 0 {
		return fmt.Errorf("nginx is not running (no pid in %s)", path)
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return fmt.Errorf("nginx is not running (pid %d from %s is gone)", pid, path)
	}
	return nil
}

func (d *Driver) CreateAccount(ctx context.Context, a provisioning.AccountSpec) error {
	return d.converge(ctx, a, false)
}
func (d *Driver) SuspendAccount(ctx context.Context, a provisioning.AccountSpec) error {
	return d.converge(ctx, a, false)
}
func (d *Driver) UnsuspendAccount(ctx context.Context, a provisioning.AccountSpec) error {
	return d.converge(ctx, a, false)
}
func (d *Driver) ChangePackage(ctx context.Context, a provisioning.AccountSpec) error {
	return d.converge(ctx, a, false)
}
func (d *Driver) AddSite(ctx context.Context, a provisioning.AccountSpec, _ provisioning.SiteSpec) error {
	return d.converge(ctx, a, false)
}
func (d *Driver) RemoveSite(ctx context.Context, a provisioning.AccountSpec, _ provisioning.SiteSpec) error {
	return d.converge(ctx, a, false)
}

// TerminateAccount removes the account's server blocks and, once nginx
// has reloaded without them, its files. Its access logs stay for the last
// traffic count.
func (d *Driver) TerminateAccount(ctx context.Context, a provisioning.AccountSpec) error {
	return d.converge(ctx, a, true)
}

// ChangePassword has nothing to do: this driver serves files and keeps no
// system passwords (SFTP users come with a system-user driver).
func (d *Driver) ChangePassword(context.Context, provisioning.AccountSpec, string) error { return nil }
