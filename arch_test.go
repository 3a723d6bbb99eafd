package main

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestImportRules enforces the dependency direction: panel -> billing,
// provisioning, plugins, themes; billing -> provisioning; everything ->
// panel/core. Nothing outside panel imports panel (except its core), only
// panel/web and its areas import echo, panel/core imports nothing of the
// project but itself, the web areas import the web kit but not each other
// (and the kit no area), and plugins import only billing's plugin-facing
// packages and the core.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range p.Imports {
			if msg := violation(p.ImportPath, imp); msg != "" {
				t.Errorf("%s imports %s: %s", p.ImportPath, imp, msg)
			}
		}
	}
	if checked < 10 {
		t.Fatalf("checked only %d packages", checked)
	}
}

func under(pkg, root string) bool { return pkg == root || strings.HasPrefix(pkg, root+"/") }

// pluginFacing are billing's packages a plugin may import: the document
// model (renderers, exports), payments (the gateway registry), the
// ledger (the accounting export registry) and the
// plugin contracts.
var pluginFacing = []string{"faktura/billing/document", "faktura/billing/payment", "faktura/billing/ledger", "faktura/billing/plugin"}

// webAreas are the panel's areas under panel/web.
var webAreas = []string{"signin", "admin", "hosting", "billing", "settings", "payments"}

func areaOf(pkg string) string {
	for _, a := range webAreas {
		if under(pkg, "faktura/panel/web/"+a) {
			return a
		}
	}
	return ""
}

func violation(from, imp string) string {
	const m = "faktura/"
	switch {
	case strings.HasPrefix(imp, "github.com/labstack/echo") && !under(from, m+"panel/web"):
		return "only panel/web and its areas import echo"
	case !strings.HasPrefix(imp, m):
		return ""
	case under(from, m+"panel/core"):
		if !under(imp, m+"panel/core") {
			return "panel/core imports nothing of the project but itself"
		}
	case under(from, m+"plugins"):
		if !under(imp, m+"panel/core") && !under(imp, m+"plugins") && !slices.ContainsFunc(pluginFacing, func(p string) bool { return under(imp, p) }) {
			return "plugins import only billing's plugin-facing packages and the core"
		}
	case under(imp, m+"panel") && !under(imp, m+"panel/core") && !under(from, m+"panel") && from != "faktura":
		return "nothing outside panel imports panel (only panel/core)"
	case areaOf(imp) != "" && (areaOf(from) == "" && under(from, m+"panel/web") || areaOf(from) != "" && areaOf(from) != areaOf(imp)):
		return "the web kit imports no area, and an area no other area"
	case under(from, m+"provisioning") && (under(imp, m+"billing") || under(imp, m+"plugins")):
		return "provisioning does not import billing or plugins"
	case under(from, m+"billing") && under(imp, m+"plugins"):
		return "billing does not import plugins (plugins register with billing)"
	case under(from, m+"billing/document") && !under(imp, m+"billing") && !under(imp, m+"panel/core"):
		return "the document model imports billing and the core only"
	case under(from, m+"themes") && !under(imp, m+"themes") && !under(imp, m+"panel/core"):
		return "themes import nothing but the core"
	}
	return ""
}

func TestViolationRules(t *testing.T) {
	cases := []struct {
		from, imp string
		bad       bool
	}{
		{"faktura/billing", "faktura/panel/core/money", false},
		{"faktura/billing", "faktura/provisioning", false},
		{"faktura/billing", "faktura/panel/web", true},
		{"faktura/billing", "faktura/plugins/stripe", true},
		{"faktura/provisioning", "faktura/billing", true},
		{"faktura/plugins/paypal", "faktura/billing", true},
		{"faktura/panel/core/outbox", "faktura/panel/config", true},
		{"faktura/billing", "github.com/labstack/echo/v4", true},
		{"faktura/panel/web", "github.com/labstack/echo/v4", false},
		{"faktura", "faktura/panel/cli", false},
		{"faktura", "faktura/panel/web/billing", false},
		{"faktura/plugins/paypal", "faktura/billing/document", false},
		{"faktura/plugins/datev", "faktura/panel/core/money", false},
		{"faktura/plugins/datev", "faktura/provisioning", true},
		{"faktura/plugins/paypal", "faktura/panel/web", true},
		{"faktura/panel/web/billing", "faktura/panel/web", false},
		{"faktura/panel/web/billing", "faktura/billing/document", false},
		{"faktura/panel/web/billing", "faktura/panel/web/hosting", true},
		{"faktura/panel/web", "faktura/panel/web/admin", true},
		{"faktura/panel/web/hosting", "github.com/labstack/echo/v4", false},
		{"faktura/billing/document", "faktura/panel/web", true},
		{"faktura/billing/document", "faktura/billing", false},
	}
	for _, tc := range cases {
		if got := violation(tc.from, tc.imp) != ""; got != tc.bad {
			t.Errorf("violation(%s -> %s) = %v, want %v", tc.from, tc.imp, got, tc.bad)
		}
	}
}
