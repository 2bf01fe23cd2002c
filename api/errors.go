// Package api is pushd's HTTP API: enqueueing jobs, test pushes,
// certificates, device reports and user settings, health and metrics, with
// bearer tokens carrying the roles enqueue and admin. The CLI is a client of
// this API (see Client), so the same commands work against the embedded
// default and against a production cluster.
package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// ErrorBody is every error answer: a message and, for bad input, the field
// at fault.
type ErrorBody struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// httpError is an error with its status and field.
type httpError struct {
	status int
	field  string
	msg    string
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

func writeError(w http.ResponseWriter, err error) {
	var he *httpError
	if errors.As(err, &he) {
		writeJSON(w, he.status, ErrorBody{Error: he.msg, Field: he.field})
		return
	}
	writeJSON(w, http.StatusInternalServerError, ErrorBody{Error: err.Error()})
}

// maxBody bounds every request body.
const maxBody = 2 << 20

// decodeBody reads a JSON body strictly into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	b, err := readBody(w, r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badRequest(te.Field, "expected %s, got JSON %s", te.Type, te.Value)
		}
		if rest, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return badRequest(strings.Trim(rest, `"`), "unknown field")
		}
		return badRequest("body", "malformed JSON: %v", err)
	}
	return nil
}

// readBody reads the body, refusing more than maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
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
