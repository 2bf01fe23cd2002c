// Package deploy holds pushd's deployment files: a systemd unit, Prometheus
// alert rules and a Grafana dashboard. Its tests check them with the
// tools that read them (systemd-analyze, promtool) and check that the
// dashboard and the rules name only metrics pushd exports.
package deploy

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// tool returns the path of name, skipping the test when it is absent
// (failing under CI=true, where .ci/run installs it).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (.ci/run installs it)", name)
		}
		t.Skipf("%s not installed", name)
	}
	return p
}

func TestSystemdUnitVerifies(t *testing.T) {
	sa := tool(t, "systemd-analyze")
	unit, err := os.ReadFile("pushd.service")
	if err != nil {
		t.Fatal(err)
	}
	// verify checks that ExecStart is executable: point it at a binary
	// that exists here (this test's own), keeping the arguments.
	self, _ := os.Executable()
	dir := t.TempDir()
	file := filepath.Join(dir, "pushd.service")
	os.WriteFile(file, []byte(strings.Replace(string(unit), "ExecStart=/usr/local/bin/pushd", "ExecStart="+self, 1)), 0o644)
	out, err := exec.Command(sa, "verify", file).CombinedOutput()
	// Without a running systemd (containers), verify still parses the
	// unit; only its own complaints about this unit count.
	var problems []string
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "pushd.service") && !strings.Contains(line, "Failed to") {
			problems = append(problems, line)
		}
	}
	if len(problems) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, strings.Join(problems, "\n"))
	}
	t.Logf("systemd-analyze verify: exit %v, output %q", err, out)
}

func TestAlertRulesCheck(t *testing.T) {
	pt := tool(t, "promtool")
	out, err := exec.Command(pt, "check", "rules", "alerts.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "SUCCESS") {
		t.Fatalf("promtool check rules: %s", out)
	}
}

// exported are the metric families pushd registers (dispatcher/metrics.go,
// dispatcher/guard.go, internal/app/metrics.go and expiry.go).
var exported = []string{"pushd_pushes_total", "pushd_send_duration_seconds", "pushd_inflight", "pushd_send_wait_seconds",
	"pushd_stream_jobs", "pushd_queue_tasks", "pushd_redis_memory_ratio", "pushd_dropped_total", "pushd_intake_refused_total",
	"pushd_bulkhead_held_total", "pushd_cert_expiry_seconds", "pushd_tasks_total", "pushd_warnings_total", "pushd_adapter_panics_total",
	"pushd_low_priority_window"}

var metricName = regexp.MustCompile(`pushd_[a-z_]+`)

// known reports whether m is an exported family or one of its series.
func known(m string) bool {
	for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
		if slices.Contains(exported, strings.TrimSuffix(m, suffix)) && strings.HasSuffix(m, suffix) {
			return true
		}
	}
	return false
}

func TestDashboardAndRulesNameRealMetrics(t *testing.T) {
	b, err := os.ReadFile("grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard is not JSON: %v", err)
	}
	seen := map[string]bool{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range metricName.FindAllString(tg.Expr, -1) {
				if !known(m) {
					t.Errorf("panel %q names %s, which pushd does not export", p.Title, m)
				}
				seen[strings.TrimSuffix(m, "_bucket")] = true
			}
		}
	}
	for _, want := range []string{"pushd_pushes_total", "pushd_send_duration_seconds", "pushd_inflight", "pushd_send_wait_seconds",
		"pushd_stream_jobs", "pushd_queue_tasks", "pushd_redis_memory_ratio", "pushd_dropped_total"} {
		if !seen[want] {
			t.Errorf("the dashboard has no panel over %s", want)
		}
	}
	rules, _ := os.ReadFile("alerts.yml")
	for _, m := range metricName.FindAllString(string(rules), -1) {
		if !known(m) {
			t.Errorf("alerts.yml names %s, which pushd does not export", m)
		}
	}
}
