package dispatcher

import (
	"encoding/json"
	"time"

	"github.com/pushd/pushd/vendors"
)

// RetryPayload is the push:retry task: the rendered deliveries that failed,
// so a retry re-sends exactly what failed and re-applies no rule. Each
// distinct notification is stored once (Notifications) and the devices
// point at it (Targets): a 1 000-device group message whose devices all
// failed is one notification and 1 000 short targets, not 1 000 copies.
type RetryPayload struct {
	AppID    string    `json:"app_id"`
	MsgID    string    `json:"msg_id"`
	ExpireAt time.Time `json:"expire_at"`
	// NotBefore is the earliest time the vendor allows (its Retry-After
	// or quota reset): a retry run before it sends nothing and waits.
	NotBefore     time.Time               `json:"not_before,omitzero"`
	Notifications []*vendors.Notification `json:"notifications,omitempty"`
	Targets       []RetryTarget           `json:"targets,omitempty"`
	// Deliveries is the form of pushd before 2026-12 (every delivery with
	// its own notification); still read, never written.
	Deliveries []Delivery `json:"deliveries,omitempty"`
}

// RetryTarget is one device of a retry: N indexes Notifications.
type RetryTarget struct {
	UserID string         `json:"user_id,omitempty"`
	CertID int64          `json:"cert_id"`
	Token  string         `json:"token"`
	Vendor vendors.Vendor `json:"vendor"`
	N      int            `json:"n"`
}

// maxRetryTargets bounds the devices of one push:retry task; a larger
// retry is cut into several tasks.
const maxRetryTargets = 1000

// newRetryPayloads packs ds into payloads of at most maxRetryTargets
// devices, each distinct notification stored once per payload.
func newRetryPayloads(app, msg string, expireAt, notBefore time.Time, ds []Delivery) []RetryPayload {
	var out []RetryPayload
	for start := 0; start < len(ds); start += maxRetryTargets {
		chunk := ds[start:min(start+maxRetryTargets, len(ds))]
		p := RetryPayload{AppID: app, MsgID: msg, ExpireAt: expireAt, NotBefore: notBefore}
		index := map[string]int{}
		for _, d := range chunk {
			b, _ := json.Marshal(d.Notif)
			n, ok := index[string(b)]
			if !ok {
				n = len(p.Notifications)
				index[string(b)] = n
				p.Notifications = append(p.Notifications, d.Notif)
			}
			p.Targets = append(p.Targets, RetryTarget{UserID: d.UserID, CertID: d.CertID, Token: d.Token, Vendor: d.Vendor, N: n})
		}
		out = append(out, p)
	}
	return out
}

// deliveries expands p: each delivery gets its own copy of its
// notification (adapters may shrink it), and deliveries of the same
// notification share a plan group.
func (p *RetryPayload) deliveries() []Delivery {
	if len(p.Targets) == 0 {
		return p.Deliveries
	}
	out := make([]Delivery, 0, len(p.Targets))
	for _, t := range p.Targets {
		if t.N < 0 || t.N >= len(p.Notifications) || p.Notifications[t.N] == nil {
			continue
		}
		n := *p.Notifications[t.N]
		out = append(out, Delivery{UserID: t.UserID, CertID: t.CertID, Token: t.Token, Vendor: t.Vendor, Notif: &n, share: t.N + 1})
	}
	return out
}

// notEarly returns the time asynq must be given to run a task no earlier
// than t: asynq keeps whole seconds and truncates, so a fractional t is
// rounded up.
func notEarly(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}
