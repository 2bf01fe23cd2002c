package vendors

import (
	"encoding/json"
	"strings"
	"testing"
)

// jsonCost is ExtCost as encoding/json measures it.
func jsonCost(s string) int {
	b, _ := json.Marshal(s)
	return len(b) - 2
}

func TestExtCostMatchesJSON(t *testing.T) {
	for _, s := range []string{
		"", "plain", `{"bench_t":1733100000000000000}`, `quote " and \ backslash`, "tab\tnew\nline\rcr\bbs\fff",
		"\x00\x01\x1f\x7f", "<b>&amp;</b>", "中文消息 😀", "\u2028\u2029", "bad \xff\xfe utf8", strings.Repeat("é", 1000),
	} {
		if got, want := ExtCost(s), jsonCost(s); got != want {
			t.Errorf("ExtCost(%q) = %d, want %d (encoding/json)", s, got, want)
		}
	}
}

func FuzzExtCost(f *testing.F) {
	for _, s := range []string{"", `{"a":"<b>"}`, "\x00\u2028\xff", "中文"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ExtCost(s), jsonCost(s); got != want {
			t.Fatalf("ExtCost(%q) = %d, want %d (encoding/json)", s, got, want)
		}
	})
}

func BenchmarkExtCost(b *testing.B) {
	ext := `{"bench_t":1733100000000000000,"conversation":"c2c_user42","note":"a <b>line</b>"}`
	for b.Loop() {
		ExtCost(ext)
	}
}
