package dbtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"faktura/panel/core/db"
)

// CheckAppendOnly holds a migration set to its ledger file (one line per
// migration: "dialect/file sha256"). A recorded migration that changed or
// vanished fails the test: released migrations are append-only. Both
// dialect folders must hold the same file names. New files are appended to
// the ledger when update is true (go test -update), and fail otherwise.
func CheckAppendOnly(t *testing.T, set db.MigrationSet, ledger string, update bool) {
	t.Helper()
	recorded := map[string]string{}
	var order []string
	if b, err := os.ReadFile(ledger); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				recorded[f[0]] = f[1]
				order = append(order, f[0])
			}
		}
	} else if !os.IsNotExist(err) {
		t.Fatal(err)
	}
	current := map[string]string{}
	names := map[string][]string{}
	for _, dir := range []string{"sqlite", "mysql"} {
		entries, err := fs.ReadDir(set.FS, dir)
		if err != nil {
			t.Fatalf("%s migrations: %v", set.Name, err)
		}
		for _, e := range entries {
			b, err := fs.ReadFile(set.FS, path.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(b)
			current[dir+"/"+e.Name()] = hex.EncodeToString(sum[:])
			names[dir] = append(names[dir], e.Name())
		}
	}
	if !slices.Equal(names["sqlite"], names["mysql"]) {
		t.Errorf("%s: sqlite and mysql migrations differ:\n sqlite: %v\n mysql:  %v", set.Name, names["sqlite"], names["mysql"])
	}
	for _, k := range order {
		switch got, ok := current[k]; {
		case !ok:
			t.Errorf("%s: released migration %s was removed; migrations are append-only", set.Name, k)
		case got != recorded[k]:
			t.Errorf("%s: released migration %s was changed; add a new migration instead", set.Name, k)
		}
	}
	var added []string
	for k := range current {
		if _, ok := recorded[k]; !ok {
			added = append(added, k)
		}
	}
	slices.Sort(added)
	if len(added) == 0 {
		return
	}
	if !update {
		t.Errorf("%s: migrations %v are not in %s; run go test -update to record them", set.Name, added, ledger)
		return
	}
	f, err := os.OpenFile(ledger, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, k := range added {
		fmt.Fprintf(f, "%s %s\n", k, current[k])
	}
}
