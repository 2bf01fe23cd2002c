package configs

import (
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/pushd/pushd/vendors"
)

// Vendors are the vendor names vendors.<name> and
// worker.vendor_concurrency.<name> accept.
// The names come from the vendor registry (vendors/registry), the one list
// of vendors.
func vendorNames() []string {
	all := vendors.All()
	out := make([]string, len(all))
	for i, v := range all {
		out[i] = string(v)
	}
	return out
}

// Key is one configuration key and how the environment sets it.
type Key struct {
	// Name is the dotted key, e.g. vendors.apns.endpoint.
	Name string
	// Env is the variable setting it alone, e.g. PUSHD_VENDORS_APNS_ENDPOINT;
	// empty for map- and list-shaped keys keyed by the operator (tokens,
	// apps, limits.apps, worker.rate_limits), which only PUSHD_CONFIG_JSON
	// sets.
	Env string
}

// Keys returns every configuration key, sorted by name: the scalar leaves
// (each with its PUSHD_ variable; the per-vendor maps vendors and
// worker.vendor_concurrency expanded for each vendor) and the map- and
// list-shaped keys only PUSHD_CONFIG_JSON sets.
func Keys() []Key {
	var out []Key
	walkKeys(reflect.TypeOf(Config{}), "", func(name string, envable bool) {
		k := Key{Name: name}
		if envable {
			k.Env = EnvName(name)
		}
		out = append(out, k)
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// EnvName returns the PUSHD_ variable of key: PUSHD_ then the key in upper
// case with dots turned into underscores.
func EnvName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// walkKeys calls fn for every key of struct type t under prefix. A field
// tagged pushd:"per-vendor" is a map keyed by vendor name, expanded for
// each; any other map, and a list of structs, is one JSON-only key.
func walkKeys(t reflect.Type, prefix string, fn func(name string, envable bool)) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "" {
			continue
		}
		name := prefix + tag
		ft := f.Type
		switch {
		case ft.Kind() == reflect.Struct:
			walkKeys(ft, name+".", fn)
		case ft.Kind() == reflect.Map && f.Tag.Get("pushd") == "per-vendor":
			for _, v := range vendorNames() {
				if ft.Elem().Kind() == reflect.Struct {
					walkKeys(ft.Elem(), name+"."+v+".", fn)
				} else {
					fn(name+"."+v, true)
				}
			}
		case ft.Kind() == reflect.Map, ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			fn(name, false)
		default:
			fn(name, true)
		}
	}
}

// unknownKeys returns an error naming each key of settings (a decoded
// file or PUSHD_CONFIG_JSON, nested maps) that t has no field for: a typo
// such as redis.mod must not be ignored silently.
func unknownKeys(settings map[string]any, t reflect.Type, prefix string) []error {
	var errs []error
	fields := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		if tag := t.Field(i).Tag.Get("mapstructure"); tag != "" {
			fields[tag] = t.Field(i)
		}
	}
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f, ok := fields[k]
		if !ok {
			errs = append(errs, fmt.Errorf("%s%s: unknown key", prefix, k))
			continue
		}
		errs = append(errs, unknownIn(settings[k], f.Type, prefix+k)...)
	}
	return errs
}

// unknownIn checks value v decoded for a field of type t named name.
func unknownIn(v any, t reflect.Type, name string) []error {
	switch t.Kind() {
	case reflect.Struct:
		if m, ok := asMap(v); ok {
			return unknownKeys(m, t, name+".")
		}
	case reflect.Map:
		if t.Elem().Kind() != reflect.Struct {
			return nil
		}
		m, _ := asMap(v)
		var errs []error
		for k, sub := range m {
			if sm, ok := asMap(sub); ok {
				errs = append(errs, unknownKeys(sm, t.Elem(), name+"."+k+".")...)
			}
		}
		return errs
	case reflect.Slice:
		if t.Elem().Kind() != reflect.Struct {
			return nil
		}
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			return nil
		}
		var errs []error
		for i := 0; i < rv.Len(); i++ {
			if sm, ok := asMap(rv.Index(i).Interface()); ok {
				errs = append(errs, unknownKeys(sm, t.Elem(), fmt.Sprintf("%s[%d].", name, i))...)
			}
		}
		return errs
	}
	return nil
}

// asMap returns v as a map keyed by strings, whichever decoder made it.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, val := range m {
			out[fmt.Sprint(k)] = val
		}
		return out, true
	}
	return nil, false
}
