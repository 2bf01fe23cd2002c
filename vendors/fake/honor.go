package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Honor codes the fake answers with. Honor publishes no error table; the
// 80xxxxxx codes are vendor-protocols.md §8's analogy with Huawei
// [UNCERTAIN], used here so the adapter's handling of them is exercised.
const (
	HonorSuccess       = "200"
	HonorBadParam      = "80100001" // parameter check error
	HonorBadStructure  = "80100003" // message structure error
	HonorAuthError     = "80200001" // access token unknown or of another app
	HonorTokenExpired  = "80200003" // access token expired
	HonorBodyTooLarge  = "80300008" // body > 4096 bytes, tokens excluded
	HonorTooManyTokens = "80300010" // token count 0 or > 1000
	// HonorExpiredToken, as a FailToken code, lists the token in
	// data.expireTokens; any other code lists it in data.failTokens.
	HonorExpiredToken = "80300007"
)

// HonorOptions configures NewHonor.
type HonorOptions struct {
	// Now is the fake's clock; nil means time.Now.
	Now func() time.Time
	// TokenTTL is the expires_in of issued access tokens; 0 means 3600 s.
	TokenTTL time.Duration
}

// Honor is a loopback fake of Honor Push: the Keycloak token endpoint
// (both /auth/realms/developer/protocol/openid-connect/token and the short
// /auth/token) and POST /api/v1/{appId}/sendMessage. It issues access
// tokens to the clients registered with AddApp, requires a Bearer token it
// issued (unexpired, same app) and the millisecond "timestamp" header, and
// checks the token list and the message. A token told to fail with
// FailToken is listed in data.expireTokens (code HonorExpiredToken) or
// data.failTokens (any other code) of a code-200 answer; FailNext makes
// whole send requests fail with any code, or a bare HTTP status (503, 401…)
// when the Failure has no Code. Token requests are not in the Log and never
// consume FailNext; TokenRequests counts them.
type Honor struct {
	*Server
	Log
	Faults
	// ReceiptLog holds the receipts sent to the receipt address set with
	// SetReceipts (honor_receipts.go).
	*ReceiptLog
	receipts hwReceiptConfig

	now    func() time.Time
	tokens *hwTokens
	ids    requestIDs
}

// NewHonor starts a Honor fake. Close it when done.
func NewHonor(opts HonorOptions) *Honor {
	h := &Honor{now: opts.Now, ReceiptLog: newReceiptLog(), receipts: hwReceiptConfig{header: hnCallbackHeader}}
	h.now = clock(h.now)
	h.tokens = newHWTokens(h.now, opts.TokenTTL)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /auth/realms/developer/protocol/openid-connect/token", h.token)
	mux.HandleFunc("POST /auth/token", h.token)
	mux.HandleFunc("POST /api/v1/{appId}/sendMessage", h.send)
	h.Server = StartTLS(mux)
	return h
}

// AddApp registers an app and the OAuth client that may send for it.
func (h *Honor) AddApp(appID, clientID, clientSecret string) {
	h.tokens.addClient(clientID, appID, clientSecret)
}

// TokenRequests returns how many requests reached the token endpoints.
func (h *Honor) TokenRequests() int { return h.tokens.requests() }

// ExpireTokens makes every access token issued so far expired.
func (h *Honor) ExpireTokens() { h.tokens.expireAll() }

// token answers like Keycloak: 400 for a bad grant, 401 for bad client
// credentials [§8 Auth].
func (h *Honor) token(w http.ResponseWriter, r *http.Request) {
	h.tokens.serve(w, r,
		oauthRefusal{http.StatusBadRequest, map[string]any{
			"error": "unsupported_grant_type", "error_description": "Unsupported grant_type"}},
		oauthRefusal{http.StatusUnauthorized, map[string]any{
			"error": "unauthorized_client", "error_description": "Invalid client or Invalid client credentials"}},
		map[string]any{"refresh_expires_in": 0, "not-before-policy": 0})
}

// hnMessage is the part of a send body the fake checks.
type hnMessage struct {
	Data         *string `json:"data"`
	Notification *hwText `json:"notification"`
	Android      *struct {
		TTL            string `json:"ttl"`
		TargetUserType *int   `json:"targetUserType"`
		Notification   *struct {
			hwText
			ClickAction *hwClick `json:"clickAction"`
			Importance  string   `json:"importance"`
			Badge       *struct {
				AddNum     *int   `json:"addNum"`
				SetNum     *int   `json:"setNum"`
				BadgeClass string `json:"badgeClass"`
			} `json:"badge"`
			// Image and the style are camelCase on Honor [§8 Send].
			Image    string `json:"image"`
			Style    *int   `json:"style"`
			BigTitle string `json:"bigTitle"`
			BigBody  string `json:"bigBody"`
		} `json:"notification"`
	} `json:"android"`
	Token json.RawMessage `json:"token"`
}

func (h *Honor) send(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var m hnMessage
	decodeErr := json.Unmarshal(body, &m)
	var tokens []string
	tokenErr := json.Unmarshal(m.Token, &tokens)
	status, retry, ans := h.answer(r, body, &m, decodeErr, tokenErr, tokens)
	h.Add(Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Tokens: tokens, Status: status, At: h.now()})
	writeJSONAnswer(w, status, retry, ans)
	h.deliveredReceipts(body, tokens, ans)
}

// answer decides the reply: injected failures, then the access token and
// timestamp, then the message, then the per-token failures.
func (h *Honor) answer(r *http.Request, body []byte, m *hnMessage, decodeErr, tokenErr error, tokens []string) (int, time.Duration, any) {
	if fl, ok := h.TakeNext(); ok {
		return hwInjected(fl, hnFail)
	}
	code, msg := h.checkAuth(r)
	if code == "" {
		code, msg = hnValidate(body, m, decodeErr, tokenErr, tokens)
	}
	if code != "" {
		st, ans := hnFail(code, msg)
		return st, 0, ans
	}
	return http.StatusOK, 0, h.deliver(tokens)
}

// checkAuth requires a Bearer token issued for the app of the URL and a
// millisecond timestamp header.
func (h *Honor) checkAuth(r *http.Request) (string, string) {
	app, state := h.tokens.bearer(r)
	switch {
	case state == hwTokenUnknown || app != r.PathValue("appId"):
		return HonorAuthError, "Oauth authentication error"
	case state == hwTokenExpired:
		return HonorTokenExpired, "Oauth Token expired"
	}
	if ts, err := strconv.ParseInt(r.Header.Get("timestamp"), 10, 64); err != nil || ts <= 0 {
		return HonorBadParam, "timestamp header is required (milliseconds)"
	}
	return "", ""
}

// hnValidate checks the body and returns the code and message of the first
// violation, or "".
func hnValidate(body []byte, m *hnMessage, decodeErr, tokenErr error, tokens []string) (string, string) {
	switch {
	case decodeErr != nil || (len(m.Token) > 0 && tokenErr != nil):
		return HonorBadStructure, "message structure error"
	case len(tokens) == 0 || len(tokens) > hwMaxTokens:
		return HonorTooManyTokens, fmt.Sprintf("the number of tokens must be 1 to %d", hwMaxTokens)
	case len(body)-len(m.Token) > hwMaxBody:
		return HonorBodyTooLarge, fmt.Sprintf("message body exceeds %d bytes", hwMaxBody)
	case m.Android == nil:
		return "", ""
	case m.Android.TTL != "" && !hwTTLOK(m.Android.TTL):
		return HonorBadParam, "ttl is malformed or longer than 1296000s"
	case m.Android.TargetUserType != nil && *m.Android.TargetUserType != 0 && *m.Android.TargetUserType != 1:
		return HonorBadParam, "targetUserType must be 0 or 1"
	}
	n := m.Android.Notification
	if n == nil {
		return "", ""
	}
	title, text := n.Title, n.Body
	if m.Notification != nil {
		title, text = hwOr(title, m.Notification.Title), hwOr(text, m.Notification.Body)
	}
	switch {
	case title == "" || text == "":
		return HonorBadParam, "notification title and body are required"
	case n.Importance != "" && n.Importance != "LOW" && n.Importance != "NORMAL":
		return HonorBadParam, "importance must be LOW or NORMAL"
	case n.Badge != nil && (n.Badge.BadgeClass == "" || !hwInRange(n.Badge.SetNum, 0) || !hwInRange(n.Badge.AddNum, 1)):
		return HonorBadParam, "badge needs badgeClass and setNum in [0, 99] or addNum in [1, 99]"
	case hwCheckStyle(n.Image, n.Style, n.BigTitle, n.BigBody) != "":
		return HonorBadParam, hwCheckStyle(n.Image, n.Style, n.BigTitle, n.BigBody)
	case n.ClickAction == nil:
		return HonorBadParam, "clickAction is required"
	}
	if msg := n.ClickAction.fault("clickAction", "https://", "http://"); msg != "" {
		return HonorBadParam, msg
	}
	return "", ""
}

// deliver is the code-200 answer, listing the tokens told to fail.
func (h *Honor) deliver(tokens []string) any {
	expired, failed := []string{}, []string{}
	for _, t := range tokens {
		fl, bad := h.ForToken(t)
		switch {
		case bad && fl.Code == HonorExpiredToken:
			expired = append(expired, t)
		case bad:
			failed = append(failed, t)
		}
	}
	id := h.ids.next(h.now(), 6)
	return map[string]any{"code": 200, "message": "success", "data": map[string]any{
		"sendResult": len(expired)+len(failed) < len(tokens), "requestId": id,
		"failTokens": failed, "expireTokens": expired}}
}

// hnFail is Honor's error body; Honor sends codes as numbers.
func hnFail(code, msg string) (int, any) {
	if msg == "" {
		msg = "error " + code
	}
	var c any = code
	if n, err := strconv.Atoi(code); err == nil {
		c = n
	}
	return hwStatus(code), map[string]any{"code": c, "message": msg}
}
