package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Huawei result codes the fake answers with [vendor-protocols.md §4 Error
// table]. Huawei sends them as strings.
const (
	HuaweiSuccess       = "80000000"
	HuaweiPartial       = "80100000" // some tokens failed; msg lists them
	HuaweiBadParam      = "80100001" // parameter check error
	HuaweiBadStructure  = "80100003" // message structure error
	HuaweiAuthError     = "80200001" // OAuth authentication error
	HuaweiTokenExpired  = "80200003" // OAuth token expired
	HuaweiAllInvalid    = "80300007" // all tokens invalid
	HuaweiBodyTooLarge  = "80300008" // body > 4096 bytes, tokens excluded
	HuaweiTooManyTokens = "80300010" // token count 0 or > 1000
	HuaweiInternal      = "81000001" // system internal error
)

// Huawei limits and OAuth errors [§4 Auth, Limits; HWDOC].
const (
	hwMaxTokens       = 1000
	hwMaxBody         = 4096
	hwMaxTTL          = 1296000 * time.Second
	hwDefaultTokenTTL = time.Hour
	hwOAuthError      = 1101  // OAuth error of the token endpoint
	hwOAuthBadClient  = 20002 // sub_error: client id or secret wrong
)

// HuaweiOptions configures NewHuawei.
type HuaweiOptions struct {
	// Now is the fake's clock; nil means time.Now.
	Now func() time.Time
	// TokenTTL is the expires_in of issued access tokens; 0 means 3600 s.
	TokenTTL time.Duration
	// IllegalTokensMap answers partial failures in the newer form, with
	// msg {"illegalTokens":{"<Failure.Code>":[…]}} instead of the v1
	// {"illegal_tokens":[…]} list.
	IllegalTokensMap bool
}

// Huawei is a loopback fake of Huawei Push Kit: the OAuth token endpoint
// (POST /oauth2/v3/token) and the v1 send API (POST
// /v1/{appId}/messages:send). It issues access tokens to the apps
// registered with AddApp, requires a Bearer token it issued, unexpired and
// of the same app, and checks the token list, the 4096-byte body and the
// message structure as Huawei does. A token told to fail with FailToken is
// listed as illegal in an 80100000 answer (80300007 when every token
// fails); FailNext makes whole send requests fail with any Huawei code, or
// a bare HTTP status when the Failure has no Code. Token requests are not
// in the Log and never consume FailNext; TokenRequests counts them.
type Huawei struct {
	*Server
	Log
	Faults
	// ReceiptLog holds the receipts sent to the receipt address set with
	// SetReceipts (huawei_receipts.go).
	*ReceiptLog
	receipts hwReceiptConfig

	now     func() time.Time
	mapForm bool
	tokens  *hwTokens
	ids     requestIDs
}

// NewHuawei starts a Huawei fake. Close it when done.
func NewHuawei(opts HuaweiOptions) *Huawei {
	h := &Huawei{now: opts.Now, mapForm: opts.IllegalTokensMap, ReceiptLog: newReceiptLog(),
		receipts: hwReceiptConfig{header: hwCallbackHeader}}
	h.now = clock(h.now)
	h.tokens = newHWTokens(h.now, opts.TokenTTL)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/v3/token", h.token)
	mux.HandleFunc("POST /v1/{appId}/messages:send", h.send)
	h.Server = StartTLS(mux)
	return h
}

// AddApp registers an app: its AppID is the OAuth client id, its AppSecret
// the client secret.
func (h *Huawei) AddApp(appID, secret string) {
	h.tokens.addClient(appID, appID, secret)
}

// TokenRequests returns how many requests reached the token endpoint.
func (h *Huawei) TokenRequests() int { return h.tokens.requests() }

// ExpireTokens makes every access token issued so far expired, as if an
// hour had passed: the next send with one is answered 80200003.
func (h *Huawei) ExpireTokens() { h.tokens.expireAll() }

// token answers like Huawei's OAuth server: 400 with error 1101 and a
// sub_error for a bad grant or bad client credentials [§4 Auth].
func (h *Huawei) token(w http.ResponseWriter, r *http.Request) {
	h.tokens.serve(w, r, hwOAuthRefusal(hwOAuthError, 20001, "invalid request"),
		hwOAuthRefusal(hwOAuthError, hwOAuthBadClient, "invalid client"), nil)
}

func hwOAuthRefusal(code, sub int, desc string) oauthRefusal {
	return oauthRefusal{http.StatusBadRequest, map[string]any{"error": code, "sub_error": sub, "error_description": desc}}
}

// hwMessage is the part of a send body the fake checks. validate_only
// is answered like a send (auth, body and token checks) and recorded as
// Validated: Huawei checks the message and delivers nothing
// [vendor-protocols.md §4 Body].
type hwMessage struct {
	ValidateOnly bool `json:"validate_only"`
	Message      *struct {
		Data         *string         `json:"data"`
		Notification *hwText         `json:"notification"`
		Android      *hwAndroid      `json:"android"`
		Token        json.RawMessage `json:"token"`
		Topic        string          `json:"topic"`
		Condition    string          `json:"condition"`
	} `json:"message"`
}

type hwText struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

type hwAndroid struct {
	CollapseKey  *int   `json:"collapse_key"`
	BiTag        string `json:"bi_tag"`
	Urgency      string `json:"urgency"`
	Category     string `json:"category"`
	TTL          string `json:"ttl"`
	Notification *struct {
		hwText
		ClickAction  *hwClick `json:"click_action"`
		Importance   string   `json:"importance"`
		Sound        string   `json:"sound"`
		DefaultSound bool     `json:"default_sound"`
		Badge        *struct {
			AddNum *int   `json:"add_num"`
			SetNum *int   `json:"set_num"`
			Class  string `json:"class"`
		} `json:"badge"`
		hwStyle
	} `json:"notification"`
}

func (h *Huawei) send(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var m hwMessage
	decodeErr := json.Unmarshal(body, &m)
	var tokens []string
	if decodeErr == nil && m.Message != nil {
		_ = json.Unmarshal(m.Message.Token, &tokens)
	}
	status, retry, ans := h.answer(r, body, &m, decodeErr, tokens)
	h.Add(Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Tokens: tokens, Status: status, At: h.now(), Validated: m.ValidateOnly && status == http.StatusOK})
	writeJSONAnswer(w, status, retry, ans)
	h.deliveredReceipts(&m, tokens, ans)
}

// answer decides the reply: injected failures, then the access token, then
// the message, then the per-token failures.
func (h *Huawei) answer(r *http.Request, body []byte, m *hwMessage, decodeErr error, tokens []string) (int, time.Duration, any) {
	if fl, ok := h.TakeNext(); ok {
		return hwInjected(fl, h.fail)
	}
	if code, msg := h.checkAuth(r); code != "" {
		st, ans := h.fail(code, msg)
		return st, 0, ans
	}
	if code, msg := hwValidate(body, m, decodeErr, tokens); code != "" {
		st, ans := h.fail(code, msg)
		return st, 0, ans
	}
	st, ans := h.deliver(tokens)
	return st, 0, ans
}

// checkAuth requires a Bearer token issued to the app of the URL.
func (h *Huawei) checkAuth(r *http.Request) (string, string) {
	app, state := h.tokens.bearer(r)
	switch {
	case state == hwTokenExpired:
		return HuaweiTokenExpired, "Oauth Token expired"
	case state != hwTokenValid || app != r.PathValue("appId"):
		return HuaweiAuthError, "Oauth authentication error"
	}
	return "", ""
}

// hwValidate checks the body as Huawei does and returns the code and
// message of the first violation, or "".
func hwValidate(body []byte, m *hwMessage, decodeErr error, tokens []string) (string, string) {
	if decodeErr != nil || m.Message == nil {
		return HuaweiBadStructure, "message structure error"
	}
	msg := m.Message
	targets := 0
	for _, set := range []bool{len(msg.Token) > 0 && string(msg.Token) != "null", msg.Topic != "", msg.Condition != ""} {
		if set {
			targets++
		}
	}
	switch {
	case targets > 1:
		return HuaweiBadStructure, "token, topic and condition are exclusive"
	case msg.Topic != "" || msg.Condition != "":
	case json.Unmarshal(msg.Token, &tokens) != nil && targets == 1:
		return HuaweiBadStructure, "token must be an array of strings"
	case len(tokens) == 0 || len(tokens) > hwMaxTokens:
		return HuaweiTooManyTokens, fmt.Sprintf("the number of tokens must be 1 to %d", hwMaxTokens)
	}
	if len(body)-len(msg.Token) > hwMaxBody {
		return HuaweiBodyTooLarge, fmt.Sprintf("message body exceeds %d bytes", hwMaxBody)
	}
	if msg.Android == nil {
		return "", ""
	}
	return hwValidateAndroid(msg.Android, msg.Notification)
}

// hwValidateAndroid checks android and its notification like HMSGO's
// verify package and the API reference.
func hwValidateAndroid(a *hwAndroid, common *hwText) (string, string) {
	switch {
	case a.CollapseKey != nil && (*a.CollapseKey < -1 || *a.CollapseKey > 100):
		return HuaweiBadParam, "collapse_key must be in [-1, 100]"
	case a.Urgency != "" && a.Urgency != "HIGH" && a.Urgency != "NORMAL":
		return HuaweiBadParam, "urgency must be HIGH or NORMAL"
	case a.Category != "" && !hwCategory(a.Category):
		return HuaweiBadParam, "unknown category " + a.Category
	case a.TTL != "" && !hwTTLOK(a.TTL):
		return HuaweiBadParam, "malformed ttl or longer than 15 days"
	}
	n := a.Notification
	if n == nil {
		return "", ""
	}
	title, text := n.Title, n.Body
	if common != nil {
		title, text = hwOr(title, common.Title), hwOr(text, common.Body)
	}
	switch {
	case title == "" || text == "":
		return HuaweiBadParam, "notification title and body are required"
	case n.Importance != "" && n.Importance != "LOW" && n.Importance != "NORMAL" && n.Importance != "HIGH":
		return HuaweiBadParam, "importance must be LOW, NORMAL or HIGH"
	case n.Sound == "" && !n.DefaultSound:
		return HuaweiBadParam, "sound must not be empty when default_sound is false"
	case n.Sound != "" && !strings.HasPrefix(n.Sound, "/raw/"):
		// A custom sound is a file of the app's res/raw, named by its path
		// [vendor-protocols.md §4: "sound":"/raw/shake"].
		return HuaweiBadParam, "sound must be a /raw/ resource path"
	case hwCheckStyle(n.Image, n.Style, n.BigTitle, n.BigBody) != "":
		return HuaweiBadParam, hwCheckStyle(n.Image, n.Style, n.BigTitle, n.BigBody)
	case n.Badge != nil && (n.Badge.Class == "" || !hwInRange(n.Badge.SetNum, 0) || !hwInRange(n.Badge.AddNum, 1)):
		return HuaweiBadParam, "badge needs a class and set_num in [0, 99] or add_num in [1, 99]"
	case n.ClickAction == nil:
		return HuaweiBadParam, "click_action object must not be null"
	}
	if msg := n.ClickAction.fault("click_action", "https://"); msg != "" {
		return HuaweiBadParam, msg
	}
	return "", ""
}

// hwCategory reports whether c is one of android.category's documented
// values [§4 Send].
func hwCategory(c string) bool {
	switch c {
	case "IM", "VOIP", "SUBSCRIPTION", "TRAVEL", "HEALTH", "WORK", "ACCOUNT", "EXPRESS",
		"FINANCE", "DEVICE_REMINDER", "MAIL", "PLAY_VOICE", "MARKETING":
		return true
	}
	return false
}

// hwTTLOK accepts the ttl forms of HMSGO's verify pattern ("86400",
// "86400s", "1.5s") up to 15 days.
func hwTTLOK(ttl string) bool {
	num := strings.TrimSuffix(strings.TrimSuffix(ttl, "s"), "S")
	if num == "" || strings.Trim(num, "0123456789.") != "" || strings.Count(num, ".") > 1 {
		return false
	}
	s, err := strconv.ParseFloat(num, 64)
	return err == nil && s <= hwMaxTTL.Seconds()
}

func hwInRange(v *int, lo int) bool { return v == nil || (*v >= lo && *v <= 99) }

func hwOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// deliver answers a valid request: success, a partial 80100000 listing the
// tokens told to fail, or 80300007 when all of them are.
func (h *Huawei) deliver(tokens []string) (int, any) {
	bad := map[string][]string{}
	var list []string
	for _, t := range tokens {
		if fl, failed := h.ForToken(t); failed {
			bad[hwOr(fl.Code, HuaweiAllInvalid)] = append(bad[hwOr(fl.Code, HuaweiAllInvalid)], t)
			list = append(list, t)
		}
	}
	switch {
	case len(list) == len(tokens):
		return h.fail(HuaweiAllInvalid, "all the tokens are invalid")
	case len(list) > 0:
		detail := map[string]any{"success": len(tokens) - len(list), "failure": len(list), "illegal_tokens": list}
		if h.mapForm {
			detail = map[string]any{"success": len(tokens) - len(list), "failure": len(list), "illegalTokens": bad}
		}
		b, _ := json.Marshal(detail)
		return http.StatusOK, map[string]any{"code": HuaweiPartial, "msg": string(b), "requestId": h.requestID()}
	}
	return http.StatusOK, map[string]any{"code": HuaweiSuccess, "msg": "Success", "requestId": h.requestID()}
}

// fail is Huawei's error body with the HTTP status Huawei pairs with code.
func (h *Huawei) fail(code, msg string) (int, any) {
	if msg == "" {
		msg = "error " + code
	}
	return hwStatus(code), map[string]any{"code": code, "msg": msg, "requestId": h.requestID()}
}

// hwStatus is the HTTP status of a result code (HWDOC send API table).
func hwStatus(code string) int {
	switch {
	case code == HuaweiSuccess || code == HuaweiPartial:
		return http.StatusOK
	case strings.HasPrefix(code, "802"):
		return http.StatusUnauthorized
	case code == "80300002":
		return http.StatusForbidden
	case code == HuaweiBodyTooLarge:
		return http.StatusRequestEntityTooLarge
	case strings.HasPrefix(code, "81"):
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// hwBareStatus is the status of a FailNext without a code (503 by default:
// Huawei's flow control).
func hwBareStatus(fl Failure) int {
	if fl.Status == 0 {
		return http.StatusServiceUnavailable
	}
	return fl.Status
}

func (h *Huawei) requestID() string { return h.ids.next(h.now(), 6) }
