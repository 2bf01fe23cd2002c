package configs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/spf13/viper"
)

// EnvPrefix starts every configuration variable.
const EnvPrefix = "PUSHD_"

// EnvConfigJSON names the variable holding a JSON object merged over the
// configuration file, for the keys no single variable sets (tokens, apps,
// limits.apps, worker.rate_limits) or to give a whole section at once:
//
//	PUSHD_CONFIG_JSON='{"tokens":[{"name":"ops","token":"…","role":"admin"}]}'
//
// Maps merge key by key; a list replaces the file's list. PUSHD_<KEY>
// variables win over it.
const EnvConfigJSON = "PUSHD_CONFIG_JSON"

// notConfig are PUSHD_ variables that are not configuration keys: the
// CLI's server and token, and the test and benchmark harnesses' settings.
var notConfig = [...]string{"PUSHD_SERVER", "PUSHD_TOKEN", EnvConfigJSON}

var notConfigPrefixes = [...]string{"PUSHD_TEST_", "PUSHD_BENCH_", "PUSHD_FAULT_"}

func isConfigVar(name string) bool {
	for _, n := range notConfig {
		if name == n {
			return false
		}
	}
	for _, p := range notConfigPrefixes {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return strings.HasPrefix(name, EnvPrefix)
}

// applyEnv merges PUSHD_CONFIG_JSON over the file in v, then sets every
// PUSHD_<KEY> variable of environ over both. It returns every problem at
// once: JSON that does not parse, unknown keys in it, and variables that
// name no key (a typo such as PUSHD_REDIS_MOD).
func applyEnv(v *viper.Viper, environ []string) error {
	byEnv := map[string]string{}
	for _, k := range Keys() {
		if k.Env != "" {
			byEnv[k.Env] = k.Name
		}
	}
	var errs []error
	vars := envMap(environ)
	if raw, ok := vars[EnvConfigJSON]; ok && strings.TrimSpace(raw) != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			errs = append(errs, fmt.Errorf("%s: not a JSON object: %v", EnvConfigJSON, err))
		} else {
			for _, e := range unknownKeys(m, reflect.TypeOf(Config{}), "") {
				errs = append(errs, fmt.Errorf("%s: %w", EnvConfigJSON, e))
			}
			if err := v.MergeConfigMap(m); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", EnvConfigJSON, err))
			}
		}
	}
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !isConfigVar(n) {
			continue
		}
		key, ok := byEnv[n]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no configuration key has this name (map- and list-shaped keys such as tokens and apps go in %s)", n, EnvConfigJSON))
			continue
		}
		v.Set(key, vars[n])
	}
	return errors.Join(errs...)
}

func envMap(environ []string) map[string]string {
	out := map[string]string{}
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok {
			out[k] = val
		}
	}
	return out
}

// LoadEnv is Load with an explicit environment (KEY=value entries) in
// place of the process's.
func LoadEnv(file string, environ []string) (*Config, error) {
	v := viper.New()
	for k, val := range Defaults() {
		v.SetDefault(k, val)
	}
	var errs []error
	if file != "" {
		v.SetConfigFile(file)
		if err := v.ReadInConfig(); err != nil {
			return nil, fmt.Errorf("read config %s: %w", file, err)
		}
		for _, e := range unknownKeys(v.AllSettings(), reflect.TypeOf(Config{}), "") {
			errs = append(errs, fmt.Errorf("%s: %w", file, e))
		}
	}
	if err := applyEnv(v, environ); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Load reads the configuration: defaults, then file (when not empty), then
// PUSHD_CONFIG_JSON, then the PUSHD_<KEY> variables of the environment
// (PUSHD_REDIS_URL for redis.url, PUSHD_VENDORS_APNS_ENDPOINT for
// vendors.apns.endpoint, …; see Keys).
func Load(file string) (*Config, error) { return LoadEnv(file, os.Environ()) }
