package fake

import (
	"net/http"
	"strings"

	"github.com/sideshow/apns2"
)

// apnsVoIPSuffix ends the apns-topic of every VoIP push: "<bundle>.voip"
// (Apple, "Sending notification requests to APNs"; Microsoft Learn, "Use
// APNS VOIP through Notification Hubs"). A push certificate of a bundle
// covers its .voip topic, and so does a token-auth key allowed the
// bundle (checkTopic).
const apnsVoIPSuffix = ".voip"

// checkVoIP enforces what a VoIP push must carry: the voip push type and
// the .voip topic go together, and the priority is 10 (a call is
// delivered now). The 5120-byte limit is checkPayload's. Apple documents
// no reason for a push type that does not match its topic; the fake
// answers InvalidPushType. [UNCERTAIN]
func checkVoIP(h http.Header) string {
	voipType := h.Get("apns-push-type") == string(apns2.PushTypeVOIP)
	voipTopic := strings.HasSuffix(h.Get("apns-topic"), apnsVoIPSuffix)
	switch {
	case voipType != voipTopic:
		return apns2.ReasonInvalidPushType
	case voipType && h.Get("apns-priority") != "10":
		return apns2.ReasonBadPriority
	}
	return ""
}

// AddVoIPToken declares token a PushKit token. From the first call on, the
// fake knows which tokens are VoIP tokens, as APNs does: each token is
// registered for one topic, and APNs refuses a push to a token under
// another topic with DeviceTokenNotForTopic (vendor-protocols.md §1 error
// table). So a VoIP push must go to a declared token and an alert must
// not.
func (a *APNs) AddVoIPToken(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.voipTokens == nil {
		a.voipTokens = map[string]bool{}
	}
	a.voipTokens[token] = true
}

// checkTokenTopic applies AddVoIPToken's rule; nothing until it is called.
func (a *APNs) checkTokenTopic(h http.Header, token string) string {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.voipTokens == nil {
		return ""
	}
	if a.voipTokens[token] != (h.Get("apns-push-type") == string(apns2.PushTypeVOIP)) {
		return apns2.ReasonDeviceTokenNotForTopic
	}
	return ""
}

// checkBackground enforces Apple's rule for a background push
// (apns-push-type background): priority 5, "It is an error to specify
// priority 10 for a background push" (vendor-protocols.md §1 request
// headers: "Background (content-available only) must use 5"). An
// omitted priority means 10, so it is refused too.
func checkBackground(h http.Header) string {
	if h.Get("apns-push-type") == string(apns2.PushTypeBackground) && h.Get("apns-priority") != "5" {
		return apns2.ReasonBadPriority
	}
	return ""
}

// checkBackgroundAPS: the aps of a background push holds content-available
// 1 and none of the keys that alert the user (alert, sound, badge; Apple,
// "Pushing background updates to your App"). Apple documents no reason
// for a wrong one; the fake answers PayloadEmpty as for other malformed
// payloads [UNCERTAIN], so a test sees any alerting key a background push
// would carry.
func checkBackgroundAPS(aps map[string]any, pushType string) string {
	if pushType != string(apns2.PushTypeBackground) {
		return ""
	}
	if aps["content-available"] != float64(1) {
		return apns2.ReasonPayloadEmpty
	}
	for _, k := range []string{"alert", "sound", "badge"} {
		if _, ok := aps[k]; ok {
			return apns2.ReasonPayloadEmpty
		}
	}
	return ""
}
