package configs

import (
	"strings"
	"testing"
	"time"

	"github.com/go-viper/mapstructure/v2"

	"github.com/pushd/pushd/dispatcher"
)

// appSettings decodes one app's section the way the app layer does
// (internal/app appSettingsTable) and validates it.
func appSettings(t *testing.T, raw map[string]any) (dispatcher.AppSettings, error) {
	t.Helper()
	s := dispatcher.DefaultAppSettings()
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &s, ErrorUnused: true, WeaklyTypedInput: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(raw); err != nil {
		return s, err
	}
	return s, s.Validate()
}

// TestCoalesceWindowConfig: the example documents apps.<id>.coalesce_window
// off, PUSHD_CONFIG_JSON sets it, and an out-of-range window is refused
// naming the key.
func TestCoalesceWindowConfig(t *testing.T) {
	c, err := Load(exampleWithTokens(t))
	if err != nil {
		t.Fatal(err)
	}
	s, err := appSettings(t, c.Apps["1400000001"])
	if w, _ := s.Coalesce(); err != nil || w != 0 || s.CoalesceWindow != "0s" {
		t.Fatalf("example: coalesce_window %q (%v), %v; want 0s, off", s.CoalesceWindow, w, err)
	}
	js := `{"apps":{"app2":{"coalesce_window":"5s"},"app3":{"coalesce_window":"2h"}}}`
	c, err = LoadEnv(exampleWithTokens(t), []string{EnvConfigJSON + "=" + js})
	if err != nil {
		t.Fatal(err)
	}
	s, err = appSettings(t, c.Apps["app2"])
	if w, _ := s.Coalesce(); err != nil || w != 5*time.Second {
		t.Errorf("app2: window %v, %v; want 5s", w, err)
	}
	if _, err := appSettings(t, c.Apps["app3"]); err == nil || !strings.HasPrefix(err.Error(), "coalesce_window") {
		t.Errorf("app3 (2h): %v, want coalesce_window refused", err)
	}
}
