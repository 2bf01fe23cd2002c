// Package api is pushd's HTTP API: enqueueing jobs, test pushes,
// certificates, device reports and user settings, health and metrics, with
// bearer tokens carrying the roles enqueue and admin. The CLI is a client of
// this API (see Client), so the same commands work against the embedded
// default and against a production cluster.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/dispatcher"
)

// ErrorBody is every error answer: a message and, for bad input, the field
// at fault; a server error carries the request id instead of its detail.
type ErrorBody struct {
	Error     string `json:"error"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// httpError is an error with its status and field.
type httpError struct {
	status int
	field  string
	msg    string
	// retryAfter, when set, is sent as Retry-After (429, 503).
	retryAfter string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(field, format string, args ...any) error {
	return &httpError{status: http.StatusBadRequest, field: field, msg: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &httpError{status: http.StatusNotFound, msg: fmt.Sprintf(format, args...)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// writeError answers err. An *httpError is answered as it says. Any other
// error is the server's: Redis unreachable is a 503 with Retry-After,
// anything else a 500; both answer a generic message with the request id,
// and the detail goes only to the log (ServeHTTP logs it, once).
func writeError(w http.ResponseWriter, err error) {
	var he *httpError
	if errors.As(err, &he) {
		if he.retryAfter != "" {
			w.Header().Set("Retry-After", he.retryAfter)
		}
		writeJSON(w, he.status, ErrorBody{Error: he.msg, Field: he.field})
		return
	}
	id := w.Header().Get(RequestIDHeader)
	if rec, ok := w.(*statusRecorder); ok {
		rec.internal = err
	}
	if unavailable(err) {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, ErrorBody{Error: "the queue store is unavailable; retry later", RequestID: id})
		return
	}
	writeJSON(w, http.StatusInternalServerError, ErrorBody{Error: "internal error", RequestID: id})
}

// unavailable reports whether err means Redis could not be reached
// (refused, reset, timed out, closed, its pool exhausted, still loading):
// a condition that passes, unlike a bug or a bad answer.
func unavailable(err error) bool {
	var ne net.Error
	switch {
	case errors.As(err, &ne), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, redis.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	msg := err.Error()
	// go-redis does not export its pool timeout; LOADING and
	// MASTERDOWN are Redis's own answers while it cannot serve.
	return strings.Contains(msg, "connection pool timeout") || strings.Contains(msg, "LOADING ") ||
		strings.Contains(msg, "MASTERDOWN ")
}

func tooMany(retryAfter time.Duration, format string, args ...any) error {
	secs := int(math.Ceil(retryAfter.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return &httpError{status: http.StatusTooManyRequests, msg: fmt.Sprintf(format, args...), retryAfter: strconv.Itoa(secs)}
}

// maxBody bounds every request body.
const maxBody = 2 << 20

// decodeBody reads a JSON body strictly into v: unknown, duplicate and
// case-variant keys, trailing data and wrong types are a 400 naming the
// key (the same rules as a job, dispatcher.CheckKeys).
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	if err := dispatcher.CheckKeys(b, v); err != nil {
		return fieldError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badRequest(te.Field, "expected %s, got JSON %s", te.Type, te.Value)
		}
		if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name := strings.Trim(rest, `"`)
			if name == "" {
				name = "body"
			}
			return badRequest(name, "unknown field")
		}
		return badRequest("body", "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("body", "trailing data after the JSON object")
	}
	return nil
}

// readBody reads the body, refusing more than maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, maxBody)
	var b []byte
	var err error
	if n := r.ContentLength; n > 0 && n <= maxBody {
		// One allocation of the announced size, not ReadAll's doublings
		// from 512 bytes; the server holds the body to its Content-Length
		// (a shorter one is an unexpected EOF).
		b = make([]byte, n)
		_, err = io.ReadFull(body, b)
	} else {
		b, err = io.ReadAll(body)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, badRequest("body", "request body larger than %d bytes", maxBody)
	}
	if err != nil {
		return nil, badRequest("body", "reading body: %v", err)
	}
	return b, nil
}

// shortToken shows the first and last characters of a device token: enough
// to recognise it, not enough to push to it.
func shortToken(t string) string {
	if len(t) <= 12 {
		return "…"
	}
	return t[:6] + "…" + t[len(t)-4:]
}
