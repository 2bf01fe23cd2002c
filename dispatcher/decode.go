package dispatcher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pushd/pushd/vendors"
)

// MaxExt is the one ext promise (SPEC §4.2, docs/rules.md): the largest
// ext, counted as it is written in JSON, that every registered vendor
// carries with any text. A larger one is refused at decode, never
// delivered to some phones and refused for others.
func MaxExt() int { return vendors.MaxExt() }

// Limits of the job contract.
const (
	// MaxJobBytes is the largest job payload accepted.
	MaxJobBytes = 1 << 20
	// MaxExtBytes bounds ext before anything else looks at it: no vendor
	// payload holds more. The promise is smaller: see MaxExt.
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

// DecodeJob decodes and validates a job strictly: unknown, duplicate and
// case-variant keys, trailing data, wrong types, invalid UTF-8 and every
// rule of Validate are errors naming the field. now fills the default
// expire_at. A job it accepts renders for every vendor.
func DecodeJob(b []byte, now time.Time) (*Job, error) {
	if len(b) > MaxJobBytes {
		return nil, fieldErr("body", "job is %d bytes, more than the %d allowed", len(b), MaxJobBytes)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fieldErr("body", "empty job")
	}
	if err := CheckKeys(b, &Job{}); err != nil {
		return nil, err
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
		if name := strings.Trim(rest, `"`); name != "" {
			return fieldErr(name, "unknown field")
		}
		return fieldErr("body", "unknown field with an empty name")
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
	if err := CheckAppID("app_id", j.AppID); err != nil {
		return err
	}
	if err := CheckMsgID("msg_id", j.MsgID); err != nil {
		return err
	}
	if j.Sender.UserID != "" {
		if err := CheckUserID("sender.user_id", j.Sender.UserID); err != nil {
			return err
		}
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
	if err := j.validateExpiry(now); err != nil {
		return err
	}
	if err := j.validatePriority(); err != nil {
		return err
	}
	return j.checkRenders()
}

// checkRenders refuses at decode what Render would refuse for any vendor
// (an ext or options that leave no room for the text in a vendor's
// payload), so the API answers 400 instead of queueing a job the worker
// archives. It renders with the default app settings; ErrEmptyContent is
// not an error here (Resolve drops such messages by rule).
func (j *Job) checkRenders() error {
	if j.plainOptions() {
		// The ext promise (MaxExt, checked by checkOptions) is that every
		// vendor carries such an ext with any text: with no vendor option
		// and a short sound nothing else takes room, so no render can
		// fail (TestExtPromise renders this case for every vendor). Rendering eight times per job is skipped.
		return nil
	}
	for _, v := range vendors.All() {
		_, err := Render(j, RenderInput{Vendor: v, App: DefaultAppSettings()})
		var fe *FieldError
		if errors.As(err, &fe) {
			return fe
		}
	}
	return nil
}

// plainOptions reports a job with no vendor option, no per-language text
// and an iOS sound of at most maxPlainSound bytes.
func (j *Job) plainOptions() bool {
	p := &j.OfflinePush
	return p.Android.IsZero() && p.APNs.IsZero() && p.Harmony.IsZero() && len(p.Languages) == 0 &&
		len(p.IOSSound) <= maxPlainSound
}

// maxPlainSound is the longest iOS sound name of a plain job.
const maxPlainSound = 64

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
		if err := CheckUserID(fmt.Sprintf("recipients[%d]", i), r); err != nil {
			return err
		}
	}
	for i, d := range j.Devices {
		f := "devices[" + strconv.Itoa(i) + "]"
		switch {
		case d.CertID <= 0:
			return fieldErr(f+".cert_id", "must be a positive certificate id")
		}
		if err := CheckDeviceToken(f+".token", d.Token); err != nil {
			return err
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
		if err := CheckUserID("group.id", j.Group.ID); err != nil {
			return err
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
		if err := CheckUserID(fmt.Sprintf("mentions[%d]", i), m); err != nil {
			return err
		}
	}
	return nil
}

func (p *OfflinePush) validate() error {
	if len(p.Ext) > MaxExtBytes {
		return fieldErr("offline_push.ext", "%d bytes; every vendor carries at most %d (docs/rules.md)", len(p.Ext), MaxExt())
	}
	if err := checkOptions(&Job{OfflinePush: *p}); err != nil {
		return err
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
	for _, check := range []func() error{p.validateBadges, p.validateLanguages, p.Android.validate,
		p.APNs.validate, p.Harmony.validate} {
		if err := check(); err != nil {
			return err
		}
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

// maxJSONDepth bounds the nesting of any body: a job nests four levels.
const maxJSONDepth = 32

// CheckKeys walks the JSON document b, typed by v's type (a pointer to the
// struct it will be decoded into), and refuses with a *FieldError naming
// the path what encoding/json would silently accept: a duplicate key (the
// last one would win, so a second app_id could switch the app), a key that
// matches a field only case-insensitively ("App_ID"), two keys of one
// object equal but for case, invalid UTF-8, and nesting deeper than 32.
// Syntax errors are left to the decoder, which names them better.
func CheckKeys(b []byte, v any) error {
	if plainKeys(b) {
		return nil
	}
	w := keyWalker{dec: json.NewDecoder(bytes.NewReader(b)), utf8: !utf8.Valid(b), root: deref(reflect.TypeOf(v))}
	return w.walk()
}

type keyWalker struct {
	dec   *json.Decoder
	utf8  bool
	root  reflect.Type
	stack []*keyFrame
}

// keyFrame is one open object or array.
type keyFrame struct {
	array     bool
	t         reflect.Type
	key       string
	index     int
	seen      map[string]bool
	expectKey bool
}

func (w *keyWalker) walk() error {
	for {
		tok, err := w.dec.Token()
		if err != nil {
			return nil
		}
		if err := w.step(tok); err != nil {
			return err
		}
	}
}

func (w *keyWalker) step(tok json.Token) error {
	top := w.top()
	if s, ok := tok.(string); ok && top != nil && top.expectKey {
		return w.key(top, s)
	}
	switch tok {
	case json.Delim('{'), json.Delim('['):
		if len(w.stack) >= maxJSONDepth {
			return fieldErr(w.path(), "nested deeper than %d levels", maxJSONDepth)
		}
		f := &keyFrame{array: tok == json.Delim('['), t: w.childType(top)}
		if !f.array {
			f.seen, f.expectKey = map[string]bool{}, true
		}
		f.t = containerType(f.t, f.array)
		w.stack = append(w.stack, f)
		return nil
	case json.Delim('}'), json.Delim(']'):
		w.stack = w.stack[:len(w.stack)-1]
	default:
		if s, ok := tok.(string); ok && w.utf8 && strings.ContainsRune(s, utf8.RuneError) {
			return fieldErr(w.path(), "invalid UTF-8")
		}
	}
	w.advance()
	return nil
}

// key checks one object key against its siblings and the struct's fields.
func (w *keyWalker) key(f *keyFrame, k string) error {
	f.key, f.expectKey = k, false
	if w.utf8 && strings.ContainsRune(k, utf8.RuneError) {
		return fieldErr(w.path(), "invalid UTF-8 in a key")
	}
	if f.seen[k] {
		return fieldErr(w.path(), "duplicate key")
	}
	for other := range f.seen {
		if strings.EqualFold(other, k) {
			return fieldErr(w.path(), "key differs from %q only in case; keys are case-sensitive", other)
		}
	}
	f.seen[k] = true
	if f.t != nil && f.t.Kind() == reflect.Struct {
		fields := jsonFields(f.t)
		if _, ok := fields[k]; !ok {
			for name := range fields {
				if strings.EqualFold(name, k) {
					return fieldErr(w.path(), "unknown field; keys are case-sensitive (did you mean %q?)", name)
				}
			}
		}
	}
	return nil
}

// advance moves the enclosing container past the value that just ended.
func (w *keyWalker) advance() {
	if f := w.top(); f != nil {
		if f.array {
			f.index++
		} else {
			f.expectKey = true
		}
	}
}

func (w *keyWalker) top() *keyFrame {
	if len(w.stack) == 0 {
		return nil
	}
	return w.stack[len(w.stack)-1]
}

// childType is the type of the value about to start inside f (the root
// type when there is no f), nil when unknown.
func (w *keyWalker) childType(f *keyFrame) reflect.Type {
	if f == nil {
		return w.root
	}
	if f.t == nil {
		return nil
	}
	switch f.t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map:
		return deref(f.t.Elem())
	case reflect.Struct:
		return jsonFields(f.t)[f.key]
	}
	return nil
}

// path is the JSON path of the current key or value: "devices[2].token".
func (w *keyWalker) path() string {
	var sb strings.Builder
	for _, f := range w.stack {
		if f.array {
			fmt.Fprintf(&sb, "[%d]", f.index)
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(f.key)
	}
	if sb.Len() == 0 {
		return "body"
	}
	return sb.String()
}

// containerType keeps t only when it can hold the container that opens:
// a struct or map for an object, a slice or array for an array.
func containerType(t reflect.Type, array bool) reflect.Type {
	if t == nil {
		return nil
	}
	k := t.Kind()
	if array && (k == reflect.Slice || k == reflect.Array) || !array && (k == reflect.Struct || k == reflect.Map) {
		return t
	}
	return nil
}

// jsonFields maps the JSON names of struct t's fields to their types,
// embedded structs flattened, as encoding/json sees them.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if sf.Anonymous && name == "" && deref(sf.Type).Kind() == reflect.Struct {
			for k, v := range jsonFields(deref(sf.Type)) {
				out[k] = v
			}
			continue
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out[name] = deref(sf.Type)
	}
	return out
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}
