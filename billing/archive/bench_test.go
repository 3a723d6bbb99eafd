package archive_test

import (
	"crypto/sha256"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"faktura/billing/document"
	"faktura/billing/document/documenttest"
	"faktura/billing/document/facturx"
	"faktura/billing/document/pdf"
	"faktura/billing/einvoice"
)

// BenchmarkRender renders FAKTURA_BENCH_DOCS (2,000) one-page invoices as
// the archive does (the PDF, the CII and UBL XML, the Factur-X embedding,
// the SHA-256 of each file) and prints documents per second beside a bare
// maroto render of the same layout measured in the same run, and with
// two workers beside one.
//
//	go test ./billing/archive -run '^$' -bench Render -benchtime 1x
func BenchmarkRender(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("FAKTURA_BENCH_DOCS")); err == nil && v > 0 {
		n = v
	}
	r := renderer(b)
	c := documenttest.Cases("de")[0]
	d, err := document.Build(c.Invoice, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	d.CreditBy, d.Totals.PaidMinor, d.Totals.CreditedMinor = nil, 0, 0
	bare := func() error { _, err := r.Render(pdf.Input{Doc: d}); return err }
	full := func() error {
		p, err := r.Render(pdf.Input{Doc: d})
		if err != nil {
			return err
		}
		cii, err := einvoice.Write(d, einvoice.CII, einvoice.EN16931)
		if err != nil {
			return err
		}
		ubl, err := einvoice.Write(d, einvoice.UBL, einvoice.EN16931)
		if err != nil {
			return err
		}
		fx, err := facturx.Embed(p, cii, facturx.Meta{Title: d.Number, Author: d.Seller.Name, Created: d.IssueDate.In(time.UTC), Conformance: "EN 16931", DocType: "INVOICE"})
		if err != nil {
			return err
		}
		for _, f := range [][]byte{fx, cii, ubl} {
			sha256.Sum256(f)
		}
		return nil
	}
	run := func(workers int, fn func() error) float64 {
		start := time.Now()
		var wg sync.WaitGroup
		next := make(chan struct{})
		for range workers {
			wg.Go(func() {
				for range next {
					if err := fn(); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for range n {
			next <- struct{}{}
		}
		close(next)
		wg.Wait()
		return float64(n) / time.Since(start).Seconds()
	}
	for b.Loop() {
		base1 := run(1, bare)
		full1 := run(1, full)
		full2 := run(2, full)
		base2 := run(2, bare)
		fmt.Printf("render %d invoices: bare maroto %.1f/s, PDF + CII + UBL + Factur-X + SHA-256 %.1f/s (%.0f%% of bare)\n", n, base1, full1, 100*full1/base1)
		fmt.Printf("two workers: %.1f/s (%.2fx one worker; bare maroto %.2fx)\n", full2, full2/full1, base2/base1)
		// One worker is not one core: the garbage collector runs beside
		// it on the other cores. Each worker held to a core of its own:
		procs := runtime.GOMAXPROCS(1)
		core1 := run(1, full)
		runtime.GOMAXPROCS(2)
		core2 := run(2, full)
		runtime.GOMAXPROCS(procs)
		fmt.Printf("a core per worker (GOMAXPROCS = workers): one %.1f/s, two %.1f/s (%.2fx)\n", core1, core2, core2/core1)
		// What two cores give this machine at all: a task that allocates
		// nothing (SHA-256 over 64 KiB), one goroutine against two.
		buf := make([]byte, 64<<10)
		hash := func() error {
			for range 20 {
				sha256.Sum256(buf)
			}
			return nil
		}
		raw1, raw2 := run(1, hash), run(2, hash)
		fmt.Printf("raw CPU ceiling: two goroutines hash %.2fx one; rendering reaches %.0f%% of it\n", raw2/raw1, 100*(full2/full1)/(raw2/raw1))
		b.ReportMetric(raw2/raw1, "raw_two_x")
		b.ReportMetric(full1, "docs/s")
		b.ReportMetric(full1/base1, "ratio_to_bare")
		b.ReportMetric(full2/full1, "two_workers_x")
		b.ReportMetric(core2/core1, "two_cores_x")
	}
}
