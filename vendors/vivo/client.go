// Package vivo delivers notifications through vivo Push: a signed auth call
// for an authToken, /message/send for one device and saveListPayload +
// pushToList for 2..1000 devices (vendor-protocols.md §6).
package vivo

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pushd/pushd/internal/tokencache"
	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

// DefaultURL is vivo's push host (official SDK HOST_PRODUCTION).
const DefaultURL = "https://api-push.vivo.com.cn"

// MaxBatch is pushToList's limit of regIds per request.
const MaxBatch = 1000

const (
	jsonContentType = "application/json; charset=UTF-8"
	authHeader      = "authToken"
	maxAnswer       = 4 << 20
	// taskPlaceholder stands in DryRun for the taskId saveListPayload returns.
	taskPlaceholder = "<taskId from saveListPayload>"
)

// Sender sends through vivo Push with one certificate. It is safe for
// concurrent use; all sends share one cached authToken and the saved list
// payloads of the last minutes.
type Sender struct {
	appKey    string
	appSecret []byte
	st        settings
	sendURL   string
	authURL   string
	client    *http.Client
	// now is the clock used for signatures, TTLs and quota resets.
	now    func() time.Time
	tokens *tokencache.Cache
	tasks  *taskCache
	// Batch names vivo and pushToList's limit.
	vendorhttp.Batch
}

var (
	_ vendors.Sender  = (*Sender)(nil)
	_ vendors.Builder = New
)

// New builds the vivo Sender of cred: app_id (numeric), app_key,
// app_secret, optional classification (0 or 1, default 1) and category.
// ep.URL replaces DefaultURL, ep.AuthURL the auth host (default: the send
// host), ep.Client the HTTP client.
func New(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
	if err := vendorhttp.Require(vendors.Vivo, cred, vendors.FieldAppID, vendors.FieldAppKey, vendors.SecretAppSecret); err != nil {
		return nil, err
	}
	st, err := settingsOf(cred)
	if err != nil {
		return nil, err
	}
	s := &Sender{
		appKey: cred.Field(vendors.FieldAppKey), appSecret: cred.Secret(vendors.SecretAppSecret), st: st,
		sendURL: vendorhttp.Base(ep.URL, DefaultURL), client: vendorhttp.NewClient(vendors.Vivo, ep), now: time.Now,
		Batch: vendorhttp.Batch{V: vendors.Vivo, Max: MaxBatch},
	}
	s.authURL = vendorhttp.AuthURL(endpoints(), ep.AuthURL, s.sendURL)
	clock := func() time.Time { return s.now() }
	s.tokens = tokencache.New(s.fetchToken, tokenTTL-tokenRefresh, clock)
	s.tasks = newTaskCache(taskTTL, clock)
	return s, nil
}

// settingsOf reads and validates the certificate's settings.
func settingsOf(cred *vendors.Credential) (settings, error) {
	st := settings{Classification: defaultClassification, Category: cred.Field(vendors.FieldCategory)}
	var err error
	if st.AppID, err = strconv.ParseInt(cred.Field(vendors.FieldAppID), 10, 64); err != nil {
		return st, fmt.Errorf("vivo certificate %d: app_id %q must be a number", cred.ID, cred.Field(vendors.FieldAppID))
	}
	if c := cred.Field(vendors.FieldClassification); c != "" {
		if st.Classification, err = strconv.Atoi(c); err != nil || (st.Classification != 0 && st.Classification != 1) {
			return st, fmt.Errorf("vivo certificate %d: classification %q must be 0 or 1", cred.ID, c)
		}
	}
	if st.Click, err = cred.Click.Normalize(); err != nil {
		return st, fmt.Errorf("vivo certificate %d: %w", cred.ID, err)
	}
	return st, nil
}

// Send delivers n: /message/send for one token; for 2..1000 tokens one
// saveListPayload (shared by every chunk of the same notification for
// taskTTL) and one pushToList.
func (s *Sender) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	if rs, refused := s.Refused(tokens); refused {
		return rs
	}
	m, err := buildMessage(n, s.st, s.now())
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	if len(tokens) == 1 {
		rep, err := s.call(ctx, sendPath, single(m, n.ID, tokens[0]))
		if err != nil {
			return vendors.Fail(tokens, err)
		}
		return []vendors.Result{parseSend(rep.status, rep.body, rep.retryAfter, tokens[0], s.now())}
	}
	return s.sendList(ctx, m, n.ID, tokens)
}

// sendList pushes to 2..1000 tokens through a saved list payload. When a
// cached taskId is refused as unknown (10151), the payload is saved again
// once.
func (s *Sender) sendList(ctx context.Context, m message, msgID string, tokens []string) []vendors.Result {
	payload, key := listPayload(m, msgID)
	save := func(ctx context.Context) (string, error) { return s.saveList(ctx, payload) }
	taskID, err := s.tasks.get(ctx, key, save)
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	rep, err := s.call(ctx, pushListPath, listBody(m, s.st, msgID, tokens, taskID))
	if err == nil && rep.result.Is(codeTaskIDEmpty) {
		s.tasks.forget(key)
		if taskID, err = s.tasks.get(ctx, key, save); err != nil {
			return vendors.Fail(tokens, err)
		}
		rep, err = s.call(ctx, pushListPath, listBody(m, s.st, msgID, tokens, taskID))
	}
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	return parseList(rep.status, rep.body, rep.retryAfter, tokens, taskID, s.now())
}

// pushTest is pushMode 1, a test push that only the test devices
// registered in vivo's console receive [vendor-protocols.md §6 pushMode]:
// pushd's validate-only mode (vendors.Notification.ValidateOnly).
const pushTest = 1

// pushModeOf is pushTest for a validate-only notification, else a formal
// push.
func pushModeOf(n *vendors.Notification) int {
	if n.ValidateOnly {
		return pushTest
	}
	return pushFormal
}

// listBody is the pushToList body, in the push mode of the saved payload
// m.
func listBody(m message, st settings, msgID string, tokens []string, taskID string) listPush {
	lp := pushList(st, msgID, tokens, taskID)
	lp.PushMode = m.PushMode
	return lp
}

// saveList saves payload as a list message and returns its taskId.
func (s *Sender) saveList(ctx context.Context, payload message) (string, error) {
	rep, err := s.call(ctx, saveListPath, payload)
	if err != nil {
		return "", err
	}
	return parseSave(rep.status, rep.body, rep.retryAfter, s.now())
}

// DryRun returns the requests Send would make, with the authToken
// redacted and, for a list, the taskId saveListPayload would return shown
// as a placeholder. It makes no network call.
func (s *Sender) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	if err := s.Sized(tokens); err != nil {
		return nil, err
	}
	m, err := buildMessage(n, s.st, s.now())
	if err != nil {
		return nil, err
	}
	if len(tokens) == 1 {
		return s.shown(sendPath, single(m, n.ID, tokens[0]))
	}
	payload, _ := listPayload(m, n.ID)
	save, err := s.shown(saveListPath, payload)
	if err != nil {
		return nil, err
	}
	push, err := s.shown(pushListPath, pushList(s.st, n.ID, tokens, taskPlaceholder))
	return append(save, push...), err
}

func (s *Sender) shown(path string, v any) ([]vendors.Request, error) {
	b, err := vendorhttp.MarshalUnescaped(v)
	if err != nil {
		return nil, err
	}
	return []vendors.Request{{Method: http.MethodPost, URL: s.sendURL + path,
		Header: map[string]string{"Content-Type": jsonContentType, authHeader: vendors.Redacted},
		Body:   string(b)}}, nil
}

// reply is a raw vendor answer.
type reply struct {
	status     int
	body       []byte
	retryAfter time.Duration
	// result is the top-level "result", "" when the body had none.
	result code
}

// call posts v with the cached authToken. A 10000 answer drops that token
// and resends once with a fresh one; a second 10000 is returned for
// classification.
func (s *Sender) call(ctx context.Context, path string, v any) (*reply, error) {
	body, err := vendorhttp.MarshalUnescaped(v)
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.Vivo, Kind: vendors.Rejected, Message: err.Error()}
	}
	rep, tok, err := s.attempt(ctx, path, body)
	if err != nil || !rep.result.Is(codeAuthFailed) {
		return rep, err
	}
	s.tokens.Invalidate(tok)
	rep, _, err = s.attempt(ctx, path, body)
	return rep, err
}

func (s *Sender) attempt(ctx context.Context, path string, body []byte) (*reply, string, error) {
	tok, err := s.tokens.Token(ctx)
	if err != nil {
		return nil, "", err
	}
	rep, err := s.post(ctx, s.sendURL+path, body, tok)
	return rep, tok, err
}

// post sends one JSON body and reads the answer whatever its status: vivo
// puts its result in the body even on errors.
func (s *Sender) post(ctx context.Context, u string, body []byte, token string) (*reply, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, &vendors.Error{Vendor: vendors.Vivo, Kind: vendors.Rejected, Message: err.Error()}
	}
	hr.Header.Set("Content-Type", jsonContentType)
	if token != "" {
		hr.Header.Set(authHeader, token)
	}
	a, err := vendorhttp.Exchange(s.client, hr, vendors.Vivo, maxAnswer, "")
	vendors.CaptureAnswer(hr.Context(), a.Status, a.Header, a.Body)
	if err != nil {
		return nil, err
	}
	return &reply{status: a.Status, body: a.Body, retryAfter: vendorhttp.RetryAfter(a.Header, s.now(), 0), result: decode(a.Body).Result}, nil
}
