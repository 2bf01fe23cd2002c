package fake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// vivo facts the fake enforces (vendor-protocols.md §6), written out again
// rather than imported from the adapter.
const (
	vivoCodeAuth          = 10000 // authToken invalid or expired
	vivoCodeTargetEmpty   = 10050 // regId and alias empty
	vivoCodeNotifyType    = 10054
	vivoCodeTitleEmpty    = 10055
	vivoCodeTitleLong     = 10056 // title over 40 (a Chinese character counts 2)
	vivoCodeContentEmpty  = 10057
	vivoCodeContentLong   = 10058 // content over 100 (a Chinese character counts 2)
	vivoCodeTTL           = 10059
	vivoCodeSkipType      = 10060
	vivoCodeSkipContent   = 10061
	vivoCodeSkipLong      = 10062
	vivoCodeNetworkType   = 10065
	vivoCodeCustomPairs   = 10066 // clientCustomMap over 10 pairs
	vivoCodeCustomSize    = 10067 // clientCustomMap over 1024 characters
	vivoCodeAppMismatch   = 10094
	vivoCodeCallbackLong  = 10305 // extra.callback over 128
	vivoCodeParamLong     = 10306 // extra.callback.param over 64
	vivoCodeTaskID        = 10151
	vivoCodeRegIDCount    = 10153 // pushToList regIds not within 2..1000
	vivoCodeAuthParams    = 10200
	vivoCodeAuthSign      = 10206
	vivoCodeAuthTimestamp = 10207
	vivoCodeRegID         = 10302
	vivoCodeRequestID     = 10352
	vivoCodeRequestIDLong = 10353
	vivoMaxSkew           = 10 * time.Minute
	vivoDefaultTokenTTL   = 24 * time.Hour
)

// VivoOptions configures NewVivo.
type VivoOptions struct {
	// Now is the fake's clock (time.Now when nil).
	Now func() time.Time
	// TokenTTL is the life of an issued authToken (24 h when zero).
	TokenTTL time.Duration
}

// Vivo is a loopback fake of vivo Push: /message/auth, /message/send,
// /message/saveListPayload and /message/pushToList. It checks the MD5
// signature and timestamp, the authToken header, requestId, the
// notification fields and the list size, and answers with vivo's bodies.
// FailNext applies to the send routes only; FailToken reports the token in
// invalidUser (send) or invalidUsers (pushToList).
type Vivo struct {
	*Server
	Log
	Faults
	// ReceiptLog holds the delivery receipts sent to the extra.callback of
	// accepted single pushes (vivo_receipts.go).
	*ReceiptLog

	now func() time.Time
	ttl time.Duration

	mu        sync.Mutex
	apps      map[string]*vivoApp
	tokens    map[string]vivoIssued
	tasks     map[string]string // taskId → appId
	seq       int
	authCalls int
}

type vivoApp struct{ key, secret string }

type vivoIssued struct {
	appID   string
	expires time.Time
}

// vivoResult is one answer: {"result":…,"desc":…} plus extra fields.
type vivoResult struct {
	status     int
	result     int
	desc       string
	extra      map[string]any
	retryAfter time.Duration
}

// NewVivo starts a vivo fake; Close it when done.
func NewVivo(opts VivoOptions) *Vivo {
	f := &Vivo{ReceiptLog: newReceiptLog(), now: opts.Now, ttl: opts.TokenTTL, apps: map[string]*vivoApp{},
		tokens: map[string]vivoIssued{}, tasks: map[string]string{}}
	f.now = clock(f.now)
	if f.ttl <= 0 {
		f.ttl = vivoDefaultTokenTTL
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /message/auth", f.handleAuth)
	mux.HandleFunc("POST /message/send", f.handleSend)
	mux.HandleFunc("POST /message/saveListPayload", f.handleSave)
	mux.HandleFunc("POST /message/pushToList", f.handlePushToList)
	f.Server = StartTLS(mux)
	return f
}

// AddApp registers an app.
func (f *Vivo) AddApp(appID, appKey, appSecret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[appID] = &vivoApp{key: appKey, secret: appSecret}
}

// TokenRequests returns how many auth calls the fake received.
func (f *Vivo) TokenRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authCalls
}

// ExpireTokens revokes every issued authToken.
func (f *Vivo) ExpireTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]vivoIssued{}
}

// VivoToken returns the i-th valid-looking vivo regId (23 characters).
func VivoToken(i int) string { return fmt.Sprintf("156%020d", i) }

// vivoBody decodes a request body keeping numbers exact.
func vivoBody(raw []byte) (map[string]any, bool) {
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	var m map[string]any
	return m, d.Decode(&m) == nil && m != nil
}

// vivoStr reads a string or number field as a string.
func vivoStr(m map[string]any, k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func (f *Vivo) handleAuth(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	f.mu.Lock()
	f.authCalls++
	f.mu.Unlock()
	body, _ := vivoBody(raw)
	f.finish(w, r, raw, nil, f.auth(body))
}

func (f *Vivo) auth(b map[string]any) vivoResult {
	appID, key, ts, sig := vivoStr(b, "appId"), vivoStr(b, "appKey"), vivoStr(b, "timestamp"), vivoStr(b, "sign")
	f.mu.Lock()
	app := f.apps[appID]
	f.mu.Unlock()
	switch {
	case appID == "" || app == nil:
		return vivoFail(vivoCodeAuthParams, "appId does not exist.")
	case key != app.key:
		return vivoFail(vivoCodeAuthParams, "appKey is illegal.")
	case ts == "" || sig == "":
		return vivoFail(vivoCodeAuthParams, "timestamp or sign is null.")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if d := f.now().Sub(time.UnixMilli(ms)); err != nil || d > vivoMaxSkew || d < -vivoMaxSkew {
		return vivoFail(vivoCodeAuthTimestamp, "timestamp is illegal.")
	}
	sum := md5.Sum([]byte(strings.TrimSpace(appID + key + ts + app.secret)))
	if !strings.EqualFold(sig, hex.EncodeToString(sum[:])) {
		return vivoFail(vivoCodeAuthSign, "sign is wrong.")
	}
	tok := oppoNewToken()
	f.mu.Lock()
	f.tokens[tok] = vivoIssued{appID: appID, expires: f.now().Add(f.ttl)}
	f.mu.Unlock()
	return vivoResult{desc: "请求成功", extra: map[string]any{"authToken": tok}}
}

// vivoRequest is a send route's request after the common checks.
type vivoRequest struct {
	raw   []byte
	body  map[string]any
	appID string
}

// begin runs the checks every send route shares: the authToken header, an
// injected failure, a JSON body, its appId and its requestId.
func (f *Vivo) begin(r *http.Request) (vivoRequest, *vivoResult) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	req := vivoRequest{raw: raw}
	f.mu.Lock()
	is, ok := f.tokens[r.Header.Get("authToken")]
	f.mu.Unlock()
	if !ok || !f.now().Before(is.expires) {
		return req, vivoRef(vivoFail(vivoCodeAuth, "authToken不合法或已过期"))
	}
	req.appID = is.appID
	if fl, ok := f.TakeNext(); ok {
		return req, vivoRef(vivoFailure(fl))
	}
	body, ok := vivoBody(raw)
	req.body = body
	id := vivoStr(body, "requestId")
	switch {
	case !ok:
		return req, vivoRef(vivoFail(vivoCodeTargetEmpty, "request body is not a JSON object"))
	case vivoStr(body, "appId") != "" && vivoStr(body, "appId") != is.appID:
		return req, vivoRef(vivoFail(vivoCodeAppMismatch, "appId与authToken不匹配"))
	case id == "":
		return req, vivoRef(vivoFail(vivoCodeRequestID, "requestId不能为空"))
	case len(id) > 64:
		return req, vivoRef(vivoFail(vivoCodeRequestIDLong, "requestId长度不能超过64"))
	}
	return req, nil
}

func (f *Vivo) handleSend(w http.ResponseWriter, r *http.Request) {
	req, fail := f.begin(r)
	regID := vivoStr(req.body, "regId")
	tokens := []string{regID}
	if fail == nil {
		fail = vivoRef(vivoCheckMessage(req.body, 60))
	}
	if fail == nil && regID == "" {
		fail = vivoRef(vivoFail(vivoCodeTargetEmpty, "regId和alias不能同时为空"))
	}
	if fail != nil {
		f.finish(w, r, req.raw, tokens, *fail)
		return
	}
	if fl, failed := f.ForToken(regID); (failed && fl.Code == strconv.Itoa(vivoCodeRegID)) || !vivoValidRegID(regID) {
		res := vivoFail(vivoCodeRegID, "regId不合法")
		res.extra = map[string]any{"invalidUser": map[string]any{"status": 1, "userid": regID}}
		f.finish(w, r, req.raw, tokens, res)
		return
	} else if failed {
		f.finish(w, r, req.raw, tokens, vivoFailure(fl))
		return
	}
	f.finish(w, r, req.raw, tokens, vivoResult{desc: "请求成功", extra: map[string]any{"taskId": f.nextTask(req.appID)}})
}

func (f *Vivo) handleSave(w http.ResponseWriter, r *http.Request) {
	req, fail := f.begin(r)
	if fail == nil {
		fail = vivoRef(vivoCheckMessage(req.body, 900))
	}
	if fail != nil {
		f.finish(w, r, req.raw, nil, *fail)
		return
	}
	f.finish(w, r, req.raw, nil, vivoResult{desc: "请求成功", extra: map[string]any{"taskId": f.nextTask(req.appID)}})
}

func (f *Vivo) handlePushToList(w http.ResponseWriter, r *http.Request) {
	req, fail := f.begin(r)
	var regIDs []string
	if list, ok := req.body["regIds"].([]any); ok {
		for _, v := range list {
			s, _ := v.(string)
			regIDs = append(regIDs, s)
		}
	}
	taskID := vivoStr(req.body, "taskId")
	f.mu.Lock()
	owner, known := f.tasks[taskID]
	f.mu.Unlock()
	switch {
	case fail != nil:
	case taskID == "" || !known || owner != req.appID:
		fail = vivoRef(vivoFail(vivoCodeTaskID, "taskId不合法"))
	case len(regIDs) < 2 || len(regIDs) > 1000:
		fail = vivoRef(vivoFail(vivoCodeRegIDCount, "regIds个数必须在2到1000之间"))
	}
	if fail != nil {
		f.finish(w, r, req.raw, regIDs, *fail)
		return
	}
	invalid := []map[string]any{}
	for _, id := range regIDs {
		if _, failed := f.ForToken(id); failed || !vivoValidRegID(id) {
			invalid = append(invalid, map[string]any{"status": 1, "userid": id})
		}
	}
	f.finish(w, r, req.raw, regIDs, vivoResult{desc: "请求成功",
		extra: map[string]any{"taskId": taskID, "invalidUsers": invalid}})
}

func (f *Vivo) nextTask(appID string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	id := strconv.Itoa(121397328 + f.seq)
	f.tasks[id] = appID
	return id
}

// vivoValidRegID accepts the 23-character alphanumeric regIds vivo issues.
func vivoValidRegID(id string) bool {
	if len(id) != 23 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// vivoCheckMessage applies vivo's notification field rules; minTTL is 60 s
// for /message/send and 900 s for the other APIs.
func vivoCheckMessage(b map[string]any, minTTL int) vivoResult {
	num := func(k string) (int, bool) {
		n, err := strconv.Atoi(vivoStr(b, k))
		return n, err == nil
	}
	title, content := vivoStr(b, "title"), vivoStr(b, "content")
	nt, _ := num("notifyType")
	ttl, hasTTL := num("timeToLive")
	net, hasNet := num("networkType")
	switch {
	case nt < 1 || nt > 4:
		return vivoFail(vivoCodeNotifyType, "notifyType不合法")
	case title == "":
		return vivoFail(vivoCodeTitleEmpty, "title不能为空")
	case vivoWidth(title) > 40:
		return vivoFail(vivoCodeTitleLong, "title长度不能超过40个字符")
	case content == "":
		return vivoFail(vivoCodeContentEmpty, "content不能为空")
	case vivoWidth(content) > 100:
		return vivoFail(vivoCodeContentLong, "content长度不能超过100个字符")
	case hasTTL && (ttl < minTTL || ttl > 604800):
		return vivoFail(vivoCodeTTL, fmt.Sprintf("timeToLive必须在%d到604800之间", minTTL))
	case hasNet && net != -1 && net != 1:
		return vivoFail(vivoCodeNetworkType, "networkType不合法")
	}
	if res := vivoCheckSkip(b); res.result != 0 {
		return res
	}
	if extra, ok := b["extra"].(map[string]any); ok {
		switch cb, _ := extra["callback"].(string); {
		case len(cb) > 128:
			return vivoFail(vivoCodeCallbackLong, "extra.callback长度不能超过128")
		case len(vivoStr(extra, "callback.param")) > 64:
			return vivoFail(vivoCodeParamLong, "extra.callback.param长度不能超过64")
		}
	}
	return vivoCheckCustomMap(b["clientCustomMap"])
}

// vivoCheckSkip applies the skipType rules: 2 needs a URL of ≤1000
// characters, 3 and 4 content of ≤1024.
func vivoCheckSkip(b map[string]any) vivoResult {
	typ, err := strconv.Atoi(vivoStr(b, "skipType"))
	content := vivoStr(b, "skipContent")
	limit := 1024
	switch {
	case err != nil || typ < 1 || typ > 4:
		return vivoFail(vivoCodeSkipType, "skipType不合法")
	case typ == 1:
		return vivoResult{}
	case typ == 2:
		limit = 1000
	}
	if content == "" {
		return vivoFail(vivoCodeSkipContent, "skipContent不能为空")
	}
	if utf8.RuneCountInString(content) > limit {
		return vivoFail(vivoCodeSkipLong, fmt.Sprintf("skipContent长度不能超过%d", limit))
	}
	return vivoResult{}
}

// vivoCheckCustomMap: at most 10 string pairs, 1024 characters in all.
func vivoCheckCustomMap(v any) vivoResult {
	if v == nil {
		return vivoResult{}
	}
	m, ok := v.(map[string]any)
	if !ok || len(m) > 10 {
		return vivoFail(vivoCodeCustomPairs, "clientCustomMap最多10个键值对")
	}
	size := 0
	for k, val := range m {
		s, isStr := val.(string)
		if !isStr {
			return vivoFail(vivoCodeCustomPairs, "clientCustomMap的值必须是字符串")
		}
		size += utf8.RuneCountInString(k) + utf8.RuneCountInString(s)
	}
	if size > 1024 {
		return vivoFail(vivoCodeCustomSize, "clientCustomMap长度不能超过1024")
	}
	return vivoResult{}
}

// vivoWidth counts a CJK (or full-width) character as two.
func vivoWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hangul, unicode.Hiragana, unicode.Katakana),
			r >= 0x3000 && r <= 0x303F, r >= 0xFF01 && r <= 0xFF60:
			n += 2
		default:
			n++
		}
	}
	return n
}

func vivoFail(code int, desc string) vivoResult { return vivoResult{result: code, desc: desc} }

func vivoRef(r vivoResult) *vivoResult {
	if r.result == 0 {
		return nil
	}
	return &r
}

// vivoFailure is the answer for an injected failure; a non-numeric code
// becomes an HTTP 500, vivo's "Internet server error!".
func vivoFailure(fl Failure) vivoResult {
	code, err := strconv.Atoi(fl.Code)
	r := vivoResult{result: code, desc: fl.Message, status: fl.Status, retryAfter: fl.RetryAfter}
	if err != nil {
		r.result, r.status = -1, http.StatusInternalServerError
	}
	if r.desc == "" {
		r.desc = "error " + fl.Code
	}
	return r
}

// finish records the request, then answers it (recording first, so a test
// reading the Log after its send returns sees the request).
func (f *Vivo) finish(w http.ResponseWriter, r *http.Request, raw []byte, tokens []string, res vivoResult) {
	status := res.status
	if status == 0 {
		status = http.StatusOK
	}
	var b []byte
	if res.result == -1 {
		b = []byte("Internet server error!")
	} else {
		body := map[string]any{"result": res.result, "desc": res.desc}
		for k, v := range res.extra {
			body[k] = v
		}
		b, _ = json.Marshal(body)
	}
	// pushMode 1 is a test push: only the test devices registered in
	// vivo's console get it, and the fake has none [vendor-protocols.md §6
	// pushMode], so an accepted one is recorded as Validated.
	body, _ := vivoBody(raw)
	validated := status == http.StatusOK && res.result == 0 && len(tokens) > 0 && vivoStr(body, "pushMode") == "1"
	f.Add(Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: raw,
		Tokens: tokens, Status: status, At: f.now(), Validated: validated})
	writeAnswer(w, status, res.retryAfter, b)
	if status == http.StatusOK && res.result == 0 && r.URL.Path == vivoSendPath {
		f.deliveredReceipts(raw, tokens, res.extra)
	}
}
