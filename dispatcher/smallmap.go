package dispatcher

// smallMap is a map for the few keys one job's resolution caches (its
// certificates, the recipients' locales, its renders): the first
// smallMapScan entries are kept in a slice searched in order, which costs
// no hashing and one small allocation, and a map is built only past them.
// A one-device job, the usual chat offline push, used to allocate three
// maps for one entry each. The zero value is empty and ready.
type smallMap[K comparable, V any] struct {
	keys []K
	vals []V
	big  map[K]V
}

// smallMapScan is how many entries are searched in order before a map
// takes over.
const smallMapScan = 8

func (m *smallMap[K, V]) get(k K) (V, bool) {
	if m.big != nil {
		v, ok := m.big[k]
		return v, ok
	}
	for i := range m.keys {
		if m.keys[i] == k {
			return m.vals[i], true
		}
	}
	var zero V
	return zero, false
}

// set adds or replaces k.
func (m *smallMap[K, V]) set(k K, v V) {
	if m.big != nil {
		m.big[k] = v
		return
	}
	for i := range m.keys {
		if m.keys[i] == k {
			m.vals[i] = v
			return
		}
	}
	if len(m.keys) < smallMapScan {
		m.keys, m.vals = append(m.keys, k), append(m.vals, v)
		return
	}
	m.big = make(map[K]V, 2*smallMapScan)
	for i := range m.keys {
		m.big[m.keys[i]] = m.vals[i]
	}
	m.big[k] = v
	m.keys, m.vals = nil, nil
}

// len is the number of entries.
func (m *smallMap[K, V]) len() int {
	if m.big != nil {
		return len(m.big)
	}
	return len(m.keys)
}
