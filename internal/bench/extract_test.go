package bench

import (
	"encoding/json"
	"net/url"
	"testing"
	"time"
)

// TestEnqueuedAt finds the enqueue time however a vendor embedded the ext.
func TestEnqueuedAt(t *testing.T) {
	at := time.Unix(1712345678, 901234567)
	ext := ExtFor(at)
	str := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	apns := `{"aps":{"alert":"x"},"ext":` + str(ext) + `}`
	// Huawei/Honor: data is a JSON string holding {"ext": "<ext>"}.
	huawei := `{"message":{"data":` + str(`{"ext":`+str(ext)+`}`) + `,"token":["t"]}}`
	xiaomi := url.Values{"payload": {"x"}, "extra.ext": {ext}, "registration_id": {"r"}}.Encode()
	xiaomiNested := url.Values{"extra.data": {`{"ext":` + str(ext) + `}`}}.Encode()
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"raw", ext, true},
		{"apns", apns, true},
		{"huawei, escaped twice", huawei, true},
		{"xiaomi form", xiaomi, true},
		{"xiaomi form, escaped", xiaomiNested, true},
		{"spaces", `{"bench_t" : 1712345678901234567}`, true},
		{"none", `{"aps":{"alert":"x"}}`, false},
		{"another key", `{"bench_tx":1712345678901234567}`, false},
		{"no number", `{"bench_t":"soon"}`, false},
	}
	for _, tc := range tests {
		got, ok := EnqueuedAt([]byte(tc.body))
		if ok != tc.ok {
			t.Fatalf("%s: found %v, want %v in %s", tc.name, ok, tc.ok, tc.body)
		}
		if tc.ok && tc.name != "spaces" && !got.Equal(at) {
			t.Fatalf("%s: %v, want %v", tc.name, got, at)
		}
	}
}

func FuzzEnqueuedAt(f *testing.F) {
	f.Add([]byte(ExtFor(time.Unix(1, 2))))
	f.Add([]byte(`bench_t%5C%22%3A12`))
	f.Fuzz(func(t *testing.T, b []byte) { EnqueuedAt(b) })
}
