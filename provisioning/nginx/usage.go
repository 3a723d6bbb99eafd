package nginx

import (
	"bufio"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"faktura/provisioning"
)

// UsageReport sums, per account, the bytes in its directory and the bytes
// sent that its sites' access logs record.
func (d *Driver) UsageReport(ctx context.Context) ([]provisioning.Usage, error) {
	confs, err := filepath.Glob(filepath.Join(d.s.SitesDir, "*--*.conf"))
	if err != nil {
		return nil, err
	}
	per := map[string]*provisioning.Usage{}
	var order []string
	for _, c := range confs {
		user, site, _ := strings.Cut(strings.TrimSuffix(filepath.Base(c), ".conf"), "--")
		u, ok := per[user]
		if !ok {
			u = &provisioning.Usage{Username: user}
			per[user], order = u, append(order, user)
			u.DiskBytes, err = dirSize(filepath.Join(d.s.WebRoot, user))
			if err != nil {
				return nil, err
			}
		}
		n, err := LogBytes(d.LogPath(site))
		if err != nil {
			return nil, err
		}
		u.TrafficBytes += n
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	out := make([]provisioning.Usage, 0, len(order))
	for _, user := range order {
		out = append(out, *per[user])
	}
	return out, nil
}

// LogBytes sums the bytes-sent field of an access log in LogFormat; a
// missing log counts zero.
func LogBytes(path string) (int64, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var total int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 {
			continue
		}
		if n, err := strconv.ParseInt(fields[3], 10, 64); err == nil {
			total += n
		}
	}
	return total, sc.Err()
}

func dirSize(root string) (int64, error) {
	var total int64
	err := filepath.WalkDir(root, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if !e.IsDir() {
			if info, err := e.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total, err
}
