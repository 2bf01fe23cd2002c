package vendors

import (
	"fmt"
	"regexp"
	"sync"
)

// The catalog is the one list of vendors in the program. vendors/registry
// installs it (one line per vendor) when it is initialised; every other
// package reads it through All, Lookup and the helpers below. It is the
// only package-level state of vendors, and it exists because the contract
// package cannot import the adapters (they import it): a test may add a
// throwaway vendor with Register and must remove it again.
var catalog struct {
	mu   sync.RWMutex
	list []Descriptor
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)

// Install makes ds the catalog, in display order, and returns how many
// vendors it holds. It panics on a duplicate or malformed name or a
// descriptor without a Builder: all are wiring bugs.
func Install(ds ...Descriptor) int {
	seen := map[Vendor]bool{}
	for _, d := range ds {
		check(d, seen)
	}
	catalog.mu.Lock()
	defer catalog.mu.Unlock()
	catalog.list = append([]Descriptor(nil), ds...)
	return len(ds)
}

// Register adds d to the catalog and returns the function that removes it
// again (tests register a throwaway vendor this way).
func Register(d Descriptor) (unregister func()) {
	catalog.mu.Lock()
	defer catalog.mu.Unlock()
	seen := map[Vendor]bool{}
	for _, k := range catalog.list {
		seen[k.Name] = true
	}
	check(d, seen)
	catalog.list = append(append([]Descriptor(nil), catalog.list...), d)
	return func() {
		catalog.mu.Lock()
		defer catalog.mu.Unlock()
		var kept []Descriptor
		for _, k := range catalog.list {
			if k.Name != d.Name {
				kept = append(kept, k)
			}
		}
		catalog.list = kept
	}
}

func check(d Descriptor, seen map[Vendor]bool) {
	switch {
	case !nameRE.MatchString(string(d.Name)):
		panic(fmt.Sprintf("vendors: malformed vendor name %q", d.Name))
	case seen[d.Name]:
		panic(fmt.Sprintf("vendors: %s registered twice", d.Name))
	case d.Build == nil:
		panic(fmt.Sprintf("vendors: %s has no Builder", d.Name))
	}
	seen[d.Name] = true
}

// Descriptors returns the catalog, in display order.
func Descriptors() []Descriptor {
	catalog.mu.RLock()
	defer catalog.mu.RUnlock()
	return append([]Descriptor(nil), catalog.list...)
}

// Lookup returns the descriptor of v.
func Lookup(v Vendor) (Descriptor, bool) {
	catalog.mu.RLock()
	defer catalog.mu.RUnlock()
	for _, d := range catalog.list {
		if d.Name == v {
			return d, true
		}
	}
	return Descriptor{}, false
}

// MaxExt is the one ext promise: the largest ext, in bytes, every
// registered vendor carries (the smallest Ext.Limit). A job whose ext is
// larger is refused at decode, whatever phones its recipients have.
func MaxExt() int {
	// Read under the lock without copying the catalog: every job's
	// validation asks.
	catalog.mu.RLock()
	defer catalog.mu.RUnlock()
	max := 0
	for i, d := range catalog.list {
		if i == 0 || d.Ext.Limit < max {
			max = d.Ext.Limit
		}
	}
	return max
}
