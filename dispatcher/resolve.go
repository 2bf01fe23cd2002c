package dispatcher

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/vendors"
)

// CertInfo is what the resolver needs of a certificate: whose it is, its
// vendor, and the settings adapters read.
type CertInfo struct {
	ID     int64
	AppID  string
	Vendor vendors.Vendor
	Click  vendors.Click
	Fields map[string]string
}

// CertLookup returns a certificate, or an error wrapping ErrUnknownCert
// when there is none; any other error is a failure to look (retried).
type CertLookup func(ctx context.Context, certID int64) (*CertInfo, error)

// ErrUnknownCert is wrapped by CertLookup errors for an absent certificate.
var ErrUnknownCert = errors.New("unknown certificate")

// Resolver turns a job into the deliveries due and the pushes dropped by
// the notification rules.
type Resolver struct {
	Devices *devices.Store
	Certs   CertLookup
	// Apps returns an app's settings; nil means DefaultAppSettings for
	// every app.
	Apps func(appID string) AppSettings
	// Now is the clock of DND windows and expiry; nil means time.Now.
	Now func() time.Time
}

// resolveChunk bounds the recipients looked up per Redis round trip.
const resolveChunk = 500

// Resolve applies every rule of SPEC §4.1 to j, in order: the message
// rules (see messageRule), then per recipient the sender, global switch,
// receive option (with group-type defaults and @-mentions), do-not-disturb
// and bindings, then per binding the certificate (unknown, or another
// app's: RuleUnknownCert) and the foreground state. Every binding left gets
// a rendered notification and, on badge vendors, the next badge. A job
// with explicit devices skips the recipient rules; its badge is
// offline_push.badge and a device whose vendor differs from its
// certificate's is dropped with RuleVendorMismatch.
//
// Each not-pushed recipient or binding is one Drop (a message rule drops
// every recipient, or every device). A failure to reach Redis or the
// certificate store is an error (retry the task); an ext too large for any
// vendor is a *FieldError (reject the job).
func (r *Resolver) Resolve(ctx context.Context, j *Job) (ds []Delivery, drops []Drop, err error) {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	if rule := messageRule(j, now); rule != "" {
		return nil, dropAll(j, rule), nil
	}
	app := DefaultAppSettings()
	if r.Apps != nil {
		app = r.Apps(j.AppID)
	}
	if !j.validated {
		if err := renderable(j, app); err != nil {
			return nil, nil, err
		}
	}
	if r.Certs == nil || (len(j.Devices) == 0 && r.Devices == nil) {
		return nil, nil, errors.New("resolve: the resolver has no certificate lookup or device store")
	}
	rs := &resolution{r: r, j: j, app: app, rules: newRecipientRules(j, app, now)}
	if len(j.Devices) > 0 {
		err = rs.explicit(ctx)
	} else {
		err = rs.recipients(ctx)
	}
	if err != nil {
		return nil, nil, err
	}
	return rs.ds, rs.drops, nil
}

// renderable rejects, before any badge is touched, a job that cannot be
// rendered for some vendor (an ext leaving no room for text): the same job
// must not be pushed to some recipients and refused for others depending
// on which phones they have.
func renderable(j *Job, app AppSettings) error {
	for _, v := range vendors.All() {
		if _, err := Render(j, RenderInput{Vendor: v, App: app.ForLocale("")}); err != nil {
			return err
		}
	}
	return nil
}

// dropAll drops every target of j with rule.
func dropAll(j *Job, rule string) []Drop {
	var out []Drop
	if len(j.Devices) > 0 {
		for _, d := range j.Devices {
			out = append(out, Drop{CertID: d.CertID, Token: d.Token, Rule: rule})
		}
		return out
	}
	for _, u := range unique(j.Recipients) {
		out = append(out, Drop{UserID: u, Rule: rule})
	}
	return out
}

func unique(users []string) []string {
	seen := make(map[string]bool, len(users))
	out := make([]string, 0, len(users))
	for _, u := range users {
		if !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	return out
}

// resolution is the state of one Resolve call.
type resolution struct {
	r     *Resolver
	j     *Job
	app   AppSettings
	rules *recipientRules
	// certs caches lookups; nil marks a certificate unknown to this app.
	certs   smallMap[int64, *CertInfo]
	locales smallMap[string, AppSettings]
	// renders are the job's notifications, each numbered from 1 (its
	// share, see Delivery.share).
	renders smallMap[renderKey, rendered]
	ds      []Delivery
	drops   []Drop
}

func (rs *resolution) drop(user string, certID int64, token, rule string) {
	rs.drops = append(rs.drops, Drop{UserID: user, CertID: certID, Token: token, Rule: rule})
}

// recipients resolves a job addressed to user ids, a chunk of recipients
// per few round trips.
func (rs *resolution) recipients(ctx context.Context) error {
	conv := conversation(rs.j)
	for chunk := range slices.Chunk(unique(rs.j.Recipients), resolveChunk) {
		if err := rs.chunk(ctx, chunk, conv); err != nil {
			return err
		}
	}
	return nil
}

func (rs *resolution) chunk(ctx context.Context, users []string, conv devices.Conv) error {
	states, err := rs.r.Devices.States(ctx, rs.j.AppID, users, conv)
	if err != nil {
		return err
	}
	var keep []string
	var keepStates []devices.UserState
	for i, u := range users {
		if rule := rs.rules.rule(u, states[i]); rule != "" {
			rs.drop(u, 0, "", rule)
			continue
		}
		keep = append(keep, u)
		keepStates = append(keepStates, states[i])
	}
	lists, expired, err := rs.r.Devices.ListExpiring(ctx, rs.j.AppID, keep)
	if err != nil {
		return err
	}
	var cands []candidate
	for i, u := range keep {
		for _, b := range expired[i] {
			rs.drop(u, b.CertID, b.Token, RuleBindingExpired)
		}
		if len(lists[i]) == 0 {
			if len(expired[i]) == 0 {
				rs.drop(u, 0, "", RuleNoBinding)
			}
			continue
		}
		for _, b := range lists[i] {
			d, rule, err := rs.binding(ctx, b, keepStates[i].Settings)
			if err != nil {
				return err
			}
			if rule != "" {
				rs.drop(u, b.CertID, b.Token, rule)
				continue
			}
			cands = append(cands, candidate{user: i, b: b, d: d})
		}
	}
	// Burst coalescing: nothing at all unless a window is on.
	if cands, err = rs.coalesce(ctx, conv, keep, keepStates, cands); err != nil {
		return err
	}
	var pending []Delivery
	for _, c := range cands {
		d := c.d
		if d.Notif.VoIP {
			// A VoIP push carries no badge: the counter is left alone.
			rs.ds = append(rs.ds, d)
			continue
		}
		if neverReportedAndroid(c.b, d.Vendor) {
			rs.fixedBadge(&d)
			rs.ds = append(rs.ds, d)
			continue
		}
		pending = append(pending, d)
	}
	return rs.assignBadges(ctx, pending)
}

// binding applies the per-binding rules and renders the notification.
func (rs *resolution) binding(ctx context.Context, b devices.Binding, st devices.Settings) (Delivery, string, error) {
	cert, err := rs.cert(ctx, b.CertID)
	if err != nil || cert == nil {
		return Delivery{}, RuleUnknownCert, err
	}
	if b.Foreground {
		return Delivery{}, RuleForeground, nil
	}
	// A call goes to the device's VoIP token when it reported one; else
	// the alert binding gets the call as a normal alert (the fallback).
	voip := rs.j.OfflinePush.VoIP && cert.Vendor == vendors.APNs && b.VoIPToken != ""
	n, share, err := rs.render(cert.Vendor, st, voip)
	if err != nil {
		return Delivery{}, "", err
	}
	token := b.Token
	if voip {
		token = b.VoIPToken
	}
	return Delivery{UserID: b.UserID, CertID: b.CertID, Token: token, Vendor: cert.Vendor, Notif: n, share: share}, "", nil
}

// explicit resolves a job addressed to device tokens.
func (rs *resolution) explicit(ctx context.Context) error {
	seen := map[string]bool{}
	for _, d := range rs.j.Devices {
		key := strconv.FormatInt(d.CertID, 10) + ":" + d.Token
		if seen[key] {
			continue
		}
		seen[key] = true
		cert, err := rs.cert(ctx, d.CertID)
		if err != nil {
			return err
		}
		if cert == nil {
			rs.drop("", d.CertID, d.Token, RuleUnknownCert)
			continue
		}
		if d.Vendor != "" {
			if v, err := vendors.ParseVendor(d.Vendor); err != nil || v != cert.Vendor {
				rs.drop("", d.CertID, d.Token, RuleVendorMismatch)
				continue
			}
		}
		n, share, err := rs.render(cert.Vendor, devices.Settings{}, false)
		if err != nil {
			return err
		}
		applyFixedBadge(rs.j, cert.Vendor, n)
		rs.ds = append(rs.ds, Delivery{CertID: d.CertID, Token: d.Token, Vendor: cert.Vendor, Notif: n, share: share})
	}
	return nil
}

// cert returns the certificate certID if it exists and belongs to the
// job's app, nil if not; the error is a failure to look it up.
func (rs *resolution) cert(ctx context.Context, certID int64) (*CertInfo, error) {
	if c, ok := rs.certs.get(certID); ok {
		return c, nil
	}
	c, err := rs.r.Certs(ctx, certID)
	switch {
	case errors.Is(err, ErrUnknownCert):
		c = nil
	case err != nil:
		return nil, fmt.Errorf("certificate %d: %w", certID, err)
	case c == nil || c.AppID != rs.j.AppID || !c.Vendor.Valid():
		c = nil
	}
	rs.certs.set(certID, c)
	return c, nil
}

// cachedCert is a certificate cert already looked up (nil if it was not,
// or is unknown).
func (rs *resolution) cachedCert(certID int64) *CertInfo {
	c, _ := rs.certs.get(certID)
	return c
}

// renderKey is everything a notification depends on besides the job. A
// VoIP push is a render of its own: planning groups deliveries by render,
// and a VoIP token must never get an alert's notification or the reverse.
type renderKey struct {
	vendor                     vendors.Vendor
	locale, c2cSound, grpSound string
	preview                    vendors.Preview
	voip                       bool
}

// render returns a fresh copy of the notification for vendor and the
// recipient's settings, and the number of its render: renders are shared,
// notifications are not, since each delivery gets its own badge and
// adapters may shrink the text.
func (rs *resolution) render(v vendors.Vendor, st devices.Settings, voip bool) (*vendors.Notification, int, error) {
	key := renderKey{v, st.Locale, st.C2CSound, st.GroupSound, st.Preview, voip}
	r, ok := rs.renders.get(key)
	if !ok {
		n, err := Render(rs.j, RenderInput{Vendor: v, App: rs.localeApp(st.Locale), Locale: st.Locale, C2CSound: st.C2CSound, GroupSound: st.GroupSound, Preview: st.Preview})
		if err != nil {
			return nil, 0, err
		}
		callFields(n, rs.j, voip)
		r = rendered{n: n, share: rs.renders.len() + 1}
		rs.renders.set(key, r)
	}
	c := *r.n
	return &c, r.share, nil
}

// rendered is one of a job's notifications and its number.
type rendered struct {
	n     *vendors.Notification
	share int
}

// CancelCallSuffix ends the msg_id of the job that cancels a call: the job
// "<call msg_id>#cancel-call" with offline_push.voip ends the call
// "<call msg_id>" (POST /v1/apps/{app}/messages/{msg_id}/cancel-call
// enqueues it). The suffix keeps the cancel's own idempotency key apart
// from the call's, and the job contract unchanged.
const CancelCallSuffix = "#cancel-call"

// CancelOf returns the msg_id of the call j cancels, and whether j is a
// cancel at all: a VoIP job whose msg_id ends with CancelCallSuffix.
func CancelOf(j *Job) (callID string, ok bool) {
	if !j.OfflinePush.VoIP {
		return "", false
	}
	callID, ok = strings.CutSuffix(j.MsgID, CancelCallSuffix)
	return callID, ok && callID != ""
}

// callFields marks the notification of a VoIP job (docs/rules.md "Calls
// (VoIP)"): the call class on every vendor, a PushKit push for a device
// with a VoIP token (no badge: PushKit shows none), and for a cancel the
// call it replaces.
func callFields(n *vendors.Notification, j *Job, voip bool) {
	if !j.OfflinePush.VoIP {
		return
	}
	n.Call, n.VoIP = true, voip
	if voip {
		n.Badge = nil
	}
	if callID, ok := CancelOf(j); ok {
		n.CallCancel, n.Replaces = true, callID
	}
}
