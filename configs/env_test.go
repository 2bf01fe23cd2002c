package configs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// envValue is what a test sets a key's variable to and how Map prints it
// back (want empty = the value itself).
type envValue struct{ set, want string }

// envValues gives every key settable alone a valid value different from
// its default. A key added to Config without an entry here fails
// TestEveryKeyFromEnvironment. The redis.* keys are set in sentinel mode,
// except redis.url, which is in standaloneValues.
var envValues = map[string]envValue{
	"listen":                      {"0.0.0.0:9090", ""},
	"master_key":                  {"bWFzdGVyLWtleS1mcm9tLWVudg==", ""},
	"master_key_previous":         {"cHJldmlvdXMta2V5LWZyb20tZW52", ""},
	"data_dir":                    {"/var/lib/pushd-env", ""},
	"metrics_token":               {"metrics-token-from-env-01", ""},
	"listen_tls.cert_file":        {"/etc/pushd/cert.pem", ""},
	"listen_tls.key_file":         {"/etc/pushd/key.pem", ""},
	"redis.mode":                  {"sentinel", ""},
	"redis.addrs":                 {"10.0.0.1:26379,10.0.0.2:26379", "[10.0.0.1:26379 10.0.0.2:26379]"},
	"redis.username":              {"pushd", ""},
	"redis.password":              {"redis-pass-from-env", ""},
	"redis.tls":                   {"true", ""},
	"redis.ca_file":               {"/etc/pushd/redis-ca.pem", ""},
	"redis.master_name":           {"pushd-primary", ""},
	"redis.sentinel_password":     {"sentinel-pass-from-env", ""},
	"redis.db":                    {"3", ""},
	"redis.high_water":            {"0.9", ""},
	"redis.low_water":             {"0.6", ""},
	"worker.concurrency":          {"7", ""},
	"worker.send_concurrency":     {"9", ""},
	"worker.max_retry":            {"3", ""},
	"worker.retry_base":           {"3s", ""},
	"worker.retry_max":            {"7m", "7m0s"},
	"worker.retention":            {"12h", "12h0m0s"},
	"worker.sent_ttl":             {"36h", "36h0m0s"},
	"worker.shutdown_timeout":     {"40s", ""},
	"worker.cert_cache_ttl":       {"9s", ""},
	"worker.default_rate_limit":   {"25.5", ""},
	"worker.max_jobs":             {"333", ""},
	"worker.max_deliveries":       {"4444", ""},
	"worker.vendor_backlog":       {"77", ""},
	"worker.claim_idle":           {"45s", ""},
	"worker.send_timeout":         {"12s", ""},
	"worker.shards":               {"4", ""},
	"worker.app_share":            {"0.25", ""},
	"devices.foreground_ttl":      {"5m", "5m0s"},
	"devices.binding_ttl":         {"720h", "720h0m0s"},
	"log.level":                   {"debug", ""},
	"log.format":                  {"json", ""},
	"events.stream_max_len":       {"5000", ""},
	"events.webhook.url":          {"https://hooks.example.com/pushd", ""},
	"events.webhook.secret":       {"webhook-secret-from-env", ""},
	"events.webhook.batch":        {"50", ""},
	"events.webhook.flush":        {"2s", ""},
	"receipts.base_url":           {"https://push.example.com", ""},
	"receipts.secret":             {"receipts-secret-from-env", ""},
	"receipts.callback_user":      {"pushd-agc", ""},
	"receipts.callback_secret":    {"agc-callback-key-from-env", ""},
	"receipts.stats_ttl":          {"720h", "720h0m0s"},
	"trace.enabled":               {"false", ""},
	"trace.window":                {"72h", "72h0m0s"},
	"limits.jobs_per_second":      {"123.5", ""},
	"limits.burst":                {"44", ""},
	"limits.max_recipients":       {"555", ""},
	"limits.max_devices":          {"66", ""},
	"vendors.*.endpoint":          {"https://127.0.0.1:1/%s", ""},
	"vendors.*.auth_endpoint":     {"https://127.0.0.1:2/%s/oauth", ""},
	"vendors.*.ca_file":           {"/etc/pushd/%s-ca.pem", ""},
	"vendors.*.timeout":           {"11s", ""},
	"vendors.*.connect_timeout":   {"2s", ""},
	"vendors.*.allow_addresses":   {"10.0.0.8/32,::1", "[10.0.0.8/32 ::1]"},
	"worker.vendor_concurrency.*": {"17", ""},
}

// standaloneValues are set in a second load, redis.url excluding the
// sentinel keys.
var standaloneValues = map[string]struct{ set string }{
	"redis.url": {"rediss://pushd:secret@redis.example:6380/2"},
}

// valueFor returns the test value of key, its per-vendor entry with the
// vendor name substituted.
func valueFor(key string) (envValue, bool) {
	if v, ok := envValues[key]; ok {
		return v, true
	}
	for _, vendor := range vendorNames() {
		generic := strings.Replace(key, "."+vendor, ".*", 1)
		if v, ok := envValues[generic]; ok && generic != key {
			if strings.Contains(v.set, "%s") {
				v.set = fmt.Sprintf(v.set, vendor)
			}
			return v, true
		}
	}
	return envValue{}, false
}

// flatten turns Map's nested maps into dotted keys with printed values.
func flatten(prefix string, m map[string]any, out map[string]string) {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			flatten(prefix+k+".", sub, out)
			continue
		}
		out[prefix+k] = fmt.Sprint(v)
	}
}

// TestEveryKeyFromEnvironment sets every key a variable sets alone, all
// through the environment, and reads each back from the loaded Config in
// the shape `pushd config print` shows.
func TestEveryKeyFromEnvironment(t *testing.T) {
	var environ []string
	want := map[string]string{}
	for _, k := range Keys() {
		if k.Env == "" || k.Name == "redis.url" {
			continue
		}
		v, ok := valueFor(k.Name)
		if !ok {
			t.Errorf("%s (%s): no test value in envValues", k.Name, k.Env)
			continue
		}
		environ = append(environ, k.Env+"="+v.set)
		want[k.Name] = v.set
		if v.want != "" {
			want[k.Name] = v.want
		}
	}
	c, err := LoadEnv("", environ)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	flatten("", c.Map(), got)
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: read back %q, want %q", k, got[k], w)
		}
	}
	if len(want) < 50 {
		t.Fatalf("only %d keys set from the environment", len(want))
	}
	s := standaloneValues["redis.url"]
	c, err = LoadEnv("", []string{EnvName("redis.url") + "=" + s.set})
	if err != nil || c.Redis.URL != s.set || !c.Redis.UsesTLS() || c.Embedded() {
		t.Fatalf("PUSHD_REDIS_URL: %v %+v", err, c)
	}
}

// TestVendorEndpointFromEnvironmentAlone is the case: with no file,
// PUSHD_VENDORS_APNS_ENDPOINT points APNs at a fake.
func TestVendorEndpointFromEnvironmentAlone(t *testing.T) {
	c, err := LoadEnv("", []string{"PUSHD_VENDORS_APNS_ENDPOINT=https://127.0.0.1:8443",
		"PUSHD_VENDORS_HUAWEI_AUTH_ENDPOINT=https://127.0.0.1:8444/oauth2/v3/token",
		"PUSHD_WORKER_VENDOR_CONCURRENCY_APNS=12"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Vendors["apns"].Endpoint != "https://127.0.0.1:8443" || c.Vendors["huawei"].AuthEndpoint != "https://127.0.0.1:8444/oauth2/v3/token" ||
		c.Worker.VendorConcurrency["apns"] != 12 {
		t.Fatalf("vendors %+v concurrency %v", c.Vendors, c.Worker.VendorConcurrency)
	}
}

// documentedKeys returns the leaf keys of the example file.
func documentedKeys(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile("pushd.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	flat := map[string]string{}
	flatten("", m, flat)
	out := map[string]bool{}
	for k := range flat {
		out[k] = true
	}
	return out
}

// TestEveryDocumentedKeyIsSettable checks both ways: every key of the
// example file is a key the environment sets (alone, or within a
// PUSHD_CONFIG_JSON key), and every key of Config is documented there.
func TestEveryDocumentedKeyIsSettable(t *testing.T) {
	keys := Keys()
	byName := map[string]Key{}
	for _, k := range keys {
		byName[k.Name] = k
	}
	documented := documentedKeys(t)
	for d := range documented {
		if _, ok := byName[d]; ok {
			continue
		}
		if !underJSONKey(d, keys) {
			t.Errorf("documented key %s is neither a PUSHD_ variable nor within a PUSHD_CONFIG_JSON key", d)
		}
	}
	for _, k := range keys {
		if k.Env == "" {
			if !documented[k.Name] && !hasPrefix(documented, k.Name+".") {
				t.Errorf("%s (PUSHD_CONFIG_JSON) is not documented in pushd.example.yaml", k.Name)
			}
			continue
		}
		if !documented[k.Name] && !documentedForSomeVendor(k.Name, documented) {
			t.Errorf("%s (%s) is not documented in pushd.example.yaml", k.Name, k.Env)
		}
	}
}

func underJSONKey(d string, keys []Key) bool {
	for _, k := range keys {
		if k.Env == "" && (d == k.Name || strings.HasPrefix(d, k.Name+".")) {
			return true
		}
	}
	return false
}

func hasPrefix(set map[string]bool, p string) bool {
	for k := range set {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// documentedForSomeVendor accepts vendors.<v>.<field> documented for any
// vendor, and worker.vendor_concurrency.<v> documented for any vendor.
func documentedForSomeVendor(key string, documented map[string]bool) bool {
	for _, v := range vendorNames() {
		for _, other := range vendorNames() {
			if strings.Contains(key, "."+v) && documented[strings.Replace(key, "."+v, "."+other, 1)] {
				return true
			}
		}
	}
	return false
}

// Every variable name is one key's: no two keys share a variable.
func TestEnvNamesAreUnique(t *testing.T) {
	seen := map[string]string{}
	for _, k := range Keys() {
		if k.Env == "" {
			continue
		}
		if other, ok := seen[k.Env]; ok {
			t.Errorf("%s and %s both map to %s", k.Name, other, k.Env)
		}
		seen[k.Env] = k.Name
	}
}

// TestConfigJSON sets the map- and list-shaped keys through
// PUSHD_CONFIG_JSON, merged over the file: the file's apps and limits stay,
// the JSON's are added, its tokens replace the file's, and a single
// variable still wins over both.
func TestConfigJSON(t *testing.T) {
	js := `{"tokens":[{"name":"env-ops","token":"0a1b2c3d4e5f60718293a4b5","role":"admin"}],
	 "apps":{"app2":{"locale":"en","default_title":"Hi"}},
	 "limits":{"apps":{"app2":{"max_devices":9}}},
	 "worker":{"rate_limits":{"12":40},"max_jobs":50}}`
	c, err := LoadEnv(exampleWithTokens(t), []string{EnvConfigJSON + "=" + js, "PUSHD_WORKER_MAX_JOBS=60"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Tokens) != 1 || c.Tokens[0].Name != "env-ops" || c.Tokens[0].Role != RoleAdmin {
		t.Errorf("tokens: %+v", c.Tokens)
	}
	if c.Apps["app2"]["default_title"] != "Hi" || c.Apps["1400000001"]["locale"] != "zh-Hans" {
		t.Errorf("apps: %v", c.Apps)
	}
	if c.Limits.For("app2").MaxDevices != 9 || c.Limits.For("1400000001").JobsPerSecond != 200 {
		t.Errorf("limits.apps: %+v", c.Limits.Apps)
	}
	if r := c.Worker.CertRateLimits(); r[12] != 40 || r[7] != 50 {
		t.Errorf("rate limits: %v", r)
	}
	if c.Worker.MaxJobs != 60 {
		t.Errorf("PUSHD_WORKER_MAX_JOBS did not win over PUSHD_CONFIG_JSON: %d", c.Worker.MaxJobs)
	}
}

// Unknown keys are errors naming them, in the file, in PUSHD_CONFIG_JSON
// and as variables; a known key beside them would load.
func TestUnknownKeysNamed(t *testing.T) {
	cases := []struct {
		name, yaml string
		environ    []string
		want       []string
	}{
		{"file typo", "redis:\n  mod: cluster\n", nil, []string{"redis.mod: unknown key"}},
		{"file top level", "listn: 127.0.0.1:1\n", nil, []string{"listn: unknown key"}},
		{"vendor field", "vendors:\n  apns: {endpont: x}\n", nil, []string{"vendors.apns.endpont: unknown key"}},
		{"token field", "tokens:\n  - {name: a, token: 0123456789abcdef, role: admin, app: [x]}\n", nil, []string{"tokens[0].app: unknown key"}},
		{"variable typo", "", []string{"PUSHD_REDIS_MOD=cluster"}, []string{"PUSHD_REDIS_MOD"}},
		{"map-shaped variable", "", []string{"PUSHD_WORKER_RATE_LIMITS_7=5"}, []string{"PUSHD_WORKER_RATE_LIMITS_7", EnvConfigJSON}},
		{"json typo", "", []string{EnvConfigJSON + `={"worker":{"max_job":3}}`}, []string{"worker.max_job: unknown key"}},
		{"json not an object", "", []string{EnvConfigJSON + `=[1]`}, []string{EnvConfigJSON}},
		{"all at once", "redis:\n  mod: x\n", []string{"PUSHD_REDIS_MOD=x", "PUSHD_LOG_LEVL=debug"}, []string{"redis.mod", "PUSHD_REDIS_MOD", "PUSHD_LOG_LEVL"}},
	}
	for _, c := range cases {
		file := ""
		if c.yaml != "" {
			file = filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(file, []byte(c.yaml), 0o600)
		}
		_, err := LoadEnv(file, c.environ)
		for _, w := range c.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: got %v, want an error naming %s", c.name, err, w)
			}
		}
	}
	// The CLI's and the harnesses' variables are not configuration.
	if _, err := LoadEnv("", []string{"PUSHD_SERVER=http://x", "PUSHD_TOKEN=t", "PUSHD_TEST_REDIS=127.0.0.1:1", "HOME=/root"}); err != nil {
		t.Fatalf("non-configuration variables refused: %v", err)
	}
}

// TestValidateReportsEveryProblem: three faults, three errors, each naming
// its key.
func TestValidateReportsEveryProblem(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("listen: nope\nworker:\n  concurrency: 0\n  max_jobs: 0\nredis:\n  mode: ring\n"), 0o600)
	_, err := LoadEnv(p, nil)
	if err == nil {
		t.Fatal("loaded")
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) != 4 {
		t.Fatalf("want 4 joined errors, got %v", err)
	}
	for _, k := range []string{"listen", "worker.concurrency", "worker.max_jobs", "redis.mode"} {
		if !strings.Contains(err.Error(), k+":") {
			t.Errorf("%v does not name %s", err, k)
		}
	}
}

func TestRedisTopologies(t *testing.T) {
	ok := map[string]string{
		"standalone":        "redis:\n  url: redis://127.0.0.1:6379/0\n",
		"acl user":          "redis:\n  url: redis://pushd:pw@127.0.0.1:6379/1\n",
		"tls with ca":       "redis:\n  url: rediss://h.example:6380/0\n  ca_file: /etc/ca.pem\n",
		"cluster":           "redis:\n  mode: cluster\n  addrs: [127.0.0.1:7000, 127.0.0.1:7001]\n  password: pw\n",
		"cluster tls":       "redis:\n  mode: cluster\n  addrs: [h:7000]\n  tls: true\n  ca_file: /etc/ca.pem\n",
		"sentinel":          "redis:\n  mode: sentinel\n  addrs: [127.0.0.1:26379]\n  master_name: m\n  sentinel_password: sp\n  db: 2\n",
		"embedded defaults": "log:\n  level: info\n",
	}
	for name, y := range ok {
		p := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(p, []byte(y), 0o600)
		if _, err := LoadEnv(p, nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	bad := map[string]string{
		"redis:\n  mode: cluster\n":                                              "redis.addrs",
		"redis:\n  mode: cluster\n  addrs: [nope]\n":                             "redis.addrs[0]",
		"redis:\n  mode: cluster\n  addrs: [h:1]\n  url: redis://h:1\n":          "redis.url",
		"redis:\n  mode: cluster\n  addrs: [h:1]\n  db: 1\n":                     "redis.db",
		"redis:\n  mode: sentinel\n  addrs: [h:1]\n":                             "redis.master_name",
		"redis:\n  url: http://h:1\n":                                            "redis.url",
		"redis:\n  url: redis://h:1\n  ca_file: /ca.pem\n":                       "redis.ca_file",
		"redis:\n  url: redis://h:1\n  addrs: [h:2]\n":                           "redis.addrs",
		"redis:\n  url: redis-sentinel://h:1\n":                                  "redis.mode",
		"devices:\n  foreground_ttl: 0s\n":                                       "devices.foreground_ttl",
		"devices:\n  binding_ttl: 1m\n":                                          "devices.binding_ttl",
		"redis:\n  mode: cluster\n  addrs: [h:1]\n  master_name: m\n":            "redis.master_name",
		"redis:\n  mode: sentinel\n  addrs: [h:1]\n  master_name: m\n  db: -1\n": "redis.db",
	}
	for y, want := range bad {
		p := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(p, []byte(y), 0o600)
		_, err := LoadEnv(p, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want an error naming %s", y, err, want)
		}
	}
}

// The Redis passwords are redacted like the URL's.
func TestRedactedRedisPasswords(t *testing.T) {
	c := &Config{Redis: Redis{Mode: ModeSentinel, Password: "data-secret-1", SentinelPassword: "sentinel-secret-1"}}
	s := fmt.Sprint(c.Redacted().Map())
	if strings.Contains(s, "data-secret-1") || strings.Contains(s, "sentinel-secret-1") {
		t.Fatal(s)
	}
}

// Keys lists the per-vendor maps for every vendor, and the operator-keyed
// maps as JSON-only keys.
func TestKeysShape(t *testing.T) {
	var json, names []string
	for _, k := range Keys() {
		names = append(names, k.Name)
		if k.Env == "" {
			json = append(json, k.Name)
		}
	}
	sort.Strings(json)
	if want := []string{"apps", "limits.apps", "tokens", "worker.rate_limits"}; !reflect.DeepEqual(json, want) {
		t.Errorf("JSON-only keys %v, want %v", json, want)
	}
	for _, want := range []string{"vendors.huawei.auth_endpoint", "vendors.meizu.allow_addresses", "worker.vendor_concurrency.honor"} {
		if !slicesContains(names, want) {
			t.Errorf("Keys lacks %s", want)
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
