package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Xiaomi result codes and reasons the fake answers with [vendor-protocols.md
// §3 Response and Error table; MIDOC pId=1560].
const (
	XiaomiNoValidTargets = "20301" // "No valid targets!": every regId invalid
	XiaomiBadSecret      = "21301" // "Invalid application secret."
	XiaomiBadPackage     = "22022" // illegal package name
	XiaomiBadParam       = "10017" // parameter error
	XiaomiTooLong        = "65009" // content too long
	XiaomiEmptyText      = "65011" // "Title or Description is empty!"
	XiaomiTooFrequent    = "10027" // API calls too frequent
	XiaomiDailyQuota     = "10034" // app sent too many messages today
)

// Xiaomi field limits [§3 form fields; MIDOC pId=1559].
const (
	xmMaxRegIDs      = 1000
	xmTitleLimit     = 50  // title must be shorter
	xmDescLimit      = 128 // description must be shorter
	xmMaxBody        = 1 << 20
	xmFormType       = "application/x-www-form-urlencoded"
	xmDailyQuotaText = "50000"
)

// XiaomiOptions configures NewXiaomi.
type XiaomiOptions struct {
	// Now is the fake's clock; nil means time.Now.
	Now func() time.Time
}

// Xiaomi is a loopback fake of Mi Push's POST /v3/message/regid (and
// /v2/message/regid). It checks the "Authorization: key=<AppSecret>"
// header against the apps registered with AddApp and the form fields as
// the real server does, and answers with Xiaomi's real bodies. A token
// told to fail with FailToken comes back in data.bad_regids (or, when every
// token fails, as code 20301 "No valid targets!"); FailNext makes whole
// requests fail with any Xiaomi code, or with a bare HTTP status when the
// Failure has no Code.
type Xiaomi struct {
	*Server
	Log
	Faults
	// ReceiptLog holds the receipts sent to the callbacks of accepted
	// messages (xiaomi_receipts.go).
	*ReceiptLog
	callbacks callbackOf

	now  func() time.Time
	mu   sync.Mutex
	apps map[string]string // AppSecret → package name
	seq  int64             // message ids
	acks int64             // regIds accepted, for data.day_acked
	tids int64             // trace ids
}

// NewXiaomi starts a Xiaomi fake. Close it when done.
func NewXiaomi(opts XiaomiOptions) *Xiaomi {
	x := &Xiaomi{now: opts.Now, apps: map[string]string{}, ReceiptLog: newReceiptLog()}
	x.now = clock(x.now)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/message/regid", x.send)
	mux.HandleFunc("POST /v2/message/regid", x.send)
	x.Server = StartTLS(mux)
	return x
}

// AddApp registers an app: requests authorized with appSecret may send to
// packageName.
func (x *Xiaomi) AddApp(packageName, appSecret string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.apps[appSecret] = packageName
}

// xmReply is one answer: a status and a JSON body (nil for none).
type xmReply struct {
	status     int
	retryAfter time.Duration
	body       any
}

func (x *Xiaomi) send(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, xmMaxBody))
	form, formErr := url.ParseQuery(string(body))
	tokens := xmSplit(form.Get("registration_id"))
	rep := x.answer(r, form, formErr, tokens)
	x.Add(Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Tokens: tokens, Status: rep.status, At: x.now()})
	writeJSONAnswer(w, rep.status, rep.retryAfter, rep.body)
	x.deliveredReceipts(form, tokens, rep)
}

// answer decides the reply in the real server's order: credentials first,
// then the form, then the targets.
func (x *Xiaomi) answer(r *http.Request, form url.Values, formErr error, tokens []string) xmReply {
	if fl, ok := x.TakeNext(); ok {
		return x.failure(fl)
	}
	pkg, ok := x.appOf(r.Header.Get("Authorization"))
	if !ok {
		return x.fail(XiaomiBadSecret, "Invalid application secret.")
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), xmFormType) || formErr != nil {
		return x.fail(XiaomiBadParam, "Invalid form body")
	}
	if code, msg := xmValidate(form, tokens, pkg); code != "" {
		return x.fail(code, msg)
	}
	var bad []string
	for _, t := range tokens {
		if _, failed := x.ForToken(t); failed {
			bad = append(bad, t)
		}
	}
	if len(bad) == len(tokens) {
		return x.fail(XiaomiNoValidTargets, "No valid targets!")
	}
	return x.ok(len(tokens), bad)
}

// appOf returns the package of the app whose secret authorizes the request.
func (x *Xiaomi) appOf(auth string) (string, bool) {
	secret, ok := strings.CutPrefix(auth, "key=")
	if !ok || secret == "" {
		return "", false
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	pkg, ok := x.apps[secret]
	return pkg, ok
}

// xmValidate checks the form fields as MIDOC documents them and returns the
// code and reason of the first violation, or "".
func xmValidate(f url.Values, tokens []string, pkg string) (string, string) {
	switch {
	case len(tokens) == 0:
		return XiaomiBadParam, "registration_id is required"
	case len(tokens) > xmMaxRegIDs:
		return XiaomiBadParam, fmt.Sprintf("at most %d registration ids per request", xmMaxRegIDs)
	case !xmContains(f.Get("restricted_package_name"), pkg):
		return XiaomiBadPackage, "Invalid package name: " + f.Get("restricted_package_name")
	}
	switch f.Get("pass_through") {
	case "0":
		if code, msg := xmCheckText(f.Get("title"), f.Get("description")); code != "" {
			return code, msg
		}
	case "1":
		// A pass-through message has no text to show: its content is
		// payload, which the app receives (vendor-protocols.md §3 form
		// fields). Xiaomi's answer to an empty one is not captured; the
		// fake answers its bad-parameter code [UNCERTAIN].
		if f.Get("payload") == "" {
			return XiaomiBadParam, "payload is required for pass_through 1"
		}
	default:
		return XiaomiBadParam, "pass_through must be 0 or 1"
	}
	for _, k := range []string{"notify_type", "notify_id", "time_to_live", "extra.notify_effect"} {
		if v := f.Get(k); v != "" {
			if _, err := strconv.Atoi(v); err != nil {
				return XiaomiBadParam, k + " must be an integer"
			}
		}
	}
	if nt, _ := strconv.Atoi(f.Get("notify_type")); nt < -1 || nt > 7 {
		return XiaomiBadParam, "notify_type must be -1 or a combination of 1, 2 and 4"
	}
	if code, msg := xmCheckSound(f, pkg); code != "" {
		return code, msg
	}
	return xmCheckExtra(f)
}

// xmCheckSound requires extra.sound_uri, when set, to name a raw resource
// of the app, android.resource://<package>/raw/<name> [vendor-protocols.md
// §3 extra.sound_uri].
func xmCheckSound(f url.Values, pkg string) (string, string) {
	uri := f.Get("extra.sound_uri")
	if uri == "" {
		return "", ""
	}
	name, ok := strings.CutPrefix(uri, "android.resource://"+pkg+"/raw/")
	if !ok || name == "" || strings.ContainsAny(name, "/.") {
		return XiaomiBadParam, "extra.sound_uri must be android.resource://" + pkg + "/raw/<name>"
	}
	return "", ""
}

// xmCheckText applies the notification text rules: a non-blank title
// shorter than 50 characters and a description shorter than 128.
func xmCheckText(title, desc string) (string, string) {
	if strings.TrimFunc(title, unicode.IsSpace) == "" || desc == "" {
		return XiaomiEmptyText, "Title or Description is empty!"
	}
	if utf8.RuneCountInString(title) >= xmTitleLimit || utf8.RuneCountInString(desc) >= xmDescLimit {
		return XiaomiTooLong, "Title or Description is too long!"
	}
	return "", ""
}

// xmCheckExtra checks the click target of notify_effect and the payload,
// which must be URL-encoded.
func xmCheckExtra(f url.Values) (string, string) {
	switch f.Get("extra.notify_effect") {
	case "", "1":
	case "2":
		if f.Get("extra.intent_uri") == "" {
			return XiaomiBadParam, "extra.intent_uri is required for notify_effect 2"
		}
	case "3":
		u, err := url.Parse(f.Get("extra.web_uri"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return XiaomiBadParam, "extra.web_uri must be an http(s) URL for notify_effect 3"
		}
	default:
		return XiaomiBadParam, "extra.notify_effect must be 1, 2 or 3"
	}
	if len(f.Get("extra.callback.param")) > 64 {
		return XiaomiBadParam, "extra.callback.param is longer than 64 bytes"
	}
	if _, err := url.QueryUnescape(f.Get("payload")); err != nil {
		return XiaomiBadParam, "payload must be URL-encoded"
	}
	return "", ""
}

// fail is Xiaomi's error body; Xiaomi answers HTTP 200 for business errors.
func (x *Xiaomi) fail(code, reason string) xmReply {
	return xmReply{status: http.StatusOK, body: map[string]any{
		"result": "error", "code": xmCode(code), "reason": reason,
		"trace_id": x.traceID(), "description": xmDescription(code)}}
}

// failure answers a FailNext: Xiaomi's body for fl.Code, or a bare status.
func (x *Xiaomi) failure(fl Failure) xmReply {
	if fl.Code == "" {
		st := fl.Status
		if st == 0 {
			st = http.StatusServiceUnavailable
		}
		return xmReply{status: st, retryAfter: fl.RetryAfter}
	}
	msg := fl.Message
	if msg == "" {
		msg = xmReason(fl.Code)
	}
	rep := x.fail(fl.Code, msg)
	if fl.Status != 0 {
		rep.status = fl.Status
	}
	rep.retryAfter = fl.RetryAfter
	return rep
}

// ok is the success body, with data.bad_regids when some regIds failed.
func (x *Xiaomi) ok(n int, bad []string) xmReply {
	x.mu.Lock()
	x.seq++
	x.acks += int64(n - len(bad))
	id, acked := fmt.Sprintf("scm01b%011d", x.seq), x.acks
	x.mu.Unlock()
	data := map[string]any{"id": id, "day_acked": strconv.FormatInt(acked, 10), "day_quota": xmDailyQuotaText}
	if len(bad) > 0 {
		data["bad_regids"] = strings.Join(bad, ",")
	}
	return xmReply{status: http.StatusOK, body: map[string]any{
		"result": "ok", "code": 0, "data": data, "trace_id": x.traceID(), "description": "成功",
		"info": fmt.Sprintf("Received push messages for %d REGID", n-len(bad))}}
}

func (x *Xiaomi) traceID() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.tids++
	return fmt.Sprintf("Xlm%013d", x.tids)
}

// xmReason is the real reason text of the codes that have a known one.
func xmReason(code string) string {
	switch code {
	case XiaomiNoValidTargets:
		return "No valid targets!"
	case XiaomiBadSecret:
		return "Invalid application secret."
	case XiaomiEmptyText:
		return "Title or Description is empty!"
	case XiaomiDailyQuota:
		return "The app has sent too many messages today"
	case XiaomiTooFrequent:
		return "API calls too frequent"
	}
	return "error " + code
}

// xmDescription is the Chinese description field of the sample answers.
func xmDescription(code string) string {
	switch code {
	case XiaomiBadSecret:
		return "认证失败"
	case XiaomiEmptyText:
		return "未提供参数"
	}
	return "发送消息失败"
}

// xmCode sends a numeric code as a JSON number, as Xiaomi does.
func xmCode(code string) any {
	if n, err := strconv.Atoi(code); err == nil {
		return n
	}
	return code
}

func xmSplit(list string) []string {
	var out []string
	for _, t := range strings.Split(list, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// xmContains reports whether the comma list (v3 allows several package
// names) holds pkg.
func xmContains(list, pkg string) bool {
	for _, p := range strings.Split(list, ",") {
		if strings.TrimSpace(p) == pkg {
			return true
		}
	}
	return false
}

// writeJSONAnswer writes status with body encoded as JSON (no body when
// nil) and a Retry-After header when retryAfter is set. The Xiaomi, Huawei
// and Honor fakes share it.
func writeJSONAnswer(w http.ResponseWriter, status int, retryAfter time.Duration, body any) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Round(time.Second)/time.Second)))
	}
	if body == nil {
		w.WriteHeader(status)
		return
	}
	b, _ := json.Marshal(body)
	writeAnswer(w, status, retryAfter, b)
}

// writeAnswer writes status and body b as JSON (whatever b holds: vivo
// answers a 500 in plain text under the JSON type), with a Retry-After
// header in whole seconds when retryAfter is set.
func writeAnswer(w http.ResponseWriter, status int, retryAfter time.Duration, b []byte) {
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter.Round(time.Second)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
