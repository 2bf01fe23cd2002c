package fake

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// OPPO facts the fake enforces (vendor-protocols.md §5). The codes are
// written here again, not imported from the adapter, so the fake checks the
// adapter against the document rather than against itself.
const (
	oppoCodeOK              = 0
	oppoCodeInvalidToken    = 11    // Invalid AuthToken
	oppoCodeInvalidAppKey   = 14    // Invalid AppKey
	oppoCodeMissingAppKey   = 15    // Missing AppKey
	oppoCodeInvalidSign     = 16    // Invalid signature
	oppoCodeMissingSign     = 17    // Missing signature
	oppoCodeMissingTS       = 18    // Missing timestamp
	oppoCodeInvalidTS       = 19    // Invalid timestamp (skew over 10 min)
	oppoCodeMissingToken    = 29    // Missing Auth Token
	oppoCodeMissingArgs     = 40    // Missing required arguments
	oppoCodeInvalidArgs     = 41    // Invalid arguments
	oppoCodeInvalidRegID    = 10000 // Invalid registration_id
	oppoCodeCategory        = 67    // category or private-channel notify_level invalid
	oppoMaxBatch            = 1000  // unicast_batch messages per request
	oppoMaxSkew             = 10 * time.Minute
	oppoTitleMax            = 50     // SDK TITLE_LENGTH_LIMIT
	oppoContentMax          = 200    // SDK CONTENT_LENGTH_LIMIT
	oppoClickTargetMax      = 500    // click_action_activity / click_action_url
	oppoActionParametersMax = 4096   // action_parameters, 4 KB
	oppoOfflineTTLMax       = 864000 // off_line_ttl, 10 days
	oppoDefaultTokenTTL     = 24 * time.Hour
)

// oppoText is OPPO's text for the codes the fake answers with.
func oppoText(code int) string {
	if t, ok := map[int]string{
		-1: "Service Currently Unavailable", -2: "Service in Flow Control", 11: "Invalid AuthToken",
		13: "App Call Limited", 14: "Invalid AppKey", 15: "Missing AppKey", 16: "Invalid Signature",
		17: "Missing Signature", 18: "Missing Timestamp", 19: "Invalid Timestamp", 29: "Missing Auth Token",
		33: "The number of messages exceeds the daily limit", 40: "Missing Required Arguments",
		41: "Invalid Arguments", 55: "App Call Frequency Limit", 10000: "registration_id格式不正确",
	}[code]; ok {
		return t
	}
	return "Error"
}

// OPPOOptions configures NewOPPO.
type OPPOOptions struct {
	// Now is the fake's clock (time.Now when nil): auth timestamps are
	// checked and issued tokens expire against it.
	Now func() time.Time
	// TokenTTL is the life of an issued auth_token (24 h when zero).
	TokenTTL time.Duration
}

// OPPO is a loopback fake of OPPO Push: POST /server/v1/auth and the
// notification unicast and unicast_batch routes. It checks the SHA-256
// signature and timestamp, the auth_token it issued, the message fields and
// the batch size, and answers with OPPO's bodies. FailNext applies to the
// send routes only, so an injected auth error (11) is followed by a real
// refresh; FailToken reports the token in the batch's per-item errorCode.
type OPPO struct {
	*Server
	Log
	Faults
	// ReceiptLog holds the delivery receipts sent to the call_back_url of
	// accepted messages (oppo_receipts.go).
	*ReceiptLog

	now   func() time.Time
	ttl   time.Duration
	regID *regexp.Regexp

	mu        sync.Mutex
	apps      map[string]*oppoApp
	tokens    map[string]oppoIssued
	seq       int
	authCalls int
	noChannel int
}

type oppoApp struct {
	id       int
	secret   string
	channels map[string]bool
}

type oppoIssued struct {
	appKey  string
	expires time.Time
}

// oppoResult is one answer: {"code":…,"message":…,"data":…}.
type oppoResult struct {
	status     int
	code       int
	message    string
	data       any
	retryAfter time.Duration
}

// NewOPPO starts an OPPO fake; Close it when done.
func NewOPPO(opts OPPOOptions) *OPPO {
	f := &OPPO{ReceiptLog: newReceiptLog(),
		now: opts.Now, ttl: opts.TokenTTL,
		// The official SDK's registration_id pattern (Validate).
		regID:  regexp.MustCompile(`^((([0-9A-Za-z]{2,10})_)?([A-Z]{2}|EUEX)_)?[0-9a-fA-F]{32}$`),
		apps:   map[string]*oppoApp{},
		tokens: map[string]oppoIssued{},
	}
	f.now = clock(f.now)
	if f.ttl <= 0 {
		f.ttl = oppoDefaultTokenTTL
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /server/v1/auth", f.handleAuth)
	mux.HandleFunc("POST /server/v1/message/notification/unicast", f.handleUnicast)
	mux.HandleFunc("POST /server/v1/message/notification/unicast_batch", f.handleBatch)
	f.Server = StartTLS(mux)
	return f
}

// AddApp registers an app. When channels are given, a message naming
// another channel_id is refused (41), as for a channel never registered in
// the OPPO console; a message without channel_id is accepted and counted by
// NoChannel.
func (f *OPPO) AddApp(appKey, masterSecret string, channels ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	app := &oppoApp{id: 30000001 + len(f.apps), secret: masterSecret}
	if len(channels) > 0 {
		app.channels = map[string]bool{}
		for _, c := range channels {
			app.channels[c] = true
		}
	}
	f.apps[appKey] = app
}

// TokenRequests returns how many auth calls the fake received.
func (f *OPPO) TokenRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authCalls
}

// NoChannel returns how many messages arrived without a channel_id.
func (f *OPPO) NoChannel() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.noChannel
}

// ExpireTokens revokes every issued auth_token, as a server-side expiry.
func (f *OPPO) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]oppoIssued{}
}

// OPPOToken returns the i-th valid-looking OPPO registration_id.
func OPPOToken(i int) string { return fmt.Sprintf("OPPO_CN_%032x", i) }

func (f *OPPO) handleAuth(w http.ResponseWriter, r *http.Request) {
	raw, form := oppoReadForm(r)
	f.mu.Lock()
	f.authCalls++
	f.mu.Unlock()
	f.finish(w, r, raw, nil, f.auth(form))
}

func (f *OPPO) auth(form url.Values) oppoResult {
	key, ts, sig := form.Get("app_key"), form.Get("timestamp"), form.Get("sign")
	f.mu.Lock()
	app := f.apps[key]
	f.mu.Unlock()
	switch {
	case key == "":
		return oppoFail(oppoCodeMissingAppKey)
	case app == nil:
		return oppoFail(oppoCodeInvalidAppKey)
	case ts == "":
		return oppoFail(oppoCodeMissingTS)
	case !oppoFresh(ts, f.now()):
		return oppoFail(oppoCodeInvalidTS)
	case sig == "":
		return oppoFail(oppoCodeMissingSign)
	}
	sum := sha256.Sum256([]byte(key + ts + app.secret))
	if !strings.EqualFold(sig, hex.EncodeToString(sum[:])) {
		return oppoFail(oppoCodeInvalidSign)
	}
	tok := oppoNewToken()
	now := f.now()
	f.mu.Lock()
	f.tokens[tok] = oppoIssued{appKey: key, expires: now.Add(f.ttl)}
	f.mu.Unlock()
	return oppoResult{data: map[string]any{"auth_token": tok, "create_time": now.UnixMilli()}}
}

// oppoFresh reports whether the millisecond timestamp ts is within 10
// minutes of now.
func oppoFresh(ts string, now time.Time) bool {
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := now.Sub(time.UnixMilli(ms))
	return d <= oppoMaxSkew && d >= -oppoMaxSkew
}

func oppoNewToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// authorize checks the auth_token form field and returns its app.
func (f *OPPO) authorize(form url.Values) (*oppoApp, *oppoResult) {
	tok := form.Get("auth_token")
	if tok == "" {
		r := oppoFail(oppoCodeMissingToken)
		return nil, &r
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	is, ok := f.tokens[tok]
	if !ok || !f.now().Before(is.expires) {
		r := oppoFail(oppoCodeInvalidToken)
		return nil, &r
	}
	return f.apps[is.appKey], nil
}

// oppoMessage is the part of an OPPO message the fake reads.
type oppoMessage struct {
	TargetType   int    `json:"target_type"`
	TargetValue  string `json:"target_value"`
	Notification *struct {
		Title               string `json:"title"`
		Content             string `json:"content"`
		ClickActionType     int    `json:"click_action_type"`
		ClickActionActivity string `json:"click_action_activity"`
		ClickActionURL      string `json:"click_action_url"`
		ActionParameters    string `json:"action_parameters"`
		ChannelID           string `json:"channel_id"`
		AppMessageID        string `json:"app_message_id"`
		// NotifyID is an integer: a string does not decode, and the
		// message is refused as not a JSON object of OPPO's fields.
		NotifyID   *int64 `json:"notify_id"`
		OffLineTTL int    `json:"off_line_ttl"`
		oppoClass
	} `json:"notification"`
}

func (f *OPPO) handleUnicast(w http.ResponseWriter, r *http.Request) {
	raw, form := oppoReadForm(r)
	var m oppoMessage
	decodeErr := json.Unmarshal([]byte(form.Get("message")), &m)
	tokens := []string{m.TargetValue}
	app, fail := f.authorize(form)
	switch {
	case fail != nil:
		f.finish(w, r, raw, tokens, *fail)
		return
	case form.Get("message") == "":
		f.finish(w, r, raw, nil, oppoFail(oppoCodeMissingArgs, "message is required"))
		return
	case decodeErr != nil:
		f.finish(w, r, raw, nil, oppoFail(oppoCodeInvalidArgs, "message is not a JSON object"))
		return
	}
	if fl, ok := f.TakeNext(); ok {
		f.finish(w, r, raw, tokens, oppoFailure(fl))
		return
	}
	if res, bad := f.validate(app, &m); bad {
		f.finish(w, r, raw, tokens, res)
		return
	}
	switch fl, failed := f.ForToken(m.TargetValue); {
	case !f.regID.MatchString(m.TargetValue):
		f.finish(w, r, raw, tokens, oppoFail(oppoCodeInvalidRegID))
	case failed:
		f.finish(w, r, raw, tokens, oppoFailure(fl))
	default:
		f.finish(w, r, raw, tokens, oppoResult{data: map[string]any{"messageId": f.nextID(app)}})
	}
}

func (f *OPPO) handleBatch(w http.ResponseWriter, r *http.Request) {
	raw, form := oppoReadForm(r)
	var msgs []oppoMessage
	decodeErr := json.Unmarshal([]byte(form.Get("messages")), &msgs)
	tokens := make([]string, len(msgs))
	for i, m := range msgs {
		tokens[i] = m.TargetValue
	}
	app, fail := f.authorize(form)
	if fail == nil {
		fail = f.checkBatch(form.Get("messages"), decodeErr, len(msgs))
	}
	if fail != nil {
		f.finish(w, r, raw, tokens, *fail)
		return
	}
	if fl, ok := f.TakeNext(); ok {
		f.finish(w, r, raw, tokens, oppoFailure(fl))
		return
	}
	data := make([]map[string]any, 0, len(msgs))
	for i := range msgs {
		if res, bad := f.validate(app, &msgs[i]); bad {
			f.finish(w, r, raw, tokens, res)
			return
		}
		data = append(data, f.deliver(app, msgs[i].TargetValue))
	}
	f.finish(w, r, raw, tokens, oppoResult{data: data})
}

// checkBatch validates the messages field as a whole.
func (f *OPPO) checkBatch(field string, decodeErr error, n int) *oppoResult {
	var res oppoResult
	switch {
	case field == "":
		res = oppoFail(oppoCodeMissingArgs, "messages is required")
	case decodeErr != nil:
		res = oppoFail(oppoCodeInvalidArgs, "messages is not a JSON array")
	case n == 0 || n > oppoMaxBatch:
		res = oppoFail(oppoCodeInvalidArgs, fmt.Sprintf("messages must hold 1..%d messages, got %d", oppoMaxBatch, n))
	default:
		return nil
	}
	return &res
}

// deliver answers for one target: an error item for a malformed
// registration_id or a FailToken, a messageId otherwise.
func (f *OPPO) deliver(app *oppoApp, target string) map[string]any {
	if !f.regID.MatchString(target) {
		return map[string]any{"registrationId": target, "errorCode": oppoCodeInvalidRegID,
			"errorMessage": oppoText(oppoCodeInvalidRegID)}
	}
	if fl, ok := f.ForToken(target); ok {
		code := oppoAtoi(fl.Code)
		msg := fl.Message
		if msg == "" {
			msg = oppoText(code)
		}
		return map[string]any{"registrationId": target, "errorCode": code, "errorMessage": msg}
	}
	return map[string]any{"registrationId": target, "messageId": f.nextID(app)}
}

// nextID returns a new messageId in OPPO's "<appId>-1-1-<id>" shape.
func (f *OPPO) nextID(app *oppoApp) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return fmt.Sprintf("%d-1-1-%024x", app.id, f.seq)
}

// validate applies OPPO's field rules to one message.
func (f *OPPO) validate(app *oppoApp, m *oppoMessage) (oppoResult, bool) {
	if m.TargetType != 2 || m.TargetValue == "" || m.Notification == nil {
		return oppoFail(oppoCodeMissingArgs, "target_type 2, target_value and notification are required"), true
	}
	n := m.Notification
	if msg := oppoCheckText(n.Title, n.Content); msg != "" {
		return oppoFail(oppoCodeInvalidArgs, msg), true
	}
	if msg := oppoCheckClick(n.ClickActionType, n.ClickActionActivity, n.ClickActionURL); msg != "" {
		return oppoFail(oppoCodeInvalidArgs, msg), true
	}
	if msg := oppoCheckParameters(n.ActionParameters); msg != "" {
		return oppoFail(oppoCodeInvalidArgs, msg), true
	}
	if code, msg := n.oppoClass.check(n.Content); code != 0 {
		return oppoFail(code, msg), true
	}
	if n.NotifyID != nil && (*n.NotifyID < 1 || *n.NotifyID > math.MaxInt32) {
		// notify_id "same id overrides" (vendor-protocols.md §5); its range
		// is not captured, the fake takes the positive 32-bit ints Android
		// notification ids are [UNCERTAIN].
		return oppoFail(oppoCodeInvalidArgs, "notify_id must be a positive 32-bit integer"), true
	}
	if n.OffLineTTL < 0 || n.OffLineTTL > oppoOfflineTTLMax {
		return oppoFail(oppoCodeInvalidArgs, fmt.Sprintf("off_line_ttl must be 0..%d", oppoOfflineTTLMax)), true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if n.ChannelID == "" {
		f.noChannel++
	} else if app.channels != nil && !app.channels[n.ChannelID] {
		return oppoFail(oppoCodeInvalidArgs, "channel_id "+n.ChannelID+" is not registered"), true
	}
	return oppoResult{}, false
}

func oppoCheckText(title, content string) string {
	if n := utf8.RuneCountInString(title); n < 1 || n > oppoTitleMax {
		return fmt.Sprintf("title must be 1..%d characters, got %d", oppoTitleMax, n)
	}
	if n := utf8.RuneCountInString(content); n < 1 || n > oppoContentMax {
		return fmt.Sprintf("content must be 1..%d characters, got %d", oppoContentMax, n)
	}
	return ""
}

// oppoCheckClick applies the click_action_type rules: 1 and 4 need an
// Activity, 2 and 5 a URL, each at most 500 characters.
func oppoCheckClick(typ int, activity, link string) string {
	switch typ {
	case 0:
		return ""
	case 1, 4:
		if activity == "" || utf8.RuneCountInString(activity) > oppoClickTargetMax {
			return fmt.Sprintf("click_action_type %d needs click_action_activity of 1..%d characters", typ, oppoClickTargetMax)
		}
	case 2, 5:
		if link == "" || utf8.RuneCountInString(link) > oppoClickTargetMax {
			return fmt.Sprintf("click_action_type %d needs click_action_url of 1..%d characters", typ, oppoClickTargetMax)
		}
	default:
		return fmt.Sprintf("unknown click_action_type %d", typ)
	}
	return ""
}

// oppoCheckParameters checks action_parameters: a JSON object of at most
// 4 KB, or absent.
func oppoCheckParameters(p string) string {
	if p == "" {
		return ""
	}
	if len(p) > oppoActionParametersMax {
		return fmt.Sprintf("action_parameters is %d bytes, the limit is %d", len(p), oppoActionParametersMax)
	}
	var obj map[string]any
	if json.Unmarshal([]byte(p), &obj) != nil || obj == nil {
		return "action_parameters must be a JSON object"
	}
	return ""
}

// oppoFail is an error answer with OPPO's text for code, or msg.
func oppoFail(code int, msg ...string) oppoResult {
	r := oppoResult{code: code, message: oppoText(code)}
	if len(msg) > 0 && msg[0] != "" {
		r.message = msg[0]
	}
	return r
}

// oppoFailure is the answer for an injected failure.
func oppoFailure(fl Failure) oppoResult {
	r := oppoFail(oppoAtoi(fl.Code), fl.Message)
	r.status, r.retryAfter = fl.Status, fl.RetryAfter
	return r
}

// oppoAtoi reads an injected code; a non-numeric one becomes -1, "service
// unavailable".
func oppoAtoi(code string) int {
	n, err := strconv.Atoi(code)
	if err != nil {
		return -1
	}
	return n
}

func oppoReadForm(r *http.Request) ([]byte, url.Values) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	form, _ := url.ParseQuery(string(raw))
	return raw, form
}

// finish records the request, then answers it: recording first means a
// test that reads the Log after its send returns always sees the request.
func (f *OPPO) finish(w http.ResponseWriter, r *http.Request, raw []byte, tokens []string, res oppoResult) {
	status := res.status
	if status == 0 {
		status = http.StatusOK
	}
	body := map[string]any{"code": res.code, "message": res.message}
	if res.data != nil {
		body["data"] = res.data
	}
	b, _ := json.Marshal(body)
	f.Add(Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: raw,
		Tokens: tokens, Status: status, At: f.now()})
	writeAnswer(w, status, res.retryAfter, b)
	if status == http.StatusOK && res.code == 0 {
		f.deliveredReceipts(raw, res.data)
	}
}
