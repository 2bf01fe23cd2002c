package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"time"
)

// The OpenAPI 3.1 description of the API (GET /v1/openapi.json and
// docs/openapi.yaml) is generated from the route table: every registered
// route is described by its entry in apiOps (openapi_ops.go), its role and
// checks come from the route itself, and its schemas are derived from the
// Go types the handlers decode and answer, so the document cannot drift
// from the code. TestOpenAPICoversRoutes fails when a route has no entry
// or an entry names no route.

// op describes one route for the document.
type op struct {
	summary string
	tag     string
	// req is a value of the JSON body's type, nil for none.
	req any
	// resp is a value of the answer's type; status is its status (200
	// when zero). html routes answer text/html instead.
	resp   any
	status int
	html   bool
	// query lists the query parameters as name → description.
	query map[string]string
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// openAPI builds the document of the routes s registers.
func (s *Server) openAPI() map[string]any {
	sg := &schemaGen{defs: map[string]any{}}
	sg.ref(reflect.TypeOf(ErrorBody{}))
	paths := map[string]any{}
	for _, rt := range s.table {
		method, path := splitPattern(rt.pattern)
		o, ok := apiOps[rt.pattern]
		if !ok {
			o = op{summary: "undocumented route", tag: "undocumented"}
		}
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[strings.ToLower(method)] = sg.operation(rt, o, path)
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": "pushd", "version": BuildVersion().Version,
			"description": "Offline push dispatcher for instant-messaging backends. Roles: enqueue < admin; x-pushd-role names the weakest role a route admits, x-pushd-all-apps marks routes a token limited to apps may not call."},
		"paths": paths,
		"components": map[string]any{
			"schemas": sg.defs,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "An API token from the configuration (tokens:)."},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": sessionCookie, "description": "The console's session, from signing in at /console/login with an API token."},
			},
		},
	}
}

// splitPattern splits "GET /v1/x" into its method and path; a pattern
// without a method (a mounted handler) is described as GET.
func splitPattern(p string) (method, path string) {
	if m, rest, ok := strings.Cut(p, " "); ok {
		return m, rest
	}
	return "GET", p
}

func (sg *schemaGen) operation(rt route, o op, path string) map[string]any {
	out := map[string]any{"summary": o.summary, "tags": []string{o.tag}, "operationId": operationID(rt.pattern),
		"x-pushd-role": roleName(rt.role)}
	if rt.allApps {
		out["x-pushd-all-apps"] = true
	}
	var params []any
	for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
		params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, name := range sortedKeys(o.query) {
		params = append(params, map[string]any{"name": name, "in": "query", "description": o.query[name], "schema": map[string]any{"type": "string"}})
	}
	if params != nil {
		out["parameters"] = params
	}
	if o.req != nil {
		out["requestBody"] = map[string]any{"required": true, "content": map[string]any{
			"application/json": map[string]any{"schema": sg.ref(reflect.TypeOf(o.req))}}}
	}
	out["responses"] = sg.responses(rt, o)
	if rt.role != RoleNone {
		out["security"] = []any{map[string]any{"bearer": []string{}}, map[string]any{"session": []string{}}}
	}
	return out
}

func (sg *schemaGen) responses(rt route, o op) map[string]any {
	status := o.status
	if status == 0 {
		status = http.StatusOK
	}
	ok := map[string]any{"description": http.StatusText(status)}
	switch {
	case o.html:
		ok["content"] = map[string]any{"text/html": map[string]any{"schema": map[string]any{"type": "string"}}}
	case o.resp != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": sg.ref(reflect.TypeOf(o.resp))}}
	}
	out := map[string]any{itoa(status): ok}
	errRef := map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ErrorBody"}}}
	add := func(code int, why string) { out[itoa(code)] = map[string]any{"description": why, "content": errRef} }
	add(http.StatusInternalServerError, "server error: a generic message and the request id")
	if o.req != nil || rt.json {
		add(http.StatusBadRequest, "invalid input: the message and the field at fault")
	}
	if rt.json {
		add(http.StatusUnsupportedMediaType, "the body was not sent as application/json")
	}
	if rt.role != RoleNone {
		add(http.StatusUnauthorized, "missing or invalid bearer token (or console session)")
		add(http.StatusForbidden, "the token's role, or its apps, do not allow this")
	}
	return out
}

func roleName(r Role) string {
	switch r {
	case RoleEnqueue:
		return "enqueue"
	case RoleAdmin:
		return "admin"
	}
	return "none"
}

// operationID turns "GET /v1/certs/{id}" into "get_v1_certs_id".
func operationID(pattern string) string {
	m, p := splitPattern(pattern)
	id := strings.ToLower(m) + strings.NewReplacer("/", "_", "{", "", "}", "", ":", "_", "-", "_", ".", "_").Replace(p)
	return strings.TrimRight(id, "_")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// schemaGen derives JSON schemas from Go types: a struct is an object of
// its JSON fields (required unless omitempty, no other keys, as the
// strict decoder demands), named in components.schemas.
type schemaGen struct {
	defs map[string]any
}

var (
	timeType = reflect.TypeOf(time.Time{})
	rawType  = reflect.TypeOf(json.RawMessage{})
)

// ref returns the schema of t, a $ref for named structs.
func (sg *schemaGen) ref(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType, t.Kind() == reflect.Interface:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Struct:
		name := t.Name()
		if _, ok := sg.defs[name]; !ok {
			sg.defs[name] = map[string]any{} // breaks cycles
			sg.defs[name] = sg.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return map[string]any{"type": "string", "contentEncoding": "base64"}
		}
		return map[string]any{"type": "array", "items": sg.ref(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": sg.ref(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	}
	return map[string]any{"type": "integer"}
}

// object describes struct t, embedded structs' fields inlined.
func (sg *schemaGen) object(t reflect.Type) map[string]any {
	props, req := map[string]any{}, []string{}
	sg.fields(t, props, &req)
	out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(req) > 0 {
		out["required"] = req
	}
	return out
}

func (sg *schemaGen) fields(t reflect.Type, props map[string]any, req *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			sg.fields(f.Type, props, req)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = sg.ref(f.Type)
		// A nested object may be left out of a request (it decodes to its
		// zero value), so only scalar and list fields without omitempty
		// are required.
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") &&
			f.Type.Kind() != reflect.Pointer && f.Type.Kind() != reflect.Struct {
			*req = append(*req, name)
		}
	}
	// A field shadowed by an outer one of the same JSON name appears once.
	*req = dedupe(*req)
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (s *Server) getOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openAPI())
}
