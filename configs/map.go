package configs

import (
	"reflect"
	"time"
)

// Map returns c as nested maps keyed by the config keys, durations written
// as "25s": the shape `pushd config print` shows. Call it on Redacted().
func (c *Config) Map() map[string]any {
	return structMap(reflect.ValueOf(*c))
}

func structMap(v reflect.Value) map[string]any {
	m := map[string]any{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		key := t.Field(i).Tag.Get("mapstructure")
		if key == "" {
			continue
		}
		m[key] = value(v.Field(i))
	}
	return m
}

func value(v reflect.Value) any {
	if d, ok := v.Interface().(time.Duration); ok {
		return d.String()
	}
	switch v.Kind() {
	case reflect.Struct:
		return structMap(v)
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = value(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = value(v.MapIndex(k))
		}
		return out
	}
	return v.Interface()
}
