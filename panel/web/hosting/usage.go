package hosting

import (
	"fmt"
	"strings"

	"faktura/billing/usage"
)

// usageView is an account's usage card: the month's report and its two
// charts drawn as SVG (daily traffic bars, a disk line), with the quota
// lines.
type usageView struct {
	R          usage.AccountReport
	Bars       []bar
	DiskPoints string
	QuotaY     float64 // the disk quota's line; 0 when off the chart
	Width      int
	Height     int
}

type bar struct {
	X, Y, W, H float64
	Title      string
}

const chartW, chartH = 600, 120

func newUsageView(r usage.AccountReport) usageView {
	v := usageView{R: r, Width: chartW, Height: chartH}
	n := len(r.Days)
	if n == 0 {
		return v
	}
	var maxT, maxD int64 = 1, 1
	for _, d := range r.Days {
		maxT, maxD = max(maxT, d.Traffic), max(maxD, d.Disk)
	}
	maxD = max(maxD, r.DiskQuota)
	step := float64(chartW) / float64(n)
	var pts []string
	for i, d := range r.Days {
		h := float64(d.Traffic) / float64(maxT) * (chartH - 4)
		v.Bars = append(v.Bars, bar{X: float64(i)*step + 1, Y: chartH - h, W: step - 2, H: h, Title: d.Date + ": " + Bytes(d.Traffic)})
		if d.HasDisk {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", float64(i)*step+step/2, chartH-float64(d.Disk)/float64(maxD)*(chartH-4)))
		}
	}
	v.DiskPoints = strings.Join(pts, " ")
	if r.DiskQuota > 0 {
		v.QuotaY = chartH - float64(r.DiskQuota)/float64(maxD)*(chartH-4)
	}
	return v
}

// Bytes writes a byte count as people read it.
func Bytes(n int64) string { return usage.FormatBytes(n) }

// Fmt formats byte counts in the template.
func (usageView) Fmt(n int64) string { return Bytes(n) }
