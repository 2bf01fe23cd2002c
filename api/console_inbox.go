package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// The sandbox inbox: per fake vendor, the requests it received, each drawn
// as the notification a phone would show beside the raw request. The
// drawing reads the request as the vendor would: a JSON body or a form,
// whose values may hold JSON again (OPPO's message, vivo's extras).

// inboxLimit bounds the requests shown per vendor, newest first.
const inboxLimit = 30

// inboxVendor is one fake's received requests.
type inboxVendor struct {
	Vendor string
	Items  []inboxItem
	Total  int
}

// inboxItem is one received request and its notification.
type inboxItem struct {
	Phone  phoneView
	Method string
	Path   string
	Status int
	At     string
	Header []string
	Body   string
	Tokens []string
}

// phoneView is what the phone shows.
type phoneView struct {
	Title, Body, Badge, Sound, Ext string
}

func (s *Server) consoleInbox(w http.ResponseWriter, r *http.Request) {
	var out []inboxVendor
	if s.Sandbox != nil {
		for _, v := range vendors.All() {
			out = append(out, inboxOf(v, s.Sandbox.Recorder(v)))
		}
	}
	s.render(w, r, http.StatusOK, "inbox", "Sandbox inbox", out, "")
}

func inboxOf(v vendors.Vendor, log *fake.Log) inboxVendor {
	iv := inboxVendor{Vendor: string(v)}
	if log == nil {
		return iv
	}
	reqs := log.Requests()
	iv.Total = len(reqs)
	slices.Reverse(reqs)
	for _, rq := range reqs {
		if len(iv.Items) == inboxLimit {
			break
		}
		if !isSend(v, rq) {
			continue
		}
		iv.Items = append(iv.Items, inboxItem{Phone: phoneOf(rq.Body), Method: rq.Method, Path: rq.Path, Status: rq.Status,
			At: rq.At.Format("15:04:05"), Header: headerLines(rq.Header), Body: string(rq.Body), Tokens: shortTokens(rq.Tokens)})
	}
	return iv
}

// isSend tells sends from token and auth requests: a send names tokens.
func isSend(v vendors.Vendor, rq fake.Recorded) bool { return len(rq.Tokens) > 0 || v == vendors.APNs }

// headerLines lists the request headers, credentials redacted.
func headerLines(h http.Header) []string {
	m := vendors.HeaderMap(h, "Authorization", "authtoken", "auth_token", "authToken")
	var out []string
	for _, k := range sortedKeys(m) {
		out = append(out, k+": "+m[k])
	}
	return out
}

func shortTokens(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = shortToken(t)
	}
	return out
}

// phoneOf finds the notification's parts among the request's fields.
func phoneOf(body []byte) phoneView {
	fl := map[string]string{}
	flatten("", decodeLoose(string(body)), fl)
	return phoneView{
		Title: pick(fl, "alert.title", "notification.title", "title"),
		Body:  pick(fl, "alert.body", "notification.body", "content", "description", "body", "alert"),
		Badge: pick(fl, "aps.badge", "badge", "badge_add_num", "badge_set_num", "badgeAddNum", "setNum", "addNum"),
		Sound: pick(fl, "aps.sound", "sound", "sound_uri", "default_sound"),
		Ext:   pick(fl, "ext", "payload", "data", "custom", "extra.ext", "action_parameters", "clickTypeInfo.parameters"),
	}
}

// decodeLoose reads s as JSON, else as a form, else returns it as is.
func decodeLoose(s string) any {
	var v any
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") && json.Unmarshal([]byte(t), &v) == nil {
		return v
	}
	if q, err := url.ParseQuery(s); err == nil && len(q) > 0 && !strings.ContainsAny(s, "{ ") {
		m := map[string]any{}
		for k, vs := range q {
			m[k] = decodeLoose(vs[0])
		}
		return m
	}
	return s
}

// flatten maps each leaf of v to its dotted path.
func flatten(prefix string, v any, out map[string]string) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			flatten(join(prefix, k), x, out)
		}
	case []any:
		for _, x := range t {
			flatten(prefix, x, out)
		}
	case string:
		if j := decodeLoose(t); j != any(t) {
			if _, ok := j.(map[string]any); ok && strings.HasPrefix(strings.TrimSpace(t), "{") {
				out[prefix] = t
				flatten(prefix, j, out)
				return
			}
		}
		out[prefix] = t
	case nil:
	default:
		b, _ := json.Marshal(t)
		out[prefix] = string(b)
	}
}

func join(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "." + k
}

// pick returns the value of the first name found, matching a whole path
// or its last segments, shortest path first.
func pick(fl map[string]string, names ...string) string {
	keys := make([]string, 0, len(fl))
	for k := range fl {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return len(keys[i]) < len(keys[j]) || (len(keys[i]) == len(keys[j]) && keys[i] < keys[j])
	})
	for _, n := range names {
		for _, k := range keys {
			if k == n || strings.HasSuffix(k, "."+n) {
				return fl[k]
			}
		}
	}
	return ""
}
