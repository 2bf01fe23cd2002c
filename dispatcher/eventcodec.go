package dispatcher

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// An event is stored in its app's stream as short fields, not as one JSON
// value: a stream stores the field names of an entry once per node when
// they repeat, so a "sent" event costs about 45 bytes of Redis instead of
// about 200. The app is the stream's and the time is the entry id's
// (milliseconds: when the event was written, within a few milliseconds of
// when it happened), so neither is stored again. DecodeEvent reads both this
// form and the JSON form ("event") of earlier versions.
const (
	evType   = "t"
	evMsg    = "m"
	evUser   = "u"
	evCert   = "c"
	evToken  = "k"
	evVendor = "v"
	evKind   = "x"
	evCode   = "o"
	evReason = "r"
	evRule   = "l"
	evVMsgID = "i"
	evTry    = "a"
)

// EventFields is e as stream fields; empty fields are left out.
func EventFields(e *Event) []any {
	f := make([]any, 0, 16)
	add := func(k, v string) {
		if v != "" {
			f = append(f, k, v)
		}
	}
	add(evType, e.Type)
	add(evMsg, e.MsgID)
	add(evUser, e.UserID)
	if e.CertID != 0 {
		f = append(f, evCert, e.CertID)
	}
	add(evToken, e.Token)
	add(evVendor, e.Vendor)
	add(evKind, e.Kind)
	add(evCode, e.Code)
	add(evReason, e.Reason)
	add(evRule, e.Rule)
	if e.VendorMsgID != vendors.NotificationUUID(e.MsgID, e.Token) {
		// An APNs apns-id is pushd's own, recomputed when read.
		add(evVMsgID, e.VendorMsgID)
	}
	if e.Attempt != 0 {
		f = append(f, evTry, e.Attempt)
	}
	return f
}

// DecodeEvent reads the event of one stream entry of app's stream: id is
// the entry id, values its fields. It returns false for an entry that is
// no event.
func DecodeEvent(app, id string, values map[string]any) (Event, bool) {
	if raw, ok := values["event"].(string); ok {
		var e Event
		if json.Unmarshal([]byte(raw), &e) != nil {
			return Event{}, false
		}
		return e, true
	}
	str := func(k string) string { s, _ := values[k].(string); return s }
	num := func(k string) int64 { n, _ := strconv.ParseInt(str(k), 10, 64); return n }
	e := Event{Type: str(evType), AppID: app, MsgID: str(evMsg), UserID: str(evUser), CertID: num(evCert),
		Token: str(evToken), Vendor: str(evVendor), Kind: str(evKind), Code: str(evCode), Reason: str(evReason),
		Rule: str(evRule), VendorMsgID: str(evVMsgID), Attempt: int(num(evTry))}
	if e.Type == "" {
		return Event{}, false
	}
	if e.Type == EventSent && e.VendorMsgID == "" && e.Vendor == string(vendors.APNs) {
		e.VendorMsgID = vendors.NotificationUUID(e.MsgID, e.Token)
	}
	msPart, _, _ := strings.Cut(id, "-")
	ms, _ := strconv.ParseInt(msPart, 10, 64)
	e.At = time.UnixMilli(ms).UTC()
	return e, true
}
