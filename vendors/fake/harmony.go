package fake

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
)

// Push Kit v3 result codes the HarmonyOS fake answers with
// [vendor-protocols-harmony.md §3; HWRESP, GETUI]. They are strings.
const (
	HarmonySuccess      = "80000000"
	HarmonyPartial      = "80100000" // some tokens failed; msg lists illegalTokens
	HarmonyBadParam     = "80100001" // header or pushOptions error
	HarmonyBadPayload   = "80100003" // payload structure or value error
	HarmonyBadTTL       = "80100004" // illegal expire time
	HarmonyImageSpam    = "80100022" // image not through risk control
	HarmonyAuthError    = "80200001" // no JWT, another project's, not v3
	HarmonyJWTExpired   = "80200005" // JWT past exp
	HarmonyNoPermission = "80300002" // Push Kit off or projectId not the app's
	HarmonyAllInvalid   = "80300007" // every token failed; msg lists them
	HarmonyTooLarge     = "80300008" // over 4096 bytes without the tokens
	HarmonyTokenCount   = "80300010" // 0 or more than 1000 tokens
	HarmonyTestRate     = "80300029" // test messages sent too fast
	HarmonyTestTokens   = "80300030" // more than 10 tokens in a test message
	HarmonyJWTLifetime  = "80300036" // JWT lives over a day
	HarmonyPenalty      = "80300037" // app penalised
	HarmonyInternal     = "81000001"
)

// harmonyMessages are the msg texts of HWRESP for each code.
var harmonyMessages = map[string]string{
	HarmonySuccess: "Success", HarmonyBadParam: "Check Parameter Error.", HarmonyBadTTL: "Illegal expire time.",
	HarmonyImageSpam: "Anti-Spam: image not verify.", HarmonyAuthError: "Authentication Error.",
	HarmonyJWTExpired: "Jwt token expired.", HarmonyNoPermission: "No permission to send message to these tmIDs.",
	HarmonyAllInvalid: "All the tokens are invalid.", HarmonyTooLarge: "Push message size is too long.",
	HarmonyTokenCount: "token count should within 1 and 1000.", HarmonyTestRate: "When send test message, the api request exceed limit.",
	HarmonyTestTokens: "When send test message, token count exceed limit.", HarmonyJWTLifetime: "JWT expire period over threshold.",
	HarmonyPenalty: "Disable send huawei msg because of penalty.", HarmonyInternal: "Inner Error.",
}

// Push Kit's JWT rules [§1; HWJWT, HWRESP].
const (
	hmAudience    = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
	hmMaxJWTLife  = 24 * time.Hour
	hmMaxIATAhead = 5 * time.Minute
	// hmTestPerDay is the daily count of accepted test requests per
	// project beyond which Push Kit throttles them (receipt 256).
	hmTestPerDay = 1000
)

// HarmonyOptions configures NewHarmony.
type HarmonyOptions struct {
	// Now is the fake's clock; nil means time.Now.
	Now func() time.Time
}

// Harmony is a loopback fake of HarmonyOS NEXT Push Kit's v3 send API,
// POST /v3/{projectId}/messages:send. It requires a PS256 JWT signed by a
// key registered with AddKey (kid, iss, aud, iat and exp checked as Push
// Kit does, the key's project the URL's), a push-type header, and a body
// that follows the payload rules of that push-type; it answers with Push
// Kit's real codes and bodies. A token told to fail with FailToken (the
// Failure's Code is the illegalTokens reason, tokenFormatError by default)
// or not shaped like a token is listed in an 80100000 answer (80300007
// when every token fails); FailNext makes whole requests fail with any
// code, or a bare status (503, flow control) when the Failure has none.
type Harmony struct {
	*Server
	Log
	Faults

	now      func() time.Time
	mu       sync.Mutex
	keys     map[string]hmKey // kid → key
	tests    map[string]int   // project → accepted test requests
	warnings []string
	ids      requestIDs
}

// hmKey is a registered service-account key.
type hmKey struct {
	project, iss string
	pub          *rsa.PublicKey
}

// NewHarmony starts a HarmonyOS Push Kit fake. Close it when done.
func NewHarmony(opts HarmonyOptions) *Harmony {
	f := &Harmony{now: opts.Now, keys: map[string]hmKey{}, tests: map[string]int{}}
	f.now = clock(f.now)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/{projectId}/messages:send", f.send)
	// v1 and v2 do not reach NEXT devices; a JWT there is refused.
	mux.HandleFunc("POST /v2/{projectId}/messages:send", f.send)
	mux.HandleFunc("POST /v1/{projectId}/messages:send", f.send)
	f.Server = StartTLS(mux)
	return f
}

// StartHarmony starts a HarmonyOS fake with default options.
func StartHarmony() vendors.Fake { return NewHarmony(HarmonyOptions{}) }

// Endpoint points the HarmonyOS adapter at the fake (the JWT is signed
// locally: there is no auth host).
func (f *Harmony) Endpoint() vendors.Endpoint { return sendOnly(f.Server) }

// Recorder returns the fake's request log.
func (f *Harmony) Recorder() *Log { return &f.Log }

// AddKey registers a service-account key of project: JWTs whose kid is
// kid, whose iss is iss and whose signature pub verifies are accepted.
func (f *Harmony) AddKey(project, kid, iss string, pub *rsa.PublicKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[kid] = hmKey{project: project, iss: iss, pub: pub}
}

// NewAccount generates a service-account key of project and registers it.
func (f *Harmony) NewAccount(project string) (*testcreds.HarmonyAccount, error) {
	a, err := testcreds.NewHarmonyAccount(project)
	if err != nil {
		return nil, err
	}
	f.AddKey(project, a.KeyID, a.SubAccount, &a.Key.PublicKey)
	return a, nil
}

// Trust registers the certificate's key under its project, key id and
// sub_account. The private_key is a PEM key or the whole key file.
func (f *Harmony) Trust(c *vendors.Credential) error {
	raw := strings.TrimSpace(string(c.Secret("private_key")))
	if strings.HasPrefix(raw, "{") {
		var kf struct {
			PrivateKey string `json:"private_key"`
		}
		if json.Unmarshal([]byte(raw), &kf) != nil {
			return errors.New("sandbox: private_key is neither PEM nor a key file")
		}
		raw = kf.PrivateKey
	}
	block, _ := pem.Decode([]byte(strings.ReplaceAll(raw, `\n`, "\n")))
	if block == nil {
		return errors.New("sandbox: private_key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return errors.New("sandbox: private_key is not a PKCS#8 private key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return errors.New("sandbox: private_key is not an RSA key")
	}
	f.AddKey(c.Field(vendors.FieldProjectID), c.Field(vendors.FieldKeyID), c.Field("sub_account"), &rk.PublicKey)
	return nil
}

// TestMessages returns how many test requests of project were accepted.
func (f *Harmony) TestMessages(project string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tests[project]
}

// Warnings returns what the fake accepted but the real Push Kit may not
// (a retired category, test messages over the daily count), oldest first.
func (f *Harmony) Warnings() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.warnings...)
}

func (f *Harmony) warn(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.warnings = append(f.warnings, fmt.Sprintf(format, args...))
}

func (f *Harmony) send(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req, rawTokens, decodeErr := hmDecode(body)
	status, retry, ans := f.answer(r, body, req, rawTokens, decodeErr)
	f.Add(Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body,
		Tokens: req.tokens(), Status: status, At: f.now()})
	writeJSONAnswer(w, status, retry, ans)
}

// answer decides the reply: injected failures, then the URL version and
// the JWT, then the request, then the tokens.
func (f *Harmony) answer(r *http.Request, body []byte, req *hmRequest, rawTokens int, decodeErr error) (int, time.Duration, any) {
	if fl, ok := f.TakeNext(); ok {
		return hwInjected(fl, f.fail)
	}
	project := r.PathValue("projectId")
	if !strings.HasPrefix(r.URL.Path, "/v3/") {
		st, ans := f.fail(HarmonyAuthError, "Authentication Error: HarmonyOS NEXT is reached through v3 only")
		return st, 0, ans
	}
	if code, msg := f.checkJWT(r, project); code != "" {
		st, ans := f.fail(code, msg)
		return st, 0, ans
	}
	v := hmCheck{pushType: r.Header.Get("push-type"), body: len(body) - rawTokens}
	if code, msg := v.request(req, decodeErr); code != "" {
		st, ans := f.fail(code, msg)
		return st, 0, ans
	}
	for _, w := range v.warnings {
		f.warn("%s", w)
	}
	st, ans := f.deliver(project, req, v.allReason)
	return st, 0, ans
}

// checkJWT verifies the bearer JWT: PS256 by a registered key (typ JWT,
// kid), iss the key's sub_account, aud Push Kit's token URL, iat and exp
// present, not expired, living at most a day, not issued in the future,
// and the key's project the URL's.
func (f *Harmony) checkJWT(r *http.Request, project string) (string, string) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return HarmonyAuthError, "Authentication Error: no Bearer JWT"
	}
	var key hmKey
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		f.mu.Lock()
		k, known := f.keys[kid]
		f.mu.Unlock()
		if typ, _ := t.Header["typ"].(string); typ != "JWT" || !known {
			return nil, errors.New("unknown kid or typ")
		}
		key = k
		return k.pub, nil
	}, jwt.WithValidMethods([]string{"PS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		return HarmonyAuthError, "Authentication Error: JWT not signed PS256 by a key of this project"
	}
	return hmCheckClaims(claims, key, project, f.now())
}

// hmCheckClaims checks the claims of a JWT whose signature key verified.
func hmCheckClaims(c jwt.MapClaims, key hmKey, project string, now time.Time) (string, string) {
	iss, _ := c.GetIssuer()
	aud, _ := c.GetAudience()
	iat, iatErr := c.GetIssuedAt()
	exp, expErr := c.GetExpirationTime()
	switch {
	case iss != key.iss:
		return HarmonyAuthError, "Authentication Error: iss is not the key's sub_account"
	case len(aud) != 1 || aud[0] != hmAudience:
		return HarmonyAuthError, "Authentication Error: aud must be " + hmAudience
	case iatErr != nil || expErr != nil || iat == nil || exp == nil:
		return HarmonyAuthError, "Authentication Error: iat and exp are required"
	case !now.Before(exp.Time):
		return HarmonyJWTExpired, harmonyMessages[HarmonyJWTExpired]
	case exp.Sub(iat.Time) > hmMaxJWTLife:
		return HarmonyJWTLifetime, harmonyMessages[HarmonyJWTLifetime]
	case iat.Time.After(now.Add(hmMaxIATAhead)):
		return HarmonyAuthError, "Authentication Error: iat is in the future"
	case key.project != project:
		return HarmonyAuthError, "Authentication Error: the JWT belongs to another project"
	}
	return "", ""
}

// deliver answers a valid request: success, a partial 80100000 listing
// the failed tokens by reason, or 80300007 when all of them failed.
// allReason, when set, fails every token (a PLAY_VOICE message sent as an
// alert is notSupportPlayVoice).
func (f *Harmony) deliver(project string, req *hmRequest, allReason string) (int, any) {
	tokens := req.tokens()
	bad := map[string][]string{}
	failed := 0
	for _, t := range tokens {
		why := allReason
		if fl, ok := f.ForToken(t); ok {
			why = hwOr(fl.Code, "tokenFormatError")
		} else if !hmTokenRE.MatchString(t) {
			why = "tokenFormatError"
		}
		if why != "" {
			bad[why] = append(bad[why], t)
			failed++
		}
	}
	if failed == len(tokens) {
		b, _ := json.Marshal(map[string]any{"illegalTokens": bad, "failure": failed})
		return http.StatusBadRequest, f.body(HarmonyAllInvalid, string(b))
	}
	if req.test() {
		f.mu.Lock()
		f.tests[project]++
		over := f.tests[project] > hmTestPerDay
		f.mu.Unlock()
		if over {
			f.warn("project %s: more than %d test requests today; Push Kit throttles them until tomorrow", project, hmTestPerDay)
		}
	}
	if failed > 0 {
		b, _ := json.Marshal(map[string]any{"illegalTokens": bad, "success": len(tokens) - failed, "failure": failed})
		return http.StatusOK, f.body(HarmonyPartial, string(b))
	}
	return http.StatusOK, f.body(HarmonySuccess, harmonyMessages[HarmonySuccess])
}

// fail is Push Kit's error body with the HTTP status paired with code.
func (f *Harmony) fail(code, msg string) (int, any) {
	if msg == "" {
		msg = harmonyMessages[code]
	}
	if msg == "" {
		msg = "error " + code
	}
	return hmStatus(code), f.body(code, msg)
}

func (f *Harmony) body(code, msg string) map[string]any {
	return map[string]any{"code": code, "msg": msg, "requestId": f.requestID()}
}

// hmStatus is the HTTP status of a result code [§3, UNCERTAIN: the pairs
// are not tabulated; these are the suggested ones].
func hmStatus(code string) int {
	switch code {
	case HarmonySuccess, HarmonyPartial:
		return http.StatusOK
	case HarmonyAuthError, HarmonyJWTExpired, HarmonyJWTLifetime:
		return http.StatusUnauthorized
	case HarmonyInternal:
		return http.StatusInternalServerError
	case HarmonyTestRate:
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// requestID is a millisecond timestamp and a sequence of 8 digits.
func (f *Harmony) requestID() string { return f.ids.next(f.now(), 8) }
