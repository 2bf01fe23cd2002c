package app

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// The one ext promise (issue 12, "Done means"): a job with the largest
// ext the API accepts, dispatcher.MaxExt(), reaches all eight vendors'
// fakes and each accepts it, ext intact, whether ext is plain text or a
// JSON object; one byte more is a 400 naming offline_push.ext and the
// limit, before anything is queued.
func TestLargestExtReachesAllEightVendorsAndOneMoreIs400(t *testing.T) {
	h := newHarness(t)
	var users []string
	for i, v := range vendors.All() {
		cert := h.addVendor(testApp, v)
		u := "u-ext-" + string(v)
		users = append(users, u)
		tok := deviceToken(v, i)
		h.bind(testApp, u, cert, tok, "")
		// A badge too (Huawei, Honor, APNs): the payload at its fullest.
		h.background(testApp, u, cert, tok, 2)
	}
	limit := dispatcher.MaxExt()
	if limit <= 0 || limit != vendors.MaxExt() {
		t.Fatalf("MaxExt %d, vendors.MaxExt %d", limit, vendors.MaxExt())
	}
	jsonExt := `{"conv":"` + strings.Repeat("j", limit-vendors.ExtCost(`{"conv":""}`)) + `"}`
	if vendors.ExtCost(jsonExt) != limit {
		t.Fatalf("JSON ext costs %d, want %d", vendors.ExtCost(jsonExt), limit)
	}
	cases := []struct{ name, ext string }{
		{"plain", strings.Repeat("x", limit)},
		{"json", jsonExt},
	}
	for i, c := range cases {
		msg := "ext-max-" + strconv.Itoa(i)
		job := groupJob(msg, users)
		job["offline_push"] = map[string]any{"title": grpTitle, "ext": c.ext}
		h.enqueue(job)
		evs := h.waitDone(testApp, msg, 30*time.Second)
		if got, n := countEvents(evs), len(vendors.All()); got["sent"] != n || len(evs) != n {
			t.Fatalf("%s: events %v, want %d sent", c.name, got, n)
		}
		for _, v := range vendors.All() {
			reqs := sends(h.sb, v)
			if len(reqs) != i+1 || reqs[i].Status != http.StatusOK {
				t.Fatalf("%s %s: %d send requests, last %+v; want request %d accepted", c.name, v, len(reqs), reqs[len(reqs)-1], i+1)
			}
			if got, want := extOf(t, v, reqs[i]), wantExt(v, c.ext); got != want {
				t.Errorf("%s %s: ext of %d bytes arrived as %d bytes (want %d)", c.name, v, len(c.ext), len(got), len(want))
			}
		}
	}

	job := groupJob("ext-max-plus-one", users)
	job["offline_push"] = map[string]any{"title": grpTitle, "ext": strings.Repeat("x", limit+1)}
	err := h.client.Do(context.Background(), http.MethodPost, "/v1/messages", job, nil)
	se, ok := err.(*api.StatusError)
	if !ok || se.Status != http.StatusBadRequest || se.Body.Field != "offline_push.ext" ||
		!strings.Contains(se.Body.Error, strconv.Itoa(limit)) {
		t.Fatalf("ext of %d bytes: %v, want a 400 on offline_push.ext naming %d", limit+1, err, limit)
	}
	if evs := h.eventsOf(testApp, "ext-max-plus-one"); len(evs) != 0 {
		t.Fatalf("refused job has events %v", evs)
	}
}

// extOf is the ext a vendor request carries, read as checkVendorRequest
// reads it.
func extOf(t *testing.T, v vendors.Vendor, r fake.Recorded) string {
	t.Helper()
	return vendorFields(t, v, r).ext
}

// wantExt is ext as v carries it: OPPO wraps an ext that is not a JSON
// object in {"ext": …}.
func wantExt(v vendors.Vendor, ext string) string {
	if v == vendors.OPPO && !strings.HasPrefix(ext, "{") {
		return `{"ext":"` + ext + `"}`
	}
	return ext
}
