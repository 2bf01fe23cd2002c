package dispatcher

import (
	"bytes"
	"unicode/utf8"
)

// plainKeys reports, in one pass and without allocating, that body needs
// none of CheckKeys' findings: it is valid UTF-8, nested at most
// maxJSONDepth deep, and no object repeats a key or has a key with an
// upper-case letter or an escape. Every field name of the job contract is
// lower case, so such a body cannot hold a case-variant key either. A body
// it is unsure of goes to CheckKeys, which names the path at fault.
//
// It assumes well-formed JSON; malformed input only makes it answer false
// (or pass it to the decoder, which reports the syntax error).
func plainKeys(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	var s keyScan
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{', '[':
			if !s.open(c == '{') {
				return false
			}
		case '}', ']':
			s.close()
		case ',':
			s.comma()
		case '"':
			end := stringEnd(b, i)
			if end < 0 {
				return false
			}
			if s.wantKey() && !s.key(b, i+1, end) {
				return false
			}
			i = end
		}
	}
	return true
}

// keyScan is plainKeys' state: the open containers and the keys of the
// open objects, as offsets into the body.
type keyScan struct {
	depth  int
	object [maxJSONDepth + 1]bool
	expect [maxJSONDepth + 1]bool
	start  [maxJSONDepth + 1]int // first key of each level in keys
	keys   [][2]int
}

func (s *keyScan) open(object bool) bool {
	if s.depth >= maxJSONDepth {
		return false
	}
	s.depth++
	s.object[s.depth], s.expect[s.depth], s.start[s.depth] = object, object, len(s.keys)
	return true
}

func (s *keyScan) close() {
	if s.depth > 0 {
		s.keys = s.keys[:s.start[s.depth]]
		s.depth--
	}
}

func (s *keyScan) comma() {
	if s.depth > 0 && s.object[s.depth] {
		s.expect[s.depth] = true
	}
}

func (s *keyScan) wantKey() bool { return s.depth > 0 && s.object[s.depth] && s.expect[s.depth] }

// key checks the key b[from:to] against its siblings.
func (s *keyScan) key(b []byte, from, to int) bool {
	s.expect[s.depth] = false
	k := b[from:to]
	for _, c := range k {
		if c == '\\' || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	for _, o := range s.keys[s.start[s.depth]:] {
		if bytes.Equal(b[o[0]:o[1]], k) {
			return false
		}
	}
	s.keys = append(s.keys, [2]int{from, to})
	return true
}

// stringEnd returns the index of the quote closing the string that opens
// at b[i], or -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}
