package nginx

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"faktura/provisioning"
)

// logCursor is where the last collection stopped in one site's log: the
// file's inode and the offset after the last whole line read.
type logCursor struct {
	Inode  uint64 `json:"inode"`
	Offset int64  `json:"offset"`
}

// CollectUsage reads each site's access log from where the last
// collection stopped and sums the bytes sent per account and day, and
// measures each account's directory. A log rotated since (renamed to
// <log>.1, nginx reopened) is read to its end first by its inode, then the
// new file from its start; a log truncated since is read from its start;
// an unfinished last line waits for the next collection. So no line is
// counted twice or lost across rotation.
func (d *Driver) CollectUsage(ctx context.Context, raw []byte) (provisioning.UsageReading, error) {
	cur := map[string]logCursor{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &cur); err != nil {
			return provisioning.UsageReading{}, fmt.Errorf("usage cursor: %w", err)
		}
	}
	confs, err := filepath.Glob(filepath.Join(d.s.SitesDir, "*--*.conf"))
	if err != nil {
		return provisioning.UsageReading{}, err
	}
	sort.Strings(confs)
	var out provisioning.UsageReading
	next := map[string]logCursor{}
	users := map[string]bool{}
	for _, c := range confs {
		if err := ctx.Err(); err != nil {
			return provisioning.UsageReading{}, err
		}
		user, site, _ := strings.Cut(strings.TrimSuffix(filepath.Base(c), ".conf"), "--")
		users[user] = true
		path := d.LogPath(site)
		readings, nc, err := readLog(path, cur[path])
		if err != nil {
			return provisioning.UsageReading{}, fmt.Errorf("log of %s: %w", site, err)
		}
		for _, r := range readings {
			r.Username, r.Key = user, site+"|"+r.Key
			out.Traffic = append(out.Traffic, r)
		}
		next[path] = nc
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	for _, u := range names {
		n, err := dirSize(filepath.Join(d.s.WebRoot, u))
		if err != nil {
			return provisioning.UsageReading{}, err
		}
		out.Disk = append(out.Disk, provisioning.Usage{Username: u, DiskBytes: n})
	}
	out.Cursor, _ = json.Marshal(next)
	return out, nil
}

// readLog reads one site's log from c: first the rotated file holding
// c's inode (<path>.1), from c's offset to its end, then the current file
// from c's offset if it is the same file and not shorter, else from its
// start.
func readLog(path string, c logCursor) ([]provisioning.TrafficReading, logCursor, error) {
	var out []provisioning.TrafficReading
	st, err := os.Stat(path)
	if os.IsNotExist(err) {
		return nil, c, nil
	}
	if err != nil {
		return nil, c, err
	}
	ino := inodeOf(st)
	if c.Inode != 0 && c.Inode != ino {
		old := path + ".1"
		if ost, err := os.Stat(old); err == nil && inodeOf(ost) == c.Inode {
			rs, _, err := readFrom(old, c)
			if err != nil {
				return nil, c, err
			}
			out = append(out, rs...)
		}
		c = logCursor{Inode: ino}
	}
	if c.Inode == 0 || st.Size() < c.Offset {
		c = logCursor{Inode: ino} // new, or truncated: from the start
	}
	rs, off, err := readFrom(path, c)
	if err != nil {
		return nil, c, err
	}
	return append(out, rs...), logCursor{Inode: ino, Offset: off}, nil
}

// readFrom sums a log's whole lines from c's offset per day, keyed by the
// file's inode, the offset and the day; it returns the offset after the
// last whole line.
func readFrom(path string, c logCursor) ([]provisioning.TrafficReading, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, c.Offset, err
	}
	defer f.Close()
	if _, err := f.Seek(c.Offset, io.SeekStart); err != nil {
		return nil, c.Offset, err
	}
	var out []provisioning.TrafficReading
	idx := map[string]int{}
	off := c.Offset
	err = ScanLog(f, func(at time.Time, sent int64, n int) {
		day := at.UTC().Format(time.DateOnly)
		i, ok := idx[day]
		if !ok {
			i = len(out)
			idx[day] = i
			out = append(out, provisioning.TrafficReading{Key: fmt.Sprintf("%d|%d|%s", c.Inode, c.Offset, day), At: at.UTC()})
		}
		out[i].Bytes += sent
		off += int64(n)
	})
	return out, off, err
}

// ScanLog calls fn for each whole line of an access log in LogFormat with
// the request's time, the bytes sent and the line's length with its
// newline; an unfinished last line is left for later. Lines it cannot
// read count zero bytes but are still consumed.
func ScanLog(r io.Reader, fn func(at time.Time, sent int64, n int)) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var last time.Time
	var lastRaw []byte
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: consume it whole.
			n := len(line)
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				n += len(line)
			}
			if err != nil {
				return nilEOF(err)
			}
			fn(last, 0, n)
			continue
		}
		if err != nil {
			return nilEOF(err) // an unfinished line waits
		}
		at, sent := parseLine(line, &last, &lastRaw)
		fn(at, sent, len(line))
	}
}

func nilEOF(err error) error {
	if err == io.EOF {
		return nil
	}
	return err
}

// parseLine reads "$time_iso8601 $host $status $bytes_sent ..." without
// allocating: the time (parsed again only when it changes) and the bytes.
func parseLine(line []byte, last *time.Time, lastRaw *[]byte) (time.Time, int64) {
	sp := bytes.IndexByte(line, ' ')
	if sp <= 0 {
		return *last, 0
	}
	ts := line[:sp]
	if !bytes.Equal(ts, *lastRaw) {
		if t, err := time.Parse(time.RFC3339, string(ts)); err == nil {
			*last = t
			*lastRaw = append((*lastRaw)[:0], ts...)
		}
	}
	rest := line[sp+1:]
	for range 2 { // host, status
		i := bytes.IndexByte(rest, ' ')
		if i < 0 {
			return *last, 0
		}
		rest = rest[i+1:]
	}
	var n int64
	for _, b := range rest {
		if b < '0' || b > '9' {
			break
		}
		n = n*10 + int64(b-'0')
	}
	return *last, n
}

func inodeOf(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino
	}
	return 0
}
