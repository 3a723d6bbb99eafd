package nginx_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"faktura/provisioning"
	"faktura/provisioning/nginx"
)

// TestScanLog: bytes per line and time, an unfinished last line left for
// later, a malformed line consumed at zero bytes.
func TestScanLog(t *testing.T) {
	log := "2026-11-05T10:00:00+00:00 alpha.example 200 5120 310 127.0.0.1 \"GET / HTTP/1.1\"\n" +
		"2026-11-05T10:00:01+00:00 alpha.example 404 153 300 127.0.0.1 \"GET /x HTTP/1.1\"\n" +
		"garbage\n" +
		"2026-11-06T00:00:00+01:00 alpha.example 200 1000 300 127.0.0.1 \"GET / HTTP/1.1\"\n" +
		"2026-11-06T10:00:00+00:00 alpha.example 200 77"
	var sent int64
	var days []string
	consumed := 0
	err := nginx.ScanLog(strings.NewReader(log), func(at time.Time, n int64, l int) {
		sent += n
		days = append(days, at.UTC().Format(time.DateOnly))
		consumed += l
	})
	if err != nil || sent != 5120+153+1000 || len(days) != 4 {
		t.Fatalf("sent %d over %v, %v", sent, days, err)
	}
	if days[3] != "2026-11-05" { // 00:00 at +01:00 is the 5th in UTC
		t.Fatalf("the day of a line in another zone: %s", days[3])
	}
	if consumed != strings.LastIndex(log, "\n")+1 {
		t.Fatalf("consumed %d bytes, want up to the last newline (%d)", consumed, strings.LastIndex(log, "\n")+1)
	}
}

// BenchmarkLogParse reads a 64 MB access log in nginx's format and
// compares ScanLog (time, bytes sent per line) with a bare line scan of
// the same file in the same run.
func BenchmarkLogParse(b *testing.B) {
	path := filepath.Join(b.TempDir(), "access.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var size int64
	for i := 0; size < 64<<20; i++ {
		n, _ := fmt.Fprintf(w, "%s shop.example.com 200 %d 412 203.0.113.%d \"GET /products/%d?page=%d HTTP/1.1\"\n",
			start.Add(time.Duration(i/20)*time.Second).Format(time.RFC3339), 512+i%40000, i%250, i%5000, i%7)
		size += int64(n)
	}
	w.Flush()
	f.Close()
	for range b.N {
		t0 := time.Now()
		rf, _ := os.Open(path)
		var total int64
		if err := nginx.ScanLog(rf, func(_ time.Time, n int64, _ int) { total += n }); err != nil {
			b.Fatal(err)
		}
		rf.Close()
		parse := time.Since(t0)
		t0 = time.Now()
		rf, _ = os.Open(path)
		sc := bufio.NewScanner(rf)
		sc.Buffer(make([]byte, 256<<10), 1<<20)
		lines := 0
		for sc.Scan() {
			lines++
		}
		rf.Close()
		bare := time.Since(t0)
		mb := float64(size) / (1 << 20)
		b.ReportMetric(mb/parse.Seconds(), "parse-MB/s")
		b.ReportMetric(mb/bare.Seconds(), "scan-MB/s")
		b.ReportMetric(100*bare.Seconds()/parse.Seconds(), "%-of-scan")
		b.Logf("%.0f MB, %d lines: ScanLog %v (%.0f MB/s), bare line scan %v (%.0f MB/s): %.0f%%", mb, lines, parse.Round(time.Millisecond),
			mb/parse.Seconds(), bare.Round(time.Millisecond), mb/bare.Seconds(), 100*bare.Seconds()/parse.Seconds())
	}
}

// TestCollectTruncatedAndUnfinished: a log truncated since the last
// collection is read from its start; an unfinished last line waits for
// the next collection and is then counted once.
func TestCollectTruncatedAndUnfinished(t *testing.T) {
	dir := t.TempDir()
	s := nginx.Settings{Binary: "/bin/true", Conf: filepath.Join(dir, "nginx.conf"), SitesDir: filepath.Join(dir, "sites"), WebRoot: filepath.Join(dir, "www"), LogDir: filepath.Join(dir, "logs"), Listen: "80"}
	for _, d := range []string{s.SitesDir, s.WebRoot, s.LogDir} {
		os.MkdirAll(d, 0o755)
	}
	os.WriteFile(filepath.Join(s.SitesDir, "anna--anna.example.conf"), []byte("# test\n"), 0o644)
	raw, _ := json.Marshal(s)
	drv, err := nginx.New(raw, provisioning.Env{})
	if err != nil {
		t.Fatal(err)
	}
	uc := drv.(provisioning.UsageCollector)
	logPath := filepath.Join(s.LogDir, "anna.example.access.log")
	line := func(n int) string {
		return fmt.Sprintf("2026-11-05T10:00:00+00:00 anna.example 200 %d 300 127.0.0.1 \"GET / HTTP/1.1\"\n", n)
	}
	total := func(r provisioning.UsageReading) int64 {
		var n int64
		for _, x := range r.Traffic {
			n += x.Bytes
		}
		return n
	}
	os.WriteFile(logPath, []byte(line(100)+line(200)+"2026-11-05T10:00:02+00:00 anna.example 200 40"), 0o644)
	r1, err := uc.CollectUsage(context.Background(), nil)
	if err != nil || total(r1) != 300 {
		t.Fatalf("first: %d %v", total(r1), err)
	}
	f, _ := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0o644)
	f.WriteString("0 300 127.0.0.1 \"GET / HTTP/1.1\"\n") // the unfinished line ends: 400 bytes
	f.Close()
	r2, err := uc.CollectUsage(context.Background(), r1.Cursor)
	if err != nil || total(r2) != 400 {
		t.Fatalf("the finished line: %d %v", total(r2), err)
	}
	os.WriteFile(logPath, []byte(line(7)), 0o644) // truncated in place (copytruncate)
	r3, err := uc.CollectUsage(context.Background(), r2.Cursor)
	if err != nil || total(r3) != 7 {
		t.Fatalf("after truncation: %d %v", total(r3), err)
	}
	r4, err := uc.CollectUsage(context.Background(), r3.Cursor)
	if err != nil || total(r4) != 0 {
		t.Fatalf("nothing new: %d %v", total(r4), err)
	}
	if len(r1.Traffic) != 1 || r1.Traffic[0].Key == r2.Traffic[0].Key {
		t.Fatalf("stretch keys %q %q must differ", r1.Traffic[0].Key, r2.Traffic[0].Key)
	}
	// Reading again from the same cursor gives the same keys.
	again, _ := uc.CollectUsage(context.Background(), r1.Cursor)
	if len(again.Traffic) != 1 || again.Traffic[0].Key == "" {
		t.Fatalf("again: %+v", again.Traffic)
	}
}
