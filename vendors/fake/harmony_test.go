package fake_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pushd/pushd/internal/testcreds"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

const hmProject = "101000000000000001"

var hmNow = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

type hmFixture struct {
	f   *fake.Harmony
	acc *testcreds.HarmonyAccount
}

func newHMFixture(t *testing.T) *hmFixture {
	t.Helper()
	f := fake.NewHarmony(fake.HarmonyOptions{Now: func() time.Time { return hmNow }})
	t.Cleanup(f.Close)
	acc, err := f.NewAccount(hmProject)
	if err != nil {
		t.Fatal(err)
	}
	return &hmFixture{f: f, acc: acc}
}

// jwtWith signs claims with method and the fixture's key (or key), kid as
// header.
func (x *hmFixture) jwtWith(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	if key == nil {
		key = x.acc.Key
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (x *hmFixture) claims() jwt.MapClaims {
	return jwt.MapClaims{"iss": x.acc.SubAccount, "aud": "https://oauth-login.cloud.huawei.com/oauth2/v3/token",
		"iat": hmNow.Unix(), "exp": hmNow.Add(time.Hour).Unix()}
}

func (x *hmFixture) goodJWT(t *testing.T) string {
	return x.jwtWith(t, jwt.SigningMethodPS256, nil, x.acc.KeyID, x.claims())
}

// post sends body with the headers and returns the status and answer.
func (x *hmFixture) post(t *testing.T, path, auth, pushType, body string) (int, map[string]string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, x.f.URL()+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	if pushType != "" {
		req.Header.Set("push-type", pushType)
	}
	resp, err := x.f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatalf("answer: %v", err)
	}
	return resp.StatusCode, m
}

const hmSendPath = "/v3/" + hmProject + "/messages:send"

// hmAlert is a valid alert body with notification members replaced or
// added by extra (raw JSON members).
func hmAlert(tokens, extra string) string {
	n := `"category":"IM","title":"t","body":"b","clickAction":{"actionType":0}`
	if extra != "" {
		n = extra
	}
	return `{"payload":{"notification":{` + n + `}},"target":{"token":[` + tokens + `]}}`
}

// hmWithOptions adds pushOptions to a body.
func hmWithOptions(body, opts string) string {
	return strings.TrimSuffix(body, "}") + `,"pushOptions":` + opts + "}"
}

func TestHarmonyFakeJWTRules(t *testing.T) {
	x := newHMFixture(t)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	with := func(k string, v any) jwt.MapClaims { c := x.claims(); c[k] = v; return c }
	without := func(k string) jwt.MapClaims { c := x.claims(); delete(c, k); return c }
	cases := []struct {
		name, jwt, path string
		code            string
	}{
		{"valid", x.goodJWT(t), hmSendPath, fake.HarmonySuccess},
		{"no JWT", "", hmSendPath, fake.HarmonyAuthError},
		{"RS256", x.jwtWith(t, jwt.SigningMethodRS256, nil, x.acc.KeyID, x.claims()), hmSendPath, fake.HarmonyAuthError},
		{"unknown kid", x.jwtWith(t, jwt.SigningMethodPS256, nil, "nope", x.claims()), hmSendPath, fake.HarmonyAuthError},
		{"another key", x.jwtWith(t, jwt.SigningMethodPS256, other, x.acc.KeyID, x.claims()), hmSendPath, fake.HarmonyAuthError},
		{"wrong iss", x.jwtWith(t, jwt.SigningMethodPS256, nil, x.acc.KeyID, with("iss", "x")), hmSendPath, fake.HarmonyAuthError},
		{"wrong aud", x.jwtWith(t, jwt.SigningMethodPS256, nil, x.acc.KeyID, with("aud", "https://example.com")), hmSendPath, fake.HarmonyAuthError},
		{"no exp", x.jwtWith(t, jwt.SigningMethodPS256, nil, x.acc.KeyID, without("exp")), hmSendPath, fake.HarmonyAuthError},
		{"expired", x.jwtWith(t, jwt.SigningMethodPS256, nil, x.acc.KeyID, with("exp", hmNow.Unix())), hmSendPath, fake.HarmonyJWTExpired},
		{"lives two days", x.jwtWith(t, jwt.SigningMethodPS256, nil, x.acc.KeyID, with("exp", hmNow.Add(48*time.Hour).Unix())), hmSendPath, fake.HarmonyJWTLifetime},
		{"issued in an hour", x.jwtWith(t, jwt.SigningMethodPS256, nil, x.acc.KeyID, with("iat", hmNow.Add(time.Hour).Unix())), hmSendPath, fake.HarmonyAuthError},
		{"another project's URL", x.goodJWT(t), "/v3/202/messages:send", fake.HarmonyAuthError},
		{"a v2 URL", x.goodJWT(t), "/v2/" + hmProject + "/messages:send", fake.HarmonyAuthError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, ans := x.post(t, c.path, c.jwt, "0", hmAlert(`"tok1"`, ""))
			if ans["code"] != c.code || ans["requestId"] == "" {
				t.Fatalf("%d %v, want code %s", st, ans, c.code)
			}
			if wantSt := map[bool]int{true: 200, false: 401}[c.code == fake.HarmonySuccess]; st != wantSt {
				t.Fatalf("status %d, want %d", st, wantSt)
			}
		})
	}
}

func TestHarmonyFakeRequestRules(t *testing.T) {
	x := newHMFixture(t)
	many := strings.TrimSuffix(strings.Repeat(`"t",`, 1001), ",")
	eleven := strings.TrimSuffix(strings.Repeat(`"t",`, 11), ",")
	cases := []struct {
		name, pushType, body, code string
	}{
		{"valid alert", "0", hmAlert(`"tok1"`, ""), fake.HarmonySuccess},
		{"badge only", "0", hmAlert(`"tok1"`, `"badge":{"setNum":0}`), fake.HarmonySuccess},
		{"every member", "0", hmAlert(`"tok1"`, `"category":"WORK","title":"t","body":"b","image":"https://x/a.png","style":3,"inboxContent":["a","b"],`+
			`"notifyId":5,"appMessageId":"m 1","profileId":"p","clickAction":{"actionType":1,"uri":"app://x","data":{"ext":"e"}},`+
			`"badge":{"addNum":2},"sound":"a.mp3","soundDuration":60,"foregroundShow":false`), fake.HarmonySuccess},
		{"no push-type", "", hmAlert(`"tok1"`, ""), fake.HarmonyBadParam},
		{"push-type 3", "3", hmAlert(`"tok1"`, ""), fake.HarmonyBadParam},
		{"not JSON", "0", `{"payload":`, fake.HarmonyBadParam},
		{"unknown top member", "0", `{"payload":{},"target":{"token":["a"]},"message":{}}`, fake.HarmonyBadParam},
		{"no tokens", "0", hmAlert(``, ""), fake.HarmonyTokenCount},
		{"1001 tokens", "0", hmAlert(many, ""), fake.HarmonyTokenCount},
		{"11 test tokens", "0", hmWithOptions(hmAlert(eleven, ""), `{"testMessage":true}`), fake.HarmonyTestTokens},
		{"too large", "0", hmAlert(`"tok1"`, `"category":"IM","title":"t","body":"`+strings.Repeat("b", 4100)+`","clickAction":{"actionType":0}`), fake.HarmonyTooLarge},
		{"ttl 0", "0", hmWithOptions(hmAlert(`"a"`, ""), `{"ttl":0}`), fake.HarmonyBadTTL},
		{"ttl 16 days", "0", hmWithOptions(hmAlert(`"a"`, ""), `{"ttl":1382400}`), fake.HarmonyBadParam},
		{"mistyped option", "0", hmWithOptions(hmAlert(`"a"`, ""), `{"ttl":"1"}`), fake.HarmonyBadParam},
		{"no category", "0", hmAlert(`"a"`, `"title":"t","body":"b","clickAction":{"actionType":0}`), fake.HarmonyBadPayload},
		{"unknown category", "0", hmAlert(`"a"`, `"category":"CHAT","title":"t","body":"b","clickAction":{"actionType":0}`), fake.HarmonyBadPayload},
		{"no body", "0", hmAlert(`"a"`, `"category":"IM","title":"t","clickAction":{"actionType":0}`), fake.HarmonyBadPayload},
		{"misspelt member", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b","notify_id":1,"clickAction":{"actionType":0}`), fake.HarmonyBadPayload},
		{"no click action", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b"`), fake.HarmonyBadPayload},
		{"click 1 without target", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b","clickAction":{"actionType":1}`), fake.HarmonyBadPayload},
		{"click 5 in a notification", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b","clickAction":{"actionType":5}`), fake.HarmonyBadPayload},
		{"data not an object", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b","clickAction":{"actionType":0,"data":"x"}`), fake.HarmonyBadPayload},
		{"http image", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b","image":"http://x/a.png","clickAction":{"actionType":0}`), fake.HarmonyBadPayload},
		{"addNum 0", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b","badge":{"addNum":0},"clickAction":{"actionType":0}`), fake.HarmonyBadPayload},
		{"setNum 100", "0", hmAlert(`"a"`, `"badge":{"setNum":100}`), fake.HarmonyBadPayload},
		{"soundDuration without sound", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b","soundDuration":5,"clickAction":{"actionType":0}`), fake.HarmonyBadPayload},
		{"style 1 without big text", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b","style":1,"clickAction":{"actionType":0}`), fake.HarmonyBadPayload},
		{"bad appMessageId", "0", hmAlert(`"a"`, `"category":"IM","title":"t","body":"b","appMessageId":"a:b","clickAction":{"actionType":0}`), fake.HarmonyBadPayload},
		{"play voice as an alert", "0", hmAlert(`"a"`, `"category":"PLAY_VOICE","title":"t","body":"b","clickAction":{"actionType":0}`), fake.HarmonyAllInvalid},
		{"voice broadcast", "2", `{"payload":{"notification":{"category":"PLAY_VOICE","title":"t","body":"b"},"extraData":"x"},"target":{"token":["a"]}}`, fake.HarmonySuccess},
		{"background", "6", `{"payload":{"extraData":"x"},"target":{"token":["a"]},"pushOptions":{"backgroundMode":1}}`, fake.HarmonySuccess},
		{"background without data", "6", `{"payload":{},"target":{"token":["a"]}}`, fake.HarmonyBadPayload},
		{"widget to two tokens", "1", `{"payload":{"formId":1,"version":1,"moduleName":"m","formName":"f","abilityName":"a","formData":{}},"target":{"token":["a","b"]}}`, fake.HarmonyTokenCount},
		{"call", "10", `{"payload":{"extraData":"{}"},"target":{"token":["a"]}}`, fake.HarmonySuccess},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, ans := x.post(t, hmSendPath, x.goodJWT(t), c.pushType, c.body)
			if ans["code"] != c.code {
				t.Fatalf("%d %v, want code %s", st, ans, c.code)
			}
		})
	}
}

func TestHarmonyFakeTokenResults(t *testing.T) {
	x := newHMFixture(t)
	x.f.FailToken("b", fake.Failure{Code: "noRight"})
	st, ans := x.post(t, hmSendPath, x.goodJWT(t), "0", hmAlert(`"a","b","bad token!"`, ""))
	var rep struct {
		IllegalTokens    map[string][]string
		Success, Failure int
	}
	if st != 200 || ans["code"] != fake.HarmonyPartial || json.Unmarshal([]byte(ans["msg"]), &rep) != nil ||
		rep.Success != 1 || rep.Failure != 2 || rep.IllegalTokens["noRight"][0] != "b" || rep.IllegalTokens["tokenFormatError"][0] != "bad token!" {
		t.Fatalf("partial: %d %v", st, ans)
	}
	st, ans = x.post(t, hmSendPath, x.goodJWT(t), "0", hmAlert(`"b"`, ""))
	if st != 400 || ans["code"] != fake.HarmonyAllInvalid || strings.Contains(ans["msg"], "success") {
		t.Fatalf("all invalid: %d %v", st, ans)
	}
	x.f.FailNext(1, fake.Failure{Code: fake.HarmonyInternal})
	if st, ans = x.post(t, hmSendPath, x.goodJWT(t), "0", hmAlert(`"a"`, "")); st != 500 || ans["msg"] != "Inner Error." {
		t.Fatalf("injected: %d %v", st, ans)
	}
	reqs := x.f.Requests()
	if len(reqs) != 3 || len(reqs[0].Tokens) != 3 || reqs[2].Status != 500 {
		t.Fatalf("recorded %+v", reqs)
	}
}

func TestHarmonyFakeWarnsOnRetiredCategories(t *testing.T) {
	x := newHMFixture(t)
	st, ans := x.post(t, hmSendPath, x.goodJWT(t), "0", hmAlert(`"a"`, `"category":"NEWS","title":"t","body":"b","clickAction":{"actionType":0}`))
	if st != 200 || ans["code"] != fake.HarmonySuccess || len(x.f.Warnings()) != 1 {
		t.Fatalf("%d %v, warnings %v", st, ans, x.f.Warnings())
	}
}

func TestHarmonyTrustAcceptsPEMAndKeyFile(t *testing.T) {
	for _, useFile := range []bool{false, true} {
		f := fake.NewHarmony(fake.HarmonyOptions{})
		acc, _ := testcreds.NewHarmonyAccount(hmProject)
		key := acc.PEM
		if useFile {
			key = acc.JSON
		}
		cred := &vendors.Credential{Vendor: "harmony", Fields: map[string]string{"project_id": hmProject, "key_id": acc.KeyID, "sub_account": acc.SubAccount},
			Secrets: map[string][]byte{"private_key": key}}
		if err := f.Trust(cred); err != nil {
			t.Fatal(err)
		}
		// This fake runs on the real clock.
		x := &hmFixture{f: f, acc: acc}
		tok := x.jwtWith(t, jwt.SigningMethodPS256, nil, acc.KeyID, jwt.MapClaims{"iss": acc.SubAccount,
			"aud": "https://oauth-login.cloud.huawei.com/oauth2/v3/token", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
		if st, ans := x.post(t, hmSendPath, tok, "0", hmAlert(`"a"`, "")); st != 200 {
			t.Fatalf("key file %v: %d %v", useFile, st, ans)
		}
		f.Close()
	}
}
