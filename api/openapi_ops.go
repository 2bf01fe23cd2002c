package api

import (
	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
)

// Answer shapes of routes whose handlers answer maps; the document names
// them so clients can rely on them.
type (
	statusAnswer struct {
		Status string `json:"status"`
	}
	certList struct {
		Certs []certs.Info `json:"certs"`
	}
	deletedAnswer struct {
		Deleted int64 `json:"deleted"`
	}
	deviceList struct {
		Devices []DeviceView `json:"devices"`
	}
	boundAnswer struct {
		Bound  bool  `json:"bound"`
		CertID int64 `json:"cert_id"`
	}
	unboundAnswer struct {
		Unbound any `json:"unbound"`
	}
	stateAnswer struct {
		State string `json:"state"`
		Badge int    `json:"badge,omitempty"`
	}
	optionAnswer struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
		Opt  string `json:"opt"`
	}
	failedList struct {
		Jobs []FailedJob `json:"jobs"`
	}
	replayedAnswer struct {
		Replayed int `json:"replayed"`
	}
	rekeyAnswer struct {
		Rekeyed int    `json:"rekeyed"`
		Total   int    `json:"total"`
		KeyID   string `json:"key_id"`
	}
	receiveOptions map[string]map[string]devices.ReceiveOpt
)

const (
	tagSystem  = "system"
	tagJobs    = "jobs"
	tagCerts   = "certificates"
	tagDevices = "devices"
	tagConsole = "console"
	tagTencent = "tencent"
)

// timQuery are the query parameters of the /v4 routes.
var timQuery = map[string]string{"sdkappid": "the app (required)",
	"identifier": "accepted and ignored", "usersig": "accepted and ignored (the bearer token authenticates)",
	"random": "accepted and ignored", "contenttype": "accepted and ignored"}

// apiOps describes every route of the table (see openapi.go).
var apiOps = map[string]op{
	"GET /healthz":         {summary: "Liveness: the process answers", tag: tagSystem, resp: statusAnswer{}},
	"GET /readyz":          {summary: "Readiness: Redis answers and the queue is not full (503 otherwise)", tag: tagSystem, resp: statusAnswer{}},
	"GET /v1/version":      {summary: "Module version, VCS commit and Go version of the server", tag: tagSystem, resp: VersionInfo{}},
	"GET /v1/openapi.json": {summary: "This document", tag: tagSystem},
	"GET /v1/config":       {summary: "The server's configuration, secrets redacted", tag: tagSystem},
	"GET /metrics":         {summary: "Prometheus metrics (behind metrics_token when set)", tag: tagSystem},
	"/monitoring/":         {summary: "asynqmon, the queue UI (bearer token or console session)", tag: tagSystem, html: true},

	"POST /v1/messages":       {summary: "Enqueue an offline-delivery job (202; 200 for a msg_id already enqueued)", tag: tagJobs, req: dispatcher.Job{}, resp: EnqueueResponse{}, status: 202},
	"POST /v1/messages:batch": {summary: "Enqueue up to 1000 jobs, one result each", tag: tagJobs, req: BatchRequest{}, resp: BatchResponse{}},
	"POST /v1/push":           {summary: "Synchronous test push to one token; dry_run shows the exact request", tag: tagJobs, req: PushRequest{}, resp: dispatcher.PushResult{}},
	"GET /v1/jobs/failed":     {summary: "Archived jobs with their reasons", tag: tagJobs, resp: failedList{}, query: map[string]string{"app": "only this app's jobs"}},
	"POST /v1/jobs/replay":    {summary: "Replay one archived job, or all (of one app)", tag: tagJobs, req: ReplayRequest{}, resp: replayedAnswer{}},
	"GET /v1/apps/{app}/events": {summary: "Delivery events as JSON lines (application/x-ndjson)", tag: tagJobs, resp: dispatcher.Event{},
		query: map[string]string{"since": "stream id to start after (0: the whole retained stream)", "follow": "false to stop at the end", "limit": "stop after this many events"}},
	"GET /v1/apps/{app}/messages/{msg_id}/trace": {summary: "Why no push? Every step of one message per recipient and device, in order (404: no trace kept)",
		tag: tagJobs, resp: dispatcher.Trace{}},

	"POST /v4/openim/sendmsg": {summary: "Tencent IM's sendmsg body, accepted as is (docs/tencent.md); the app is the sdkappid query parameter; answered in Tencent's shape",
		tag: tagTencent, req: timC2CBody{}, resp: TencentAnswer{}, query: timQuery},
	"POST /v4/openim/batchsendmsg": {summary: "Tencent IM's batchsendmsg body (up to 500 To_Account), accepted as is (docs/tencent.md)",
		tag: tagTencent, req: timC2CBody{}, resp: TencentAnswer{}, query: timQuery},
	"POST /v4/group_open_http_svc/send_group_msg": {summary: "Tencent IM's send_group_msg body, with the offline members in To_Account (docs/tencent.md)",
		tag: tagTencent, req: timGroupBody{}, resp: TencentAnswer{}, query: timQuery},

	"POST /v1/certs":        {summary: "Upload a certificate (201)", tag: tagCerts, req: CertRequest{}, resp: certs.Info{}, status: 201},
	"GET /v1/certs":         {summary: "List certificates (of the token's apps)", tag: tagCerts, resp: certList{}, query: map[string]string{"app": "only this app's certificates"}},
	"GET /v1/certs/{id}":    {summary: "One certificate", tag: tagCerts, resp: certs.Info{}},
	"PUT /v1/certs/{id}":    {summary: "Rotate a certificate's credentials (same id)", tag: tagCerts, req: CertRequest{}, resp: certs.Info{}},
	"DELETE /v1/certs/{id}": {summary: "Delete a certificate", tag: tagCerts, resp: deletedAnswer{}},
	"POST /v1/certs:rekey":  {summary: "Re-seal every certificate under the current master key", tag: tagCerts, resp: rekeyAnswer{}},

	"GET /v1/apps/{app}/users/{user}/devices":                            {summary: "A user's device bindings (tokens shown shortened)", tag: tagDevices, resp: deviceList{}},
	"DELETE /v1/apps/{app}/users/{user}/devices":                         {summary: "Unbind all of a user's devices (logout everywhere)", tag: tagDevices, resp: unboundAnswer{}},
	"PUT /v1/apps/{app}/users/{user}/devices/{cert}/{token}":             {summary: "Bind a device token (after login), or with token_type voip a PushKit token beside it", tag: tagDevices, req: BindRequest{}, resp: boundAnswer{}},
	"POST /v1/apps/{app}/messages/{msg_id}/cancel-call":                  {summary: "End a call: a VoIP cancel to VoIP tokens, a replacing notification elsewhere", tag: tagJobs, req: CancelCallRequest{}, resp: CancelCallResponse{}, status: 202},
	"DELETE /v1/apps/{app}/users/{user}/devices/{cert}/{token}":          {summary: "Unbind one device", tag: tagDevices, resp: unboundAnswer{}},
	"POST /v1/apps/{app}/users/{user}/devices/{cert}/{token}/background": {summary: "The app went to the background, with its unread count", tag: tagDevices, req: BackgroundRequest{}, resp: stateAnswer{}},
	"POST /v1/apps/{app}/users/{user}/devices/{cert}/{token}/foreground": {summary: "The app came to the foreground (not pushed)", tag: tagDevices, resp: stateAnswer{}},
	"GET /v1/apps/{app}/users/{user}/settings":                           {summary: "A user's push settings", tag: tagDevices, resp: devices.Settings{}},
	"PUT /v1/apps/{app}/users/{user}/settings":                           {summary: "Change a user's push settings (a patch)", tag: tagDevices, req: devices.SettingsPatch{}, resp: devices.Settings{}},
	"GET /v1/apps/{app}/users/{user}/receive-options":                    {summary: "A user's per-conversation receive options", tag: tagDevices, resp: receiveOptions{}},
	"PUT /v1/apps/{app}/users/{user}/receive-options/{kind}/{id}":        {summary: "Set a receive option for one conversation", tag: tagDevices, req: ReceiveOptionRequest{}, resp: optionAnswer{}},
	"POST /v1/apps/{app}/messages/{msg_id}/recall":                       {summary: "Recall a message: replace or revoke its notification, lower the badge", tag: tagDevices, req: dispatcher.RecallRequest{}, resp: RecallAnswer{}},
	"POST /v1/apps/{app}/users/{user}/read":                              {summary: "Read on another device: replace the notifications, set the badge", tag: tagDevices, req: dispatcher.ReadRequest{}, resp: RecallAnswer{}},

	"GET /console":                    {summary: "Redirect to /console/", tag: tagConsole, html: true, status: 303},
	"GET /console/login":              {summary: "Console sign-in form", tag: tagConsole, html: true},
	"POST /console/login":             {summary: "Sign in with an API token (form: csrf, token): sets the session cookie", tag: tagConsole, html: true, status: 303},
	"POST /console/logout":            {summary: "Sign out (form: csrf)", tag: tagConsole, html: true, status: 303},
	"GET /console/static/{file}":      {summary: "Console assets (CSS, JS)", tag: tagConsole, html: true},
	"GET /console/{$}":                {summary: "Console overview: pushes, queue depth, latency, certificates needing attention", tag: tagConsole, html: true},
	"GET /console/certs":              {summary: "Console certificates page", tag: tagConsole, html: true},
	"POST /console/certs":             {summary: "Upload or rotate a certificate (multipart form, same validation as POST /v1/certs)", tag: tagConsole, html: true, status: 303},
	"GET /console/certs/{id}/delete":  {summary: "Confirm deleting a certificate", tag: tagConsole, html: true},
	"POST /console/certs/{id}/delete": {summary: "Delete a certificate (form: csrf, confirm)", tag: tagConsole, html: true, status: 303},
	"GET /console/push":               {summary: "Console test-push form", tag: tagConsole, html: true},
	"POST /console/push":              {summary: "Dry-run or send a test push; shows the request or the vendor's raw answer", tag: tagConsole, html: true},
	"GET /console/events":             {summary: "Console live tail of delivery events", tag: tagConsole, html: true},
	"GET /console/events/stream":      {summary: "Delivery events as server-sent events (text/event-stream)", tag: tagConsole, html: true, query: map[string]string{"app": "the app (required)", "user": "only this user", "msg_id": "only this message", "type": "only this event type", "since": "stream id to start after"}},
	"GET /console/jobs":               {summary: "Console archived jobs", tag: tagConsole, html: true},
	"POST /console/jobs/replay":       {summary: "Replay one archived job or all (form: csrf, task_id | all=1, app)", tag: tagConsole, html: true, status: 303},
	"GET /console/devices":            {summary: "Console user lookup: bindings, state, badge, settings, receive options", tag: tagConsole, html: true},
	"GET /console/inbox":              {summary: "Sandbox inbox: what each fake vendor received, drawn as the notification", tag: tagConsole, html: true},
}
