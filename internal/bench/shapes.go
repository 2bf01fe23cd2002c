package bench

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pushd/pushd/vendors"
)

// The bench's jobs, in the shape of SPEC §3.3 as the public API takes
// them: local types, so the bench keeps measuring the black box whatever
// the engine's own types become.
type (
	jobBody struct {
		AppID       string      `json:"app_id"`
		MsgID       string      `json:"msg_id"`
		Sender      sender      `json:"sender"`
		Recipients  []string    `json:"recipients,omitempty"`
		Devices     []jobDevice `json:"devices,omitempty"`
		Group       *jobGroup   `json:"group,omitempty"`
		Elems       []jobElem   `json:"elems"`
		OfflinePush offlinePush `json:"offline_push"`
		Priority    string      `json:"priority,omitempty"`
	}
	sender struct {
		UserID   string `json:"user_id"`
		Nickname string `json:"nickname"`
	}
	jobDevice struct {
		CertID int64  `json:"cert_id"`
		Token  string `json:"token"`
	}
	jobGroup struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
	}
	jobElem struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	offlinePush struct {
		Ext string `json:"ext"`
	}
)

// Shapes.
const (
	ShapeSingle     = "single"
	ShapeFanout     = "fanout"
	ShapeBatch      = "batch"
	ShapeRecipients = "recipients"
	ShapeFair       = "fair"
)

// Sizes of the shapes.
const (
	fanoutDevices  = 1000 // APNs devices per fan-out job
	groupSize      = 1000 // recipients per batch (group) job
	recipientUsers = 1000 // registered users of the recipients shape
	fairBulkJobs   = 100  // the bulk app's low-priority jobs of groupSize recipients each
)

// shape builds a run's jobs: setup registers what they need (not timed),
// job returns job i, and devices the deliveries it should make per vendor.
type shape struct {
	defaultJobs int
	setup       func(ctx context.Context, e *env) error
	job         func(e *env, i int) jobBody
	devices     func(e *env, i int) map[vendors.Vendor]int
	// burst jobs (0..burst-1) are posted first, at once and unstamped
	// (their latency is not measured); the rest follow at --rate.
	burst int
}

// shapeOf returns the named shape; slow is the vendor that alternates with
// APNs in the bulkhead scenario ("" for none), single shape only.
func shapeOf(name string, slow vendors.Vendor) (shape, error) {
	switch name {
	case ShapeSingle:
		return singleShape(slow), nil
	case ShapeFanout:
		return fanoutShape(), nil
	case ShapeBatch:
		return batchShape(), nil
	case ShapeRecipients:
		return recipientsShape(), nil
	case ShapeFair:
		return fairShape(), nil
	}
	return shape{}, fmt.Errorf("--shape must be single, fanout, batch, recipients or fair, got %q", name)
}

// baseJob is job i with the bench's sender and text.
func (e *env) baseJob(i int) jobBody {
	return jobBody{AppID: e.app, MsgID: fmt.Sprintf("%s-%d", e.prefix, i),
		Sender: sender{UserID: "bench-sender", Nickname: "Bench"},
		Elems:  []jobElem{{Type: "text", Text: "See you at 8"}}}
}

// singleShape: one device per job, APNs; with slow set, even jobs go to
// the slow vendor and odd ones to APNs.
func singleShape(slow vendors.Vendor) shape {
	vendorOf := func(i int) vendors.Vendor {
		if slow != "" && i%2 == 0 {
			return slow
		}
		return vendors.APNs
	}
	return shape{defaultJobs: 20000,
		setup: func(context.Context, *env) error { return nil },
		job: func(e *env, i int) jobBody {
			j, v := e.baseJob(i), vendorOf(i)
			j.Devices = []jobDevice{{CertID: e.certs[v], Token: Token(v, e.offset+i)}}
			return j
		},
		devices: func(_ *env, i int) map[vendors.Vendor]int { return map[vendors.Vendor]int{vendorOf(i): 1} },
	}
}

// fanoutShape: 1000 explicit APNs devices per job.
func fanoutShape() shape {
	return shape{defaultJobs: 50,
		setup: func(context.Context, *env) error { return nil },
		job: func(e *env, i int) jobBody {
			j := e.baseJob(i)
			j.Devices = make([]jobDevice, fanoutDevices)
			for k := range j.Devices {
				j.Devices[k] = jobDevice{CertID: e.certs[vendors.APNs], Token: Token(vendors.APNs, (e.offset+i)*fanoutDevices+k)}
			}
			return j
		},
		devices: func(*env, int) map[vendors.Vendor]int { return map[vendors.Vendor]int{vendors.APNs: fanoutDevices} },
	}
}

// fairShape: a second app (the bulk app) queues 100 low-priority jobs to
// the same 1 000 registered users (100 000 recipients, one APNs device
// each) at once, then the bench's app sends one-to-one jobs of one APNs
// device at --rate: their latency, against `--shape single` at the same
// rate, is what the bulk costs them (issue 13's fairness figure).
func fairShape() shape {
	user := func(k int) string { return fmt.Sprintf("bulk-user-%04d", k) }
	return shape{defaultJobs: fairBulkJobs + 1000, burst: fairBulkJobs,
		setup: func(ctx context.Context, e *env) error {
			if err := e.uploadBulkCert(ctx); err != nil {
				return err
			}
			bulk := *e
			bulk.app, bulk.certs = e.bulkApp(), map[vendors.Vendor]int64{vendors.APNs: e.bulkCert}
			bs := make([]binding, groupSize)
			for k := range bs {
				bs[k] = binding{user: user(k), vendor: vendors.APNs, token: Token(vendors.APNs, 2_000_000+k)}
			}
			return bulk.bindAll(ctx, bs, nil)
		},
		job: func(e *env, i int) jobBody {
			j := e.baseJob(i)
			if i < fairBulkJobs {
				j.AppID, j.Priority = e.bulkApp(), "low"
				j.Group = &jobGroup{ID: "bulk", Name: "Bulk", Type: "Public"}
				j.Recipients = make([]string, groupSize)
				for k := range j.Recipients {
					j.Recipients[k] = user(k)
				}
				return j
			}
			j.Devices = []jobDevice{{CertID: e.certs[vendors.APNs], Token: Token(vendors.APNs, e.offset+i)}}
			return j
		},
		devices: func(_ *env, i int) map[vendors.Vendor]int {
			if i < fairBulkJobs {
				return map[vendors.Vendor]int{vendors.APNs: groupSize}
			}
			return map[vendors.Vendor]int{vendors.APNs: 1}
		},
	}
}

// batchVendor is the vendor of batch job i: Xiaomi and Huawei alternate.
func batchVendor(i int) vendors.Vendor {
	if i%2 == 0 {
		return vendors.Xiaomi
	}
	return vendors.Huawei
}

// batchUser is the k-th group member bound to v.
func batchUser(v vendors.Vendor, k int) string { return fmt.Sprintf("%s-member-%04d", v, k) }

// batchShape: group jobs of 1000 recipients, each bound to one Xiaomi or
// one Huawei device, alternating; the vendors take 1000 tokens a request.
func batchShape() shape {
	return shape{defaultJobs: 200,
		setup: func(ctx context.Context, e *env) error {
			var bs []binding
			for _, v := range []vendors.Vendor{vendors.Xiaomi, vendors.Huawei} {
				for k := range groupSize {
					bs = append(bs, binding{user: batchUser(v, k), vendor: v, token: Token(v, k)})
				}
			}
			return e.bindAll(ctx, bs, nil)
		},
		job: func(e *env, i int) jobBody {
			j, v := e.baseJob(i), batchVendor(i)
			j.Group = &jobGroup{ID: "bench-" + string(v), Name: "Bench " + string(v), Type: "Work"}
			j.Recipients = make([]string, groupSize)
			for k := range j.Recipients {
				j.Recipients[k] = batchUser(v, k)
			}
			return j
		},
		devices: func(_ *env, i int) map[vendors.Vendor]int { return map[vendors.Vendor]int{batchVendor(i): groupSize} },
	}
}

// recipientVendor is the vendor of the device registered for user k.
func recipientVendor(k int) vendors.Vendor {
	if k%2 == 0 {
		return vendors.APNs
	}
	return vendors.Huawei
}

// recipientsShape: one-to-one jobs to 1000 registered users in turn, half
// on APNs and half on Huawei, every other one with its own settings
// (sound, locale); badges count up in the registry.
func recipientsShape() shape {
	user := func(k int) string { return fmt.Sprintf("bench-user-%04d", k) }
	return shape{defaultJobs: 10000,
		setup: func(ctx context.Context, e *env) error {
			bs := make([]binding, recipientUsers)
			for k := range bs {
				v := recipientVendor(k)
				bs[k] = binding{user: user(k), vendor: v, token: Token(v, 100000+k)}
			}
			settings := map[string]any{"c2c_sound": "ding.caf", "locale": "en"}
			return e.bindAll(ctx, bs, func(k int) any {
				if k%4 < 2 {
					return settings
				}
				return nil
			})
		},
		job: func(e *env, i int) jobBody {
			j := e.baseJob(i)
			j.Recipients = []string{user(i % recipientUsers)}
			return j
		},
		devices: func(_ *env, i int) map[vendors.Vendor]int {
			return map[vendors.Vendor]int{recipientVendor(i % recipientUsers): 1}
		},
	}
}

// binding is a device registered for a user before a run.
type binding struct {
	user   string
	vendor vendors.Vendor
	token  string
}

// bindAll registers bs through the devices API, eight at a time, and puts
// settings(k) for binding k when it is not nil.
func (e *env) bindAll(ctx context.Context, bs []binding, settings func(k int) any) error {
	return parallel(ctx, 8, len(bs), func(k int) error {
		b := bs[k]
		path := fmt.Sprintf("/v1/apps/%s/users/%s/devices/%d/%s", e.app, b.user, e.certs[b.vendor], b.token)
		if err := e.api.Do(ctx, http.MethodPut, path, nil, nil); err != nil {
			return fmt.Errorf("bind %s: %w", b.user, err)
		}
		if settings == nil {
			return nil
		}
		if s := settings(k); s != nil {
			path := fmt.Sprintf("/v1/apps/%s/users/%s/settings", e.app, b.user)
			if err := e.api.Do(ctx, http.MethodPut, path, s, nil); err != nil {
				return fmt.Errorf("settings of %s: %w", b.user, err)
			}
		}
		return nil
	})
}
