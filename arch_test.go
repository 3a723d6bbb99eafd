package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces the dependency direction: panel -> billing,
// provisioning, plugins, themes; plugins -> billing; billing -> provisioning;
// everything -> panel/core. Nothing outside panel imports panel (except its
// core), only panel/web imports echo, and panel/core imports nothing of the
// project but itself.
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

func violation(from, imp string) string {
	const m = "faktura/"
	switch {
	case strings.HasPrefix(imp, "github.com/labstack/echo") && !under(from, m+"panel/web"):
		return "only panel/web imports echo"
	case !strings.HasPrefix(imp, m):
		return ""
	case under(from, m+"panel/core"):
		if !under(imp, m+"panel/core") {
			return "panel/core imports nothing of the project but itself"
		}
	case under(imp, m+"panel") && !under(imp, m+"panel/core") && !under(from, m+"panel") && from != "faktura":
		return "nothing outside panel imports panel (only panel/core)"
	case under(from, m+"provisioning") && (under(imp, m+"billing") || under(imp, m+"plugins")):
		return "provisioning does not import billing or plugins"
	case under(from, m+"billing") && under(imp, m+"plugins"):
		return "billing does not import plugins (plugins register with billing)"
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
		{"faktura/plugins/paypal", "faktura/billing", false},
		{"faktura/panel/core/outbox", "faktura/panel/config", true},
		{"faktura/billing", "github.com/labstack/echo/v4", true},
		{"faktura/panel/web", "github.com/labstack/echo/v4", false},
		{"faktura", "faktura/panel/cli", false},
	}
	for _, tc := range cases {
		if got := violation(tc.from, tc.imp) != ""; got != tc.bad {
			t.Errorf("violation(%s -> %s) = %v, want %v", tc.from, tc.imp, got, tc.bad)
		}
	}
}
