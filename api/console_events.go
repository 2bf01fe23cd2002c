package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/dispatcher"
)

// eventsData is the live-tail page; the filters go to the stream.
type eventsData struct {
	App, User, MsgID, Type string
	Types                  []string
}

// eventTypes are the delivery event types the filter offers.
var eventTypes = []string{"sent", "failed", "token_invalid", "dropped", "retrying", "delivered", "clicked", "cert_expiring"}

func (s *Server) consoleEvents(w http.ResponseWriter, r *http.Request) {
	app, ok := s.appParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	d := eventsData{App: app, User: q.Get("user"), MsgID: q.Get("msg_id"), Type: q.Get("type"), Types: eventTypes}
	if app == "" && !principalOf(r).AllApps() && len(principalOf(r).Apps()) > 0 {
		d.App = principalOf(r).Apps()[0]
	}
	s.render(w, r, http.StatusOK, "events", "Events", d, "")
}

// eventFilter keeps the events a tail asked for.
type eventFilter struct{ user, msgID, typ string }

func (f eventFilter) keep(ev dispatcher.Event) bool {
	return (f.user == "" || ev.UserID == f.user) && (f.msgID == "" || ev.MsgID == f.msgID) && (f.typ == "" || ev.Type == f.typ)
}

// consoleEventStream tails an app's delivery events as server-sent
// events, read from the stream with dispatcher.DecodeEvent as GET
// /v1/apps/{app}/events does. The browser's Last-Event-ID resumes after
// the last event it saw; ?since=0 replays the retained stream.
func (s *Server) consoleEventStream(w http.ResponseWriter, r *http.Request) {
	app, ok := s.appParam(w, r)
	if !ok {
		return
	}
	if err := dispatcher.CheckAppID("app", app); err != nil {
		writeError(w, fieldError(err))
		return
	}
	q := r.URL.Query()
	f := eventFilter{user: q.Get("user"), msgID: q.Get("msg_id"), typ: q.Get("type")}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = q.Get("since")
	}
	if last == "" {
		last = "$"
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	key := dispatcher.StreamKey("pushd:", app)
	// ?follow=false answers what is there and stops (scripts, tests).
	follow := q.Get("follow") != "false"
	block := 5 * time.Second
	if !follow {
		block = -1
	}
	for r.Context().Err() == nil {
		res, err := s.Redis.XRead(r.Context(), &redis.XReadArgs{Streams: []string{key, last}, Count: 200, Block: block}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return
		}
		for _, st := range res {
			for _, m := range st.Messages {
				last = m.ID
				if ev, ok := dispatcher.DecodeEvent(app, m.ID, m.Values); ok && f.keep(ev) {
					b, _ := json.Marshal(ev)
					fmt.Fprintf(w, "id: %s\nevent: delivery\ndata: %s\n\n", m.ID, strings.ReplaceAll(string(b), "\n", ""))
				}
			}
		}
		if len(res) == 0 {
			fmt.Fprint(w, ": keep-alive\n\n")
		}
		if flusher != nil {
			flusher.Flush()
		}
		if !follow && len(res) == 0 {
			return
		}
	}
}
