package dispatcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pushd/pushd/vendors"
)

// Limits of the job contract.
const (
	// MaxJobBytes is the largest job payload accepted.
	MaxJobBytes = 1 << 20
	// MaxExtBytes is the largest ext: no vendor payload holds more.
	MaxExtBytes = 4096
	// MaxMsgIDBytes bounds msg_id, which becomes part of task ids and keys.
	MaxMsgIDBytes = 128
	// MaxTargets bounds recipients and devices per job.
	MaxTargets = 100000
	// MaxTokenBytes bounds one device token.
	MaxTokenBytes = 4096
	// MaxExpiry is how far ahead expire_at may lie.
	MaxExpiry = 30 * 24 * time.Hour
	// DefaultExpiry is the lifetime of a job without expire_at.
	DefaultExpiry = 24 * time.Hour
)

// FieldError is a job refused because of one field. Field is the JSON path
// ("offline_push.ext", "devices[3].cert_id"); the HTTP API answers 400 with
// it and the worker archives the task with it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// DecodeJob decodes and validates a job strictly: unknown fields, trailing
// data, wrong types, invalid UTF-8 and every rule of Validate are errors
// naming the field. now fills the default expire_at.
func DecodeJob(b []byte, now time.Time) (*Job, error) {
	if len(b) > MaxJobBytes {
		return nil, fieldErr("body", "job is %d bytes, more than the %d allowed", len(b), MaxJobBytes)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fieldErr("body", "empty job")
	}
	if !utf8.Valid(b) {
		return nil, fieldErr(invalidUTF8Path(b), "invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var j Job
	if err := dec.Decode(&j); err != nil {
		return nil, jsonFieldError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fieldErr("body", "trailing data after the job object")
	}
	if err := j.Validate(now); err != nil {
		return nil, err
	}
	return &j, nil
}

// jsonFieldError turns an encoding/json error into a FieldError.
func jsonFieldError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		f := te.Field
		if f == "" {
			f = "body"
		}
		return fieldErr(f, "expected %s, got JSON %s", te.Type, te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fieldErr("body", "malformed JSON at byte %d: %v", se.Offset, se)
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fieldErr(strings.Trim(rest, `"`), "unknown field")
	}
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return fieldErr("expire_at", "not an RFC 3339 time: %q", pe.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fieldErr("body", "truncated JSON")
	}
	return fieldErr("body", "%v", err)
}

// Validate checks every rule of the contract and fills defaults
// (expire_at). It returns the first violation as a *FieldError.
func (j *Job) Validate(now time.Time) error {
	if strings.TrimSpace(j.AppID) == "" {
		return fieldErr("app_id", "required")
	}
	if len(j.AppID) > 64 || strings.ContainsAny(j.AppID, ": \t\n{}") {
		return fieldErr("app_id", "must be at most 64 bytes without spaces, colons or braces")
	}
	if err := validMsgID(j.MsgID); err != nil {
		return err
	}
	if err := j.validateTargets(); err != nil {
		return err
	}
	if err := j.validateContent(); err != nil {
		return err
	}
	if err := j.OfflinePush.validate(); err != nil {
		return err
	}
	return j.validateExpiry(now)
}

func validMsgID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return fieldErr("msg_id", "required")
	case len(id) > MaxMsgIDBytes:
		return fieldErr("msg_id", "%d bytes, at most %d allowed", len(id), MaxMsgIDBytes)
	}
	for _, r := range id {
		if r < 0x21 || r == 0x7f || r == '{' || r == '}' {
			return fieldErr("msg_id", "must be printable without spaces or braces")
		}
	}
	return nil
}

func (j *Job) validateTargets() error {
	switch {
	case len(j.Recipients) == 0 && len(j.Devices) == 0:
		return fieldErr("recipients", "one of recipients or devices is required")
	case len(j.Recipients) > 0 && len(j.Devices) > 0:
		return fieldErr("devices", "give recipients or devices, not both")
	case len(j.Recipients) > MaxTargets:
		return fieldErr("recipients", "%d recipients, at most %d per job", len(j.Recipients), MaxTargets)
	case len(j.Devices) > MaxTargets:
		return fieldErr("devices", "%d devices, at most %d per job", len(j.Devices), MaxTargets)
	}
	for i, r := range j.Recipients {
		if strings.TrimSpace(r) == "" {
			return fieldErr(fmt.Sprintf("recipients[%d]", i), "empty user id")
		}
	}
	for i, d := range j.Devices {
		f := "devices[" + strconv.Itoa(i) + "]"
		switch {
		case d.CertID <= 0:
			return fieldErr(f+".cert_id", "must be a positive certificate id")
		case strings.TrimSpace(d.Token) == "":
			return fieldErr(f+".token", "required")
		case len(d.Token) > MaxTokenBytes:
			return fieldErr(f+".token", "longer than %d bytes", MaxTokenBytes)
		}
		if d.Vendor != "" {
			if _, err := vendors.ParseVendor(d.Vendor); err != nil {
				return fieldErr(f+".vendor", "%v", err)
			}
		}
	}
	return nil
}

var groupTypes = map[string]bool{
	GroupWork: true, GroupPrivate: true, GroupPublic: true, GroupMeeting: true,
	GroupChatRoom: true, GroupAVChatRoom: true, GroupBChatRoom: true,
}

var elemTypes = map[string]bool{
	ElemText: true, ElemImage: true, ElemSound: true, ElemVideo: true, ElemFile: true,
	ElemLocation: true, ElemFace: true, ElemMerger: true, ElemCustom: true, ElemGroupTips: true,
}

func (j *Job) validateContent() error {
	if j.Group != nil {
		if strings.TrimSpace(j.Group.ID) == "" {
			return fieldErr("group.id", "required for a group message")
		}
		if !groupTypes[j.Group.Type] {
			return fieldErr("group.type", "unknown group type %q (want Work, Public, Meeting, AVChatRoom, …)", j.Group.Type)
		}
	}
	for i, e := range j.Elems {
		if !elemTypes[e.Type] {
			return fieldErr(fmt.Sprintf("elems[%d].type", i), "unknown element type %q", e.Type)
		}
	}
	for i, m := range j.Mentions {
		if strings.TrimSpace(m) == "" {
			return fieldErr(fmt.Sprintf("mentions[%d]", i), "empty user id")
		}
	}
	return nil
}

func (p *OfflinePush) validate() error {
	if len(p.Ext) > MaxExtBytes {
		return fieldErr("offline_push.ext", "%d bytes; no vendor payload holds more than %d", len(p.Ext), MaxExtBytes)
	}
	if p.Badge != nil && (*p.Badge < 0 || *p.Badge > 99999) {
		return fieldErr("offline_push.badge", "must be between 0 and 99999, got %d", *p.Badge)
	}
	if c := p.Android.VivoClassification; c != nil && *c != 0 && *c != 1 {
		return fieldErr("offline_push.android.vivo_classification", "must be 0 (operations) or 1 (system), got %d", *c)
	}
	if imp := p.Android.HuaweiImportance; imp != "" && imp != "LOW" && imp != "NORMAL" && imp != "HIGH" {
		return fieldErr("offline_push.android.huawei_importance", "must be LOW, NORMAL or HIGH, got %q", imp)
	}
	return nil
}

func (j *Job) validateExpiry(now time.Time) error {
	if j.ExpireAt == nil {
		t := now.Add(DefaultExpiry).UTC().Truncate(time.Second)
		j.ExpireAt = &t
		return nil
	}
	switch {
	case !j.ExpireAt.After(now):
		return fieldErr("expire_at", "%s has already passed", j.ExpireAt.Format(time.RFC3339))
	case j.ExpireAt.Sub(now) > MaxExpiry:
		return fieldErr("expire_at", "more than %s ahead", MaxExpiry)
	}
	return nil
}

// invalidUTF8Path finds the JSON path of the first string holding invalid
// UTF-8, so the error can name the field.
func invalidUTF8Path(b []byte) string {
	dec := json.NewDecoder(bytes.NewReader(b))
	var path []string
	var inArray []bool
	var index []int
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return "body"
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				path = append(path, "")
				inArray = append(inArray, false)
				index = append(index, 0)
				expectKey = true
				continue
			case '[':
				path = append(path, "")
				inArray = append(inArray, true)
				index = append(index, 0)
				continue
			default:
				path, inArray, index = path[:len(path)-1], inArray[:len(inArray)-1], index[:len(index)-1]
			}
		case string:
			if expectKey && len(inArray) > 0 && !inArray[len(inArray)-1] {
				path[len(path)-1] = v
				expectKey = false
				if strings.ContainsRune(v, utf8.RuneError) {
					return joinPath(path, inArray, index)
				}
				continue
			}
			if strings.ContainsRune(v, utf8.RuneError) {
				return joinPath(path, inArray, index)
			}
		}
		// A value ended: advance the enclosing container.
		if n := len(inArray); n > 0 {
			if inArray[n-1] {
				index[n-1]++
			} else {
				expectKey = true
			}
		}
	}
}

func joinPath(path []string, inArray []bool, index []int) string {
	var sb strings.Builder
	for i, p := range path {
		if inArray[i] {
			fmt.Fprintf(&sb, "[%d]", index[i])
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(p)
	}
	if sb.Len() == 0 {
		return "body"
	}
	return sb.String()
}
