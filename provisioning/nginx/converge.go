package nginx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"faktura/provisioning"
)

// commonFile holds the http-level directives every site uses; its name
// sorts before any account's files.
const commonFile = "000-faktura.conf"

// LogFormat is the access-log format: time, host, status, bytes sent
// (headers and body), request length, client address, request line.
const LogFormat = `log_format faktura_traffic '$time_iso8601 $host $status $bytes_sent $request_length $remote_addr "$request"';`

// converge makes the account's files match the spec (none when
// terminating), checks the whole configuration with nginx -t and
// reloads; on any failure it puts the previous files back.
func (d *Driver) converge(ctx context.Context, a provisioning.AccountSpec, terminate bool) error {
	if !userRE.MatchString(a.Username) {
		return fmt.Errorf("refusing user name %q", a.Username)
	}
	want := map[string][]byte{}
	if !terminate {
		for _, site := range a.Sites {
			if !nameRE.MatchString(site.Name) || strings.Contains(site.Name, "..") {
				return fmt.Errorf("refusing site name %q", site.Name)
			}
			want[d.confName(a.Username, site.Name)] = d.serverBlock(a, site)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.prepare(a, terminate); err != nil {
		return err
	}
	old, err := d.snapshot(a.Username)
	if err != nil {
		return err
	}
	if err := writeSet(d.s.SitesDir, old, want); err != nil {
		return errors.Join(err, restore(d.s.SitesDir, want, old))
	}
	if err := d.check(ctx); err != nil {
		if rerr := restore(d.s.SitesDir, want, old); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	if terminate {
		return os.RemoveAll(filepath.Join(d.s.WebRoot, a.Username))
	}
	return nil
}

// check runs nginx -t and, when enabled, reloads.
func (d *Driver) check(ctx context.Context) error {
	if err := d.nginx(ctx, "-t", "-q"); err != nil {
		return fmt.Errorf("configuration test failed, previous configuration kept: %w", err)
	}
	if d.s.Reload != nil && !*d.s.Reload {
		return nil
	}
	if err := d.nginx(ctx, "-s", "reload"); err != nil {
		return fmt.Errorf("reload failed, previous configuration restored: %w", err)
	}
	return nil
}

// prepare creates the directories, the shared log format, the suspension
// page and (unless terminating) the account's document roots.
func (d *Driver) prepare(a provisioning.AccountSpec, terminate bool) error {
	for _, dir := range []string{d.s.SitesDir, d.s.LogDir, d.suspRoot} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	if err := writeIfChanged(filepath.Join(d.s.SitesDir, commonFile), []byte("# Managed by faktura.\n"+LogFormat+"\n")); err != nil {
		return err
	}
	if err := writeIfChanged(filepath.Join(d.suspRoot, "index.html"), d.page); err != nil {
		return err
	}
	if terminate {
		return nil
	}
	for _, site := range a.Sites {
		root := d.docroot(a.Username, site)
		if err := os.MkdirAll(root, 0o755); err != nil {
			return err
		}
		index := filepath.Join(root, "index.html")
		if _, err := os.Stat(index); errors.Is(err, os.ErrNotExist) {
			page := fmt.Sprintf("<!doctype html><title>%s</title><h1>%s</h1><p>This site is hosted here.</p>\n", site.Name, site.Name)
			if err := os.WriteFile(index, []byte(page), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// docroot is the account's public_html for a domain, and a directory in
// it named after the first label for a subdomain.
func (d *Driver) docroot(user string, site provisioning.SiteSpec) string {
	root := filepath.Join(d.s.WebRoot, user, "public_html")
	if site.Parent != "" {
		return filepath.Join(root, site.Label)
	}
	return root
}

func (d *Driver) confName(user, site string) string { return user + "--" + site + ".conf" }

// LogPath is a site's access log.
func (d *Driver) LogPath(site string) string { return filepath.Join(d.s.LogDir, site+".access.log") }

// serverBlock is a site's configuration: its document root, or the
// suspension page while the account is suspended.
func (d *Driver) serverBlock(a provisioning.AccountSpec, site provisioning.SiteSpec) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# Managed by faktura: account %s, site %s. Changes here are overwritten.\n", a.Username, site.Name)
	fmt.Fprintf(&b, "server {\n    listen %s;\n    server_name %s;\n", d.s.Listen, site.Name)
	fmt.Fprintf(&b, "    access_log %s faktura_traffic;\n", d.LogPath(site.Name))
	if a.Suspended {
		fmt.Fprintf(&b, "    root %s;\n    add_header X-Account-Suspended %q always;\n", d.suspRoot, string(a.Reason))
		b.WriteString("    location / {\n        rewrite ^ /index.html break;\n    }\n}\n")
		return []byte(b.String())
	}
	fmt.Fprintf(&b, "    root %s;\n    index index.html index.htm;\n", d.docroot(a.Username, site))
	b.WriteString("    location / {\n        try_files $uri $uri/ =404;\n    }\n}\n")
	return []byte(b.String())
}

// snapshot reads the account's current server blocks.
func (d *Driver) snapshot(user string) (map[string][]byte, error) {
	names, err := filepath.Glob(filepath.Join(d.s.SitesDir, user+"--*.conf"))
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out[filepath.Base(n)] = b
	}
	return out, nil
}

// writeSet makes dir hold want in place of old.
func writeSet(dir string, old, want map[string][]byte) error {
	for name, body := range want {
		if err := writeIfChanged(filepath.Join(dir, name), body); err != nil {
			return err
		}
	}
	for name := range old {
		if _, keep := want[name]; !keep {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// restore undoes writeSet: it removes what was written and puts old back.
func restore(dir string, written, old map[string][]byte) error {
	var errs []error
	for name := range written {
		if _, had := old[name]; !had {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	for name, body := range old {
		if err := writeIfChanged(filepath.Join(dir, name), body); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// writeIfChanged replaces path atomically (write, then rename) unless it
// holds body already.
func writeIfChanged(path string, body []byte) error {
	if cur, err := os.ReadFile(path); err == nil && string(cur) == string(body) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
