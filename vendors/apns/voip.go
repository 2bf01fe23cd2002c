package apns

import (
	"net/http"
	"strconv"

	"github.com/sideshow/apns2"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// VoIP pushes (docs/rules.md "Calls (VoIP)"). PushKit hands the whole
// payload to the app, which must report a call to CallKit at once: iOS 13+
// terminates an app that does not, and stops waking it for VoIP pushes if
// it keeps failing (Apple, PushKit PKPushType.voIP). So pushd sends a VoIP
// push for calls and their cancels only, never for messages.
const (
	// voipTopicSuffix is appended to the bundle id: a VoIP push's
	// apns-topic is "<bundle>.voip" (Apple, "Sending notification requests
	// to APNs"; Microsoft Learn, "Use APNS VOIP through Notification
	// Hubs": "requires the apns-topic header to be set to the application
	// bundle ID + the .voip suffix").
	voipTopicSuffix = ".voip"
	// maxVoIPPayload is the VoIP payload limit: 5120 bytes, against 4096
	// for the other push types (vendor-protocols.md §1 "Size limit";
	// Microsoft Learn, same page: "For VOIP notifications, Apple allows a
	// maximum payload size of 5 KB").
	maxVoIPPayload = 5120
)

// voipAPS carries the call's text in aps.alert for the app to show in
// CallKit (PushKit displays nothing itself); a cancel has an empty aps.
// There is never a badge or a sound: a call rings through CallKit.
type voipAPS struct {
	Alert *alert `json:"alert,omitempty"`
}

// voipPayload is a VoIP push body: the ids and the ext the app needs to
// set up (or, with Cancel, end) the call.
type voipPayload struct {
	APS    voipAPS `json:"aps"`
	MsgID  string  `json:"msg_id,omitempty"`
	Cancel bool    `json:"cancel,omitempty"`
	Ext    string  `json:"ext,omitempty"`
}

// encodeVoIP returns the VoIP body for n, HTML escaping off as in
// encodePayload. The msg_id of a cancel is the call's (Replaces).
func encodeVoIP(n *vendors.Notification) ([]byte, error) {
	p := voipPayload{MsgID: n.ReplaceKey(), Cancel: n.CallCancel, Ext: n.Ext}
	if !n.CallCancel && (n.Title != "" || n.Body != "") {
		p.APS.Alert = &alert{Title: n.Title, Body: n.Body}
	}
	return vendorhttp.MarshalUnescaped(p)
}

// fitVoIP is fitPayload for a VoIP push, against the 5120-byte limit.
func fitVoIP(n *vendors.Notification) ([]byte, error) {
	c := *n
	size := func(m *vendors.Notification) (int, error) {
		b, err := encodeVoIP(m)
		return len(b), err
	}
	if err := vendors.ShrinkToFit(vendors.APNs, &c, maxVoIPPayload, size); err != nil {
		return nil, err
	}
	return encodeVoIP(&c)
}

// voipHeader turns h, the headers of an alert, into those of a VoIP push:
// push type voip, the .voip topic, priority 10 (a call is delivered now)
// and expiration 0 (a call not delivered now is over: APNs tries once and
// does not store it). No collapse id: PushKit shows no notification that
// one could replace.
func voipHeader(h http.Header, topic string) {
	h["apns-push-type"] = []string{string(apns2.PushTypeVOIP)}
	h["apns-topic"] = []string{topic + voipTopicSuffix}
	h["apns-priority"] = []string{strconv.Itoa(apns2.PriorityHigh)}
	h["apns-expiration"] = []string{"0"}
	delete(h, "apns-collapse-id")
}
