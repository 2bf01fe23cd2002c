package dispatcher

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/vendors"
)

// TestExtPromise: the largest ext every vendor carries is accepted at
// decode and renders on every vendor; one byte more is a FieldError naming
// offline_push.ext and the limit (issue 12).
func TestExtPromise(t *testing.T) {
	max := MaxExt()
	if max != 1021 {
		t.Fatalf("MaxExt = %d, want vivo's 1021 (1024 characters of clientCustomMap less the key)", max)
	}
	job := func(ext string) []byte {
		return []byte(`{"app_id":"1","msg_id":"m","recipients":["u"],"elems":[{"type":"text","text":"hi"}],"offline_push":{"ext":"` + ext + `"}}`)
	}
	j, err := DecodeJob(job(strings.Repeat("e", max)), time.Now())
	if err != nil {
		t.Fatalf("largest ext refused: %v", err)
	}
	for _, v := range vendors.All() {
		if n, err := Render(j, RenderInput{Vendor: v, App: DefaultAppSettings()}); err != nil || len(n.Ext) != max {
			t.Errorf("%s: render the largest ext: %v", v, err)
		}
	}
	// The promise holds with any text and the longest sound a plain job
	// may have: decoding skips rendering such jobs for every vendor.
	long := *j
	long.Elems = []Elem{{Type: ElemText, Text: strings.Repeat("长", 5000)}}
	long.OfflinePush.Title = strings.Repeat("T", 500)
	long.OfflinePush.IOSSound = strings.Repeat("s", maxPlainSound)
	if !long.plainOptions() {
		t.Fatal("the long job is not plain")
	}
	for _, v := range vendors.All() {
		if _, err := Render(&long, RenderInput{Vendor: v, App: DefaultAppSettings()}); err != nil {
			t.Errorf("%s: the largest ext with long text and the longest plain sound: %v", v, err)
		}
	}
	_, err = DecodeJob(job(strings.Repeat("e", max+1)), time.Now())
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "offline_push.ext" || !strings.Contains(err.Error(), "1021") {
		t.Fatalf("one byte more: %v, want a FieldError on offline_push.ext naming 1021", err)
	}
}
