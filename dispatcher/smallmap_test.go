package dispatcher

import (
	"fmt"
	"testing"
)

// TestSmallMap compares smallMap with a map through its change from the
// slice to a map.
func TestSmallMap(t *testing.T) {
	var m smallMap[string, int]
	ref := map[string]int{}
	for i := range 3 * smallMapScan {
		k := fmt.Sprintf("k%d", i%(2*smallMapScan))
		m.set(k, i)
		ref[k] = i
		if m.len() != len(ref) {
			t.Fatalf("after %d sets: len %d, want %d", i+1, m.len(), len(ref))
		}
		for rk, rv := range ref {
			if v, ok := m.get(rk); !ok || v != rv {
				t.Fatalf("after %d sets: get(%s) = %d, %v; want %d", i+1, rk, v, ok, rv)
			}
		}
		if _, ok := m.get("absent"); ok {
			t.Fatal("an absent key was found")
		}
	}
	if m.big == nil {
		t.Fatal("past smallMapScan entries the map should have taken over")
	}
}

func TestSmallMapAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		var m smallMap[renderKey, int]
		m.set(renderKey{locale: "en"}, 1)
		if _, ok := m.get(renderKey{locale: "en"}); !ok {
			t.Fatal("lost")
		}
	})
	if allocs > 2 {
		t.Fatalf("one entry costs %v allocations, want at most 2 (its key and value slices)", allocs)
	}
}
