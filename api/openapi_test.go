package api

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var updateOpenAPI = flag.Bool("update", false, "rewrite docs/openapi.yaml from the route table")

// documented returns the generated document as plain JSON values.
func documented(t *testing.T, f *fixture) map[string]any {
	t.Helper()
	rec := f.do(request("GET", "/v1/openapi.json", "", nil))
	var doc map[string]any
	decode(t, rec, &doc)
	if rec.Code != 200 || doc["openapi"] != "3.1.0" {
		t.Fatalf("GET /v1/openapi.json: %d %v", rec.Code, doc["openapi"])
	}
	return doc
}

// TestOpenAPICoversRoutes walks the route table: every route has its
// entry (summary, schemas) and appears in the document with its role, and
// every entry and every documented operation is a registered route.
func TestOpenAPICoversRoutes(t *testing.T) {
	f := newFixture(t, nil, nil)
	doc := documented(t, f)
	paths := doc["paths"].(map[string]any)
	registered := map[string]bool{}
	for _, rt := range f.srv.table {
		registered[rt.pattern] = true
		if _, ok := apiOps[rt.pattern]; !ok {
			t.Errorf("route %q is not described in apiOps (openapi_ops.go)", rt.pattern)
		}
		m, p := splitPattern(rt.pattern)
		o, ok := paths[p].(map[string]any)[strings.ToLower(m)].(map[string]any)
		if !ok {
			t.Errorf("route %q is missing from the document", rt.pattern)
			continue
		}
		if o["x-pushd-role"] != roleName(rt.role) {
			t.Errorf("%s: role %v, want %s", rt.pattern, o["x-pushd-role"], roleName(rt.role))
		}
	}
	for pattern := range apiOps {
		if !registered[pattern] {
			t.Errorf("apiOps describes %q, which is not a registered route", pattern)
		}
	}
	for p, item := range paths {
		for m := range item.(map[string]any) {
			pattern := strings.ToUpper(m) + " " + p
			if !registered[pattern] && !(p == "/monitoring/" && m == "get" && registered[p]) {
				t.Errorf("the document names %s, which is not a registered route", pattern)
			}
		}
	}
}

// The document in docs/ is the one the server serves (go test ./api/
// -run TestOpenAPIFile -update rewrites it).
func TestOpenAPIFile(t *testing.T) {
	f := newFixture(t, nil, nil)
	doc := documented(t, f)
	const file = "../docs/openapi.yaml"
	if *updateOpenAPI {
		// The version is the build's; the file carries a neutral one.
		doc["info"].(map[string]any)["version"] = "(see GET /v1/version)"
		b, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		head := "# Generated from the route table: go test ./api/ -run TestOpenAPIFile -update\n"
		if err := os.WriteFile(file, append([]byte(head), b...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (generate it with -update)", err)
	}
	var onDisk map[string]any
	if err := yaml.Unmarshal(b, &onDisk); err != nil {
		t.Fatal(err)
	}
	onDisk["info"].(map[string]any)["version"] = doc["info"].(map[string]any)["version"]
	want, _ := json.Marshal(doc)
	got, _ := json.Marshal(normalize(onDisk))
	if string(got) != string(want) {
		t.Fatalf("docs/openapi.yaml is stale: regenerate with go test ./api/ -run TestOpenAPIFile -update")
	}
}

// normalize turns YAML's decoded values into JSON's (numbers as float64).
func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	json.Unmarshal(b, &out)
	return out
}

var readmeJSON = regexp.MustCompile(`(?s)cat > (\w+)\.json <<'JSON'\n(.*?)\nJSON\n`)

// The README's JSON examples validate against the document's schemas,
// and the checker refuses what the server refuses.
func TestREADMEExamplesValidate(t *testing.T) {
	f := newFixture(t, nil, nil)
	doc := documented(t, f)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := readmeJSON.FindAllStringSubmatch(string(readme), -1)
	if len(examples) == 0 {
		t.Fatal("no JSON example found in README.md")
	}
	schemaOf := map[string]string{"job": "Job"}
	for _, ex := range examples {
		name, ok := schemaOf[ex[1]]
		if !ok {
			t.Errorf("README example %s.json: no schema mapped", ex[1])
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(ex[2]), &v); err != nil {
			t.Fatalf("README %s.json: %v", ex[1], err)
		}
		if err := validate(schemas, ref(name), v, ex[1]); err != nil {
			t.Errorf("README %s.json does not validate: %v", ex[1], err)
		}
	}
	bad := []struct{ name, body string }{
		{"unknown key", `{"app_id":"1","msg_id":"m","sender":{"user_id":"u"},"offline_push":{},"colour":"red"}`},
		{"missing app_id", `{"msg_id":"m","sender":{"user_id":"u"},"offline_push":{}}`},
		{"wrong type", `{"app_id":1,"msg_id":"m","sender":{"user_id":"u"},"offline_push":{}}`},
		{"wrong item type", `{"app_id":"1","msg_id":"m","sender":{"user_id":"u"},"offline_push":{},"recipients":[1]}`},
	}
	for _, c := range bad {
		var v any
		json.Unmarshal([]byte(c.body), &v)
		if validate(schemas, ref("Job"), v, "job") == nil {
			t.Errorf("%s: the checker accepted %s", c.name, c.body)
		}
	}
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// validate checks v against schema: $ref, type, required, properties,
// additionalProperties and items (what the document uses).
func validate(defs map[string]any, schema map[string]any, v any, at string) error {
	if r, ok := schema["$ref"].(string); ok {
		return validate(defs, defs[strings.TrimPrefix(r, "#/components/schemas/")].(map[string]any), v, at)
	}
	typ, _ := schema["type"].(string)
	if typ == "" {
		return nil
	}
	if !typeMatches(typ, v) {
		return fmt.Errorf("%s: want %s, got %T", at, typ, v)
	}
	switch typ {
	case "object":
		return validateObject(defs, schema, v.(map[string]any), at)
	case "array":
		items, _ := schema["items"].(map[string]any)
		for i, x := range v.([]any) {
			if err := validate(defs, items, x, fmt.Sprintf("%s[%d]", at, i)); err != nil {
				return err
			}
		}
	}
	return nil
}

func validateObject(defs map[string]any, schema, obj map[string]any, at string) error {
	props, _ := schema["properties"].(map[string]any)
	req, _ := schema["required"].([]any)
	for _, r := range req {
		if _, ok := obj[r.(string)]; !ok {
			return fmt.Errorf("%s: required %s missing", at, r)
		}
	}
	for k, x := range obj {
		ps, ok := props[k].(map[string]any)
		if !ok {
			if extra, ok := schema["additionalProperties"].(map[string]any); ok {
				ps = extra
			} else if schema["additionalProperties"] == false {
				return fmt.Errorf("%s: unknown key %s", at, k)
			}
		}
		if err := validate(defs, ps, x, at+"."+k); err != nil {
			return err
		}
	}
	return nil
}

func typeMatches(typ string, v any) bool {
	switch typ {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		n, ok := v.(float64)
		return ok && n == float64(int64(n))
	case "number":
		_, ok := v.(float64)
		return ok
	}
	return true
}
