package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"faktura/panel/core"
)

// EnvPrefix starts every environment override: server.listen is
// FAKTURA_SERVER_LISTEN, database.dsn is FAKTURA_DATABASE_DSN.
const EnvPrefix = "FAKTURA_"

// EnvConfigPath names the config file when --config is not given.
const EnvConfigPath = "FAKTURA_CONFIG"

// reservedEnv are FAKTURA_ variables that are not config keys.
var reservedEnv = []string{EnvConfigPath, "FAKTURA_TEST_"}

// Load returns the configuration: defaults, then the file at path (when
// path is empty: $FAKTURA_CONFIG, else ./config.yaml if it exists), then the
// environment (environ as from os.Environ). It validates the result and
// reports every problem at once, each with its key path.
func Load(path string, environ []string) (Config, string, error) {
	c := Defaults()
	explicit := path != ""
	if !explicit {
		path = lookup(environ, EnvConfigPath)
		explicit = path != ""
	}
	if !explicit {
		path = "config.yaml"
	}
	var problems core.ValidationError
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		decodeFile(b, &c, &problems)
	case errors.Is(err, os.ErrNotExist) && !explicit:
		path = ""
	default:
		return c, path, fmt.Errorf("read config: %w", err)
	}
	applyEnv(environ, &c, &problems)
	var ve *core.ValidationError
	if errors.As(c.Validate(), &ve) {
		for k, msg := range ve.Fields {
			problems.Add(k, msg) // a key that failed to decode keeps that message
		}
	}
	return c, path, problems.Err()
}

func lookup(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

func decodeFile(b []byte, c *Config, problems *core.ValidationError) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return // an empty file keeps the defaults
		}
		problems.Addf("config", "not valid YAML: %v", err)
		return
	}
	if len(doc.Content) == 0 {
		return
	}
	decodeNode(doc.Content[0], reflect.ValueOf(c).Elem(), "", problems)
}

// decodeNode walks a YAML mapping against a struct by yaml tags, reporting
// unknown keys and ill-typed values with their key path and line.
func decodeNode(n *yaml.Node, v reflect.Value, path string, problems *core.ValidationError) {
	if v.Kind() == reflect.Struct {
		if n.Kind != yaml.MappingNode {
			problems.Addf(orRoot(path), "want a mapping of keys (line %d)", n.Line)
			return
		}
		fields := fieldsByKey(v)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := join(path, k.Value)
			f, ok := fields[k.Value]
			if !ok {
				problems.Addf(key, "unknown key (line %d)", k.Line)
				continue
			}
			decodeNode(val, f, key, problems)
		}
		return
	}
	if n.Kind != yaml.ScalarNode {
		problems.Addf(path, "want a single value, got a list or mapping (line %d)", n.Line)
		return
	}
	if err := setLeaf(v, n.Value, n.Tag == "!!null"); err != nil {
		problems.Addf(path, "%v (line %d)", err, n.Line)
	}
}

func fieldsByKey(v reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	for i := range v.NumField() {
		tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		out[tag] = v.Field(i)
	}
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

// setLeaf parses s into v by v's type; the file and the environment share it.
func setLeaf(v reflect.Value, s string, null bool) error {
	if null && v.Kind() != reflect.String {
		return errors.New("want a value, got nothing")
	}
	switch {
	case v.Type() == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("want a duration such as 30s or 5m, got %q", s)
		}
		v.SetInt(int64(d))
	case v.Kind() == reflect.String:
		if null {
			s = ""
		}
		v.SetString(s)
	case v.Kind() == reflect.Int:
		n, err := strconv.Atoi(s)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", s)
		}
		v.SetInt(int64(n))
	case v.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", s)
		}
		v.SetBool(b)
	default:
		return fmt.Errorf("unsupported setting type %s", v.Type())
	}
	return nil
}

// leaves lists every settable key path with its field.
func leaves(v reflect.Value, path string, out map[string]reflect.Value) {
	if v.Kind() != reflect.Struct {
		out[path] = v
		return
	}
	for k, f := range fieldsByKey(v) {
		leaves(f, join(path, k), out)
	}
}

// EnvName is the environment variable that overrides a key path.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

func applyEnv(environ []string, c *Config, problems *core.ValidationError) {
	byEnv := map[string]reflect.Value{}
	all := map[string]reflect.Value{}
	leaves(reflect.ValueOf(c).Elem(), "", all)
	for k, f := range all {
		byEnv[EnvName(k)] = f
	}
	for _, kv := range environ {
		name, val, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || reserved(name) {
			continue
		}
		f, ok := byEnv[name]
		if !ok {
			problems.Add(name, "unknown environment variable: no config key has this name")
			continue
		}
		if err := setLeaf(f, val, false); err != nil {
			problems.Addf(name, "%v", err)
		}
	}
}

func reserved(name string) bool {
	for _, r := range reservedEnv {
		if name == r || (strings.HasSuffix(r, "_") && strings.HasPrefix(name, r)) {
			return true
		}
	}
	return false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orRoot(path string) string {
	if path == "" {
		return "config"
	}
	return path
}
