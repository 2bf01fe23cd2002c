package fake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Meizu facts the fake enforces (vendor-protocols.md §7), written out again
// rather than imported from the adapter. Codes are strings on the wire.
const (
	meizuCodeOK         = "200"
	meizuCodeParam      = "1005"   // parameter error
	meizuCodeSign       = "1006"   // signature authentication failed
	meizuCodeAppID      = "110000" // appId illegal
	meizuCodeEmpty      = "110004" // parameter empty
	meizuCodeIllegalID  = "110003" // pushId illegal (in value)
	meizuMaxPushIDs     = 100
	meizuTitleMax       = 32
	meizuContentMax     = 100
	meizuNotifyKeyMax   = 8
	meizuValidHoursMax  = 72
	meizuCustomAttrMax  = 1000
	meizuPushByPushPath = "/garcia/api/server/push/varnished/pushByPushId"
)

// MeizuOptions configures NewMeizu.
type MeizuOptions struct {
	// Now is the fake's clock (time.Now when nil); it only stamps records,
	// since Meizu signs without a timestamp.
	Now func() time.Time
}

// Meizu is a loopback fake of Meizu Flyme Push's pushByPushId. It checks
// the sorted-parameter MD5 sign, the pushId count and messageJson's field
// rules, and answers with Meizu's bodies (string codes). FailNext answers
// with a top-level code; FailToken lists the token under its code in the
// "value" map, as Meizu reports per-device failures.
type Meizu struct {
	*Server
	Log
	Faults
	// ReceiptLog holds the receipts sent to the extra.callback of accepted
	// messages (meizu_receipts.go).
	*ReceiptLog
	callbacks callbackOf

	now func() time.Time

	mu   sync.Mutex
	apps map[string]string // appId → appSecret
	seq  int
}

// meizuResult is one answer: {"code","message","value","redirect","msgId"}.
type meizuResult struct {
	status     int
	code       string
	message    string
	value      any
	msgID      string
	retryAfter time.Duration
}

// NewMeizu starts a Meizu fake; Close it when done.
func NewMeizu(opts MeizuOptions) *Meizu {
	f := &Meizu{now: opts.Now, apps: map[string]string{}, ReceiptLog: newReceiptLog()}
	f.now = clock(f.now)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+meizuPushByPushPath, f.handlePush)
	f.Server = StartTLS(mux)
	return f
}

// AddApp registers an app.
func (f *Meizu) AddApp(appID, appSecret string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apps[appID] = appSecret
}

// MeizuToken returns the i-th valid-looking Meizu pushId.
func MeizuToken(i int) string { return fmt.Sprintf("ULY6c%030x", i) }

func (f *Meizu) handlePush(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	form, _ := url.ParseQuery(string(raw))
	var ids []string
	if p := form.Get("pushIds"); p != "" {
		ids = strings.Split(p, ",")
	}
	f.finish(w, r, raw, ids, f.push(form, ids))
}

func (f *Meizu) push(form url.Values, ids []string) meizuResult {
	if res, bad := f.checkSign(form); bad {
		return res
	}
	if fl, ok := f.TakeNext(); ok {
		return meizuFailure(fl)
	}
	switch {
	case len(ids) == 0 || form.Get("messageJson") == "":
		return meizuFail(meizuCodeEmpty, "参数不能为空")
	case len(ids) > meizuMaxPushIDs:
		return meizuFail(meizuCodeParam, fmt.Sprintf("pushIds不能超过%d个", meizuMaxPushIDs))
	}
	if msg := meizuCheckMessage(form.Get("messageJson")); msg != "" {
		return meizuFail(meizuCodeParam, msg)
	}
	value := map[string][]string{}
	for _, id := range ids {
		if !meizuValidPushID(id) {
			value[meizuCodeIllegalID] = append(value[meizuCodeIllegalID], id)
		} else if fl, ok := f.ForToken(id); ok {
			value[fl.Code] = append(value[fl.Code], id)
		}
	}
	f.mu.Lock()
	f.seq++
	id := fmt.Sprintf("NS%020d", f.seq)
	f.mu.Unlock()
	return meizuResult{code: meizuCodeOK, value: value, msgID: id}
}

// checkSign verifies appId and the sign over every other parameter, sorted
// by key, as raw k=v pairs followed by the app secret.
func (f *Meizu) checkSign(form url.Values) (meizuResult, bool) {
	appID, sig := form.Get("appId"), form.Get("sign")
	f.mu.Lock()
	secret, known := f.apps[appID]
	f.mu.Unlock()
	switch {
	case appID == "" || sig == "":
		return meizuFail(meizuCodeEmpty, "参数不能为空"), true
	case !known:
		return meizuFail(meizuCodeAppID, "appId不合法"), true
	}
	keys := make([]string, 0, len(form))
	for k := range form {
		if k != "sign" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + form.Get(k))
	}
	sum := md5.Sum([]byte(b.String() + secret))
	if !strings.EqualFold(sig, hex.EncodeToString(sum[:])) {
		return meizuFail(meizuCodeSign, "签名认证失败"), true
	}
	return meizuResult{}, false
}

// meizuMessage is the part of messageJson the fake checks.
type meizuMessage struct {
	NoticeBarInfo *struct {
		NoticeMsgType int    `json:"noticeMsgType"`
		Title         string `json:"title"`
		Content       string `json:"content"`
	} `json:"noticeBarInfo"`
	ClickTypeInfo struct {
		ClickType       int            `json:"clickType"`
		URL             string         `json:"url"`
		Activity        string         `json:"activity"`
		Parameters      map[string]any `json:"parameters"`
		CustomAttribute string         `json:"customAttribute"`
	} `json:"clickTypeInfo"`
	PushTimeInfo struct {
		OffLine   int  `json:"offLine"`
		ValidTime *int `json:"validTime"`
	} `json:"pushTimeInfo"`
	AdvanceInfo struct {
		NotifyKey        string `json:"notifyKey"`
		NotificationType *struct {
			Vibrate, Lights, Sound int
		} `json:"notificationType"`
	} `json:"advanceInfo"`
}

// meizuCheckMessage applies messageJson's rules, returning the refusal
// message or "".
func meizuCheckMessage(js string) string {
	var m meizuMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		return "messageJson格式错误: " + err.Error()
	}
	if m.NoticeBarInfo == nil {
		return "noticeBarInfo不能为空"
	}
	nb := m.NoticeBarInfo
	if n := utf8.RuneCountInString(nb.Title); n < 1 || n > meizuTitleMax {
		return fmt.Sprintf("title长度必须在1到%d之间", meizuTitleMax)
	}
	if n := utf8.RuneCountInString(nb.Content); n < 1 || n > meizuContentMax {
		return fmt.Sprintf("content长度必须在1到%d之间", meizuContentMax)
	}
	if nb.NoticeMsgType != 0 && nb.NoticeMsgType != 1 {
		return "noticeMsgType不合法"
	}
	if msg := meizuCheckClick(m); msg != "" {
		return msg
	}
	if v := m.PushTimeInfo.ValidTime; v != nil && (*v < 1 || *v > meizuValidHoursMax) {
		return fmt.Sprintf("validTime必须在1到%d之间", meizuValidHoursMax)
	}
	if k := m.AdvanceInfo.NotifyKey; !meizuValidKey(k) {
		return fmt.Sprintf("notifyKey最多%d个字符[0-9a-zA-Z_-]", meizuNotifyKeyMax)
	}
	if nt := m.AdvanceInfo.NotificationType; nt != nil && (nt.Vibrate|nt.Lights|nt.Sound)&^1 != 0 {
		return "notificationType的值必须是0或1"
	}
	return ""
}

// meizuCheckClick: clickType 1 needs an Activity, 2 a URL, 3 a custom
// attribute of at most 1000 bytes; parameters must be string values.
func meizuCheckClick(m meizuMessage) string {
	c := m.ClickTypeInfo
	switch {
	case c.ClickType < 0 || c.ClickType > 3:
		return "clickType不合法"
	case c.ClickType == 1 && c.Activity == "":
		return "clickType为1时activity不能为空"
	case c.ClickType == 2 && c.URL == "":
		return "clickType为2时url不能为空"
	case c.ClickType == 3 && (c.CustomAttribute == "" || len(c.CustomAttribute) > meizuCustomAttrMax):
		return "customAttribute不合法"
	}
	for _, v := range c.Parameters {
		if _, ok := v.(string); !ok {
			return "parameters的值必须是字符串"
		}
	}
	return ""
}

// meizuValidKey accepts notifyKey: empty, or at most 8 of [0-9a-zA-Z_-].
func meizuValidKey(k string) bool {
	if len(k) > meizuNotifyKeyMax {
		return false
	}
	for _, c := range k {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// meizuValidPushID accepts 1..64 alphanumeric characters.
func meizuValidPushID(id string) bool {
	alnum := func(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }
	return id != "" && len(id) <= 64 && strings.IndexFunc(id, func(r rune) bool { return !alnum(r) }) < 0
}

func meizuFail(code, msg string) meizuResult { return meizuResult{code: code, message: msg, value: ""} }

// meizuFailure is the answer for an injected top-level failure.
func meizuFailure(fl Failure) meizuResult {
	r := meizuFail(fl.Code, fl.Message)
	r.status, r.retryAfter = fl.Status, fl.RetryAfter
	if r.message == "" {
		r.message = map[string]string{"110010": "应用请求频率超过限制", "110019": "超过该应用的每日推送次数限制",
			"1001": "系统错误", "1003": "服务器忙", "500": "其他异常"}[fl.Code]
	}
	return r
}

// finish records the request, then answers it (recording first, so a test
// reading the Log after its send returns sees the request).
func (f *Meizu) finish(w http.ResponseWriter, r *http.Request, raw []byte, ids []string, res meizuResult) {
	status := res.status
	if status == 0 {
		status = http.StatusOK
	}
	b, _ := json.Marshal(map[string]any{"code": res.code, "message": res.message, "value": res.value,
		"redirect": "", "msgId": res.msgID})
	f.Add(Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: raw,
		Tokens: ids, Status: status, At: f.now()})
	writeAnswer(w, status, res.retryAfter, b)
	if status == http.StatusOK && res.code == meizuCodeOK {
		f.deliveredReceipts(raw, ids, res)
	}
}
