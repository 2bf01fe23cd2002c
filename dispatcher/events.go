package dispatcher

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Event types.
const (
	EventSent         = "sent"
	EventFailed       = "failed"
	EventTokenInvalid = "token_invalid"
	EventDropped      = "dropped"
	EventRetrying     = "retrying"
	// EventDelivered and EventClicked come from vendor receipts (the
	// receipt endpoints, api/receipts.go): the device showed the
	// notification, the user tapped it.
	EventDelivered = "delivered"
	EventClicked   = "clicked"
)

// Event is the outcome of one message for one device or recipient.
type Event struct {
	Type   string `json:"type"`
	AppID  string `json:"app_id"`
	MsgID  string `json:"msg_id"`
	UserID string `json:"user_id,omitempty"`
	CertID int64  `json:"cert_id,omitempty"`
	// Token is the token hash (vendors.TokenHash), never the token.
	Token  string `json:"token,omitempty"`
	Vendor string `json:"vendor,omitempty"`
	// Kind and Code classify a failure; Code is the vendor's, verbatim.
	Kind string `json:"kind,omitempty"`
	Code string `json:"code,omitempty"`
	// Reason is the vendor's message or the error text.
	Reason string `json:"reason,omitempty"`
	// Rule names the rule that dropped a push.
	Rule string `json:"rule,omitempty"`
	// VendorMsgID is the vendor's id of a sent message.
	VendorMsgID string    `json:"vendor_msg_id,omitempty"`
	Attempt     int       `json:"attempt,omitempty"`
	At          time.Time `json:"at"`
}

// EventSink receives delivery events. Emit must not block long: events are
// observability, and a failing sink never fails a delivery.
type EventSink interface {
	Emit(ctx context.Context, evs []Event)
}

// StreamSink appends events to the Redis stream pushd:events:{app}, capped
// at maxLen entries (approximately).
type StreamSink struct {
	rdb    redis.UniversalClient
	prefix string
	maxLen int64
	// OnError is called when an append fails (logged by the caller).
	OnError func(error)
	// Trace, when set, also gets every event emitted (through Emit, and
	// through the job stream's committer) as an entry of its message's
	// trace; nil traces nothing (trace.enabled false).
	Trace *TraceStore
}

// NewStreamSink returns a StreamSink that traces (trace.enabled defaults
// to true) with the default window; set Trace to nil, or its Window, to
// follow the configuration.
func NewStreamSink(rdb redis.UniversalClient, prefix string, maxLen int64) *StreamSink {
	return &StreamSink{rdb: rdb, prefix: prefix, maxLen: maxLen, Trace: NewTraceStore(rdb, prefix, DefaultTraceWindow)}
}

// StreamKey is the stream of app's events.
func StreamKey(prefix, app string) string { return prefix + "events:" + app }

// Emit appends evs in one pipeline.
func (s *StreamSink) Emit(ctx context.Context, evs []Event) {
	if len(evs) == 0 {
		return
	}
	pipe := s.rdb.Pipeline()
	s.Append(ctx, pipe, evs)
	if s.Trace != nil {
		s.Trace.appendEvents(ctx, pipe, evs)
	}
	if _, err := pipe.Exec(ctx); err != nil && s.OnError != nil {
		s.OnError(err)
	}
}

// Append queues the XADDs of evs on pipe (the job stream writes them with
// the job's acknowledgement) and returns their commands.
func (s *StreamSink) Append(ctx context.Context, pipe redis.Pipeliner, evs []Event) []*redis.StringCmd {
	cmds := make([]*redis.StringCmd, len(evs))
	for i := range evs {
		cmds[i] = pipe.XAdd(ctx, &redis.XAddArgs{
			Stream: StreamKey(s.prefix, evs[i].AppID),
			MaxLen: s.maxLen,
			Approx: true,
			Values: EventFields(&evs[i]),
		})
	}
	return cmds
}

// MultiSink fans events out to several sinks.
type MultiSink []EventSink

// Emit sends evs to every sink.
func (m MultiSink) Emit(ctx context.Context, evs []Event) {
	for _, s := range m {
		s.Emit(ctx, evs)
	}
}
