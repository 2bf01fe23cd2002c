package dispatcher

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"
)

// slowCheckKeys is CheckKeys without its fast path.
func slowCheckKeys(b []byte) error {
	w := keyWalker{dec: json.NewDecoder(bytes.NewReader(b)), utf8: !utf8.Valid(b), root: deref(reflect.TypeOf(&Job{}))}
	return w.walk()
}

var keyCases = []struct {
	body  string
	plain bool
}{
	{`{"app_id":"1","msg_id":"m","devices":[{"cert_id":1,"token":"t"}],"offline_push":{"ext":"{\"a\":1,\"a\":2}"}}`, true},
	{`{"app_id":"1","app_id":"2"}`, false},
	{`{"app_id":"1","App_ID":"2"}`, false},
	{`{"App_ID":"1"}`, false},
	{`{"devices":[{"token":"a","token":"b"}]}`, false},
	{`{"devices":[{"token":"a"},{"token":"b"}]}`, true},
	{`{"a\u005fid":"x"}`, false},
	{`{"elems":[{"type":"text","text":"\"quoted\" {,} [x]"}],"msg_id":"m"}`, true},
	{"{\"app_id\":\"\xff\"}", false},
}

func TestPlainKeys(t *testing.T) {
	for _, c := range keyCases {
		if got := plainKeys([]byte(c.body)); got != c.plain {
			t.Errorf("plainKeys(%s) = %v, want %v", c.body, got, c.plain)
		}
		if c.plain {
			if err := slowCheckKeys([]byte(c.body)); err != nil {
				t.Errorf("%s: plain, but the full check says %v", c.body, err)
			}
		}
	}
}

// Whatever the fast path lets through, the full check lets through too.
func FuzzPlainKeys(f *testing.F) {
	for _, c := range keyCases {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if plainKeys(b) && json.Valid(b) {
			if err := slowCheckKeys(b); err != nil {
				t.Fatalf("plainKeys passed %q, the full check refuses it: %v", b, err)
			}
		}
	})
}
