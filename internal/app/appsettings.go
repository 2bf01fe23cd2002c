package app

import (
	"fmt"
	"sort"

	"github.com/go-viper/mapstructure/v2"

	"github.com/pushd/pushd/dispatcher"
)

// appSettingsTable decodes the config's apps section onto the defaults, so
// an omitted key keeps its default, and validates every app.
func appSettingsTable(raw map[string]map[string]any) (map[string]dispatcher.AppSettings, error) {
	out := make(map[string]dispatcher.AppSettings, len(raw))
	ids := make([]string, 0, len(raw))
	for id := range raw {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s := dispatcher.DefaultAppSettings()
		dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &s, ErrorUnused: true, WeaklyTypedInput: true})
		if err != nil {
			return nil, err
		}
		if err := dec.Decode(raw[id]); err != nil {
			return nil, fmt.Errorf("apps.%s: %w", id, err)
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("apps.%s.%w", id, err)
		}
		out[id] = s
	}
	return out, nil
}
