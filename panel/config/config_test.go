package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"faktura/panel/core"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestShippedConfigEqualsDefaults(t *testing.T) {
	c, _, err := Load("../../config.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Database.DSN = DefaultSQLitePath
	if !reflect.DeepEqual(c, want) {
		t.Errorf("config.yaml = %+v\nwant defaults %+v", c, want)
	}
}

func TestLoadGood(t *testing.T) {
	p := write(t, "server:\n  listen: 127.0.0.1:9999\ndatabase:\n  driver: mysql\n  dsn: u:p@tcp(127.0.0.1:3306)/f\nlog:\n  format: json\noutbox:\n  lease: 90s\n")
	c, used, err := Load(p, []string{"FAKTURA_AUTOMATION_HOUR=5", "FAKTURA_AUTOMATION_TIME_ZONE=Europe/Copenhagen", "FAKTURA_TEST_MYSQL_DSN=ignored", "HOME=/root"})
	if err != nil {
		t.Fatal(err)
	}
	if used != p || c.Server.Listen != "127.0.0.1:9999" || c.Database.Driver != "mysql" || c.Log.Format != "json" ||
		c.Outbox.Lease != 90*time.Second || c.Automation.Hour != 5 || c.Location().String() != "Europe/Copenhagen" {
		t.Errorf("loaded %+v", c)
	}
	// The environment wins over the file.
	c, _, err = Load(p, []string{"FAKTURA_SERVER_LISTEN=127.0.0.1:7000"})
	if err != nil || c.Server.Listen != "127.0.0.1:7000" {
		t.Errorf("env override: listen = %q, %v", c.Server.Listen, err)
	}
	// FAKTURA_CONFIG names the file when --config is absent.
	c, used, err = Load("", []string{"FAKTURA_CONFIG=" + p})
	if err != nil || used != p || c.Server.Listen != "127.0.0.1:9999" {
		t.Errorf("FAKTURA_CONFIG: used %q listen %q, %v", used, c.Server.Listen, err)
	}
}

func TestLoadBad(t *testing.T) {
	cases := []struct {
		name string
		file string
		env  []string
		want map[string]string // key path -> substring of its message
	}{
		{"unknown key", "server:\n  listn: 127.0.0.1:1\n", nil, map[string]string{"server.listn": "unknown key (line 2)"}},
		{"unknown section", "invoicing:\n  lead_days: 3\n", nil, map[string]string{"invoicing": "unknown key (line 1)"}},
		{"bad billing", "billing:\n  currency: EURO\n  run_chunk: 0\n", nil, map[string]string{"billing.currency": "ISO 4217", "billing.run_chunk": "from 1 to 10000"}},
		{"wrong type", "database:\n  max_open_conns: ten\n", nil, map[string]string{"database.max_open_conns": `want a whole number, got "ten" (line 2)`}},
		{"wrong duration", "outbox:\n  lease: forever\n", nil, map[string]string{"outbox.lease": "want a duration"}},
		{"list for scalar", "server:\n  listen: [a, b]\n", nil, map[string]string{"server.listen": "want a single value"}},
		{"scalar for section", "server: yes\n", nil, map[string]string{"server": "want a mapping"}},
		{"mysql without dsn", "database:\n  driver: mysql\n  dsn: \"\"\n", nil, map[string]string{"database.dsn": "required when database.driver is mysql"}},
		{"unknown driver", "database:\n  driver: postgres\n", nil, map[string]string{"database.driver": `must be sqlite or mysql, got "postgres"`}},
		{"many at once", "server:\n  listen: nowhere\nlog:\n  level: loud\nautomation:\n  hour: 24\n  time_zone: Mars/Olympus\n", nil, map[string]string{
			"server.listen": "want host:port", "log.level": "must be debug", "automation.hour": "from 0 to 23", "automation.time_zone": "unknown time zone"}},
		{"unknown env", "", []string{"FAKTURA_DATABSE_DSN=x"}, map[string]string{"FAKTURA_DATABSE_DSN": "unknown environment variable"}},
		{"bad env type", "", []string{"FAKTURA_OUTBOX_MAX_ATTEMPTS=many"}, map[string]string{"FAKTURA_OUTBOX_MAX_ATTEMPTS": "want a whole number"}},
		{"backoff order", "outbox:\n  backoff_base: 10m\n  backoff_max: 1m\n", nil, map[string]string{"outbox.backoff_max": "not be shorter"}},
		{"bad yaml", "server: [\n", nil, map[string]string{"config": "not valid YAML"}},
		{"short metrics token", "", []string{"FAKTURA_SERVER_METRICS_TOKEN=secret"}, map[string]string{"server.metrics_token": "at least 16 characters"}},
		{"secret key not base64", "", []string{"FAKTURA_SECRET_KEY=not a key"}, map[string]string{"secret.key": "is not base64"}},
		{"secret key too short", "", []string{"FAKTURA_SECRET_KEY=c2hvcnQ="}, map[string]string{"secret.key": "want 32"}},
		{"no key at all", "secret:\n  key_file: \"\"\n", nil, map[string]string{"secret.key_file": "is required"}},
		{"bad metrics address", "server:\n  metrics_listen: nowhere\n", nil, map[string]string{"server.metrics_listen": "want host:port"}},
		{"metrics on the panel address", "server:\n  listen: 127.0.0.1:8080\n  metrics_listen: 127.0.0.1:8080\n", nil, map[string]string{"server.metrics_listen": "must differ"}},
		{"decode and validation problems together", "server:\n  listn: x\ndatabase:\n  driver: mysql\n", nil, map[string]string{
			"server.listn": "unknown key", "database.dsn": "required when database.driver is mysql"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Load(write(t, tc.file), tc.env)
			var ve *core.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Load error = %v, want field errors", err)
			}
			for key, sub := range tc.want {
				if !strings.Contains(ve.Fields[key], sub) {
					t.Errorf("%s: got %q, want it to contain %q (all: %v)", key, ve.Fields[key], sub, ve.Fields)
				}
			}
			if len(ve.Fields) != len(tc.want) {
				t.Errorf("got %d problems %v, want %d", len(ve.Fields), ve.Fields, len(tc.want))
			}
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, _, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("explicit missing file: error = %v, want it named", err)
	}
	dir := t.TempDir()
	wd, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(wd)
	c, used, err := Load("", nil)
	if err != nil || used != "" || c.DBOptions().DSN != DefaultSQLitePath {
		t.Errorf("no config.yaml: %q %v, dsn %q; want defaults", used, err, c.DBOptions().DSN)
	}
}

func TestEnvNameCoversEveryKey(t *testing.T) {
	c := Defaults()
	keys := map[string]reflect.Value{}
	leaves(reflect.ValueOf(&c).Elem(), "", keys)
	if len(keys) < 20 {
		t.Fatalf("only %d keys found", len(keys))
	}
	for k := range keys {
		if _, _, err := Load(write(t, ""), []string{EnvName(k) + "=@@"}); err != nil {
			var ve *core.ValidationError
			if errors.As(err, &ve) && strings.Contains(ve.Fields[EnvName(k)], "unknown environment variable") {
				t.Errorf("%s is not accepted for %s", EnvName(k), k)
			}
		}
	}
}
