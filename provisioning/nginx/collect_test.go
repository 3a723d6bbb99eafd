package nginx_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
