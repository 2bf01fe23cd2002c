// Package devices is pushd's registry of device bindings and users' push
// state, kept in Redis: which tokens a user's devices reported (SPEC §3.2),
// their foreground/background state and badge counters, the user's global
// push switch, sounds, do-not-disturb window, locale, and receive options
// per peer and per group.
//
// Key layout (prefix default "pushd:"):
//
//	<p>tok:<app>:<cert_id>:<h>   hash, one per binding, h = SHA-256 prefix of the token:
//	                             user, token, platform, reported_at (unix ms),
//	                             state ("" | bg | fg), state_at (unix ms), badge,
//	                             voip, voip_at (unix ms): the device's PushKit token
//	<p>vix:<app>:<cert_id>:<hv>  string, hv = hash of a VoIP token: the
//	                             "<cert_id>:<h>" of its binding (voip.go)
//	<p>dev:<app>:<user>          set of "<cert_id>:<h>": the user's bindings
//	<p>usr:<app>:<user>          hash: push, c2c_sound, group_sound, dnd, locale
//	<p>opt:<app>:<user>          hash: "c2c:<peer>" / "group:<id>" → receive option
//
// The binding hash is the authority on who owns a token: its "user" field.
// A user's set is only an index, and a member whose binding now belongs to
// someone else is ignored (and cleaned up) when read. That way every
// read-modify-write is a Lua script on one key, which is atomic and works
// unchanged on Redis Cluster, and a token that moved to another user can
// never be pushed to its previous owner, whatever the interleaving.
package devices

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// DefaultPrefix starts every key the Store writes.
const DefaultPrefix = "pushd:"

// Limits on what a client may store.
const (
	MaxUserIDBytes   = 256
	MaxTokenBytes    = 4096
	MaxPlatformBytes = 64
	MaxSoundBytes    = 256
	MaxLocaleBytes   = 35
	MaxConvIDBytes   = 256
)

// ErrNotFound is returned for a binding that does not exist (or belongs to
// another user).
var ErrNotFound = errors.New("binding not found")

// ErrForeground is returned by NextBadge for a binding whose app reported
// it is in the foreground: such a device is not pushed.
var ErrForeground = errors.New("binding is in the foreground")

// FieldError is a refused input naming the field at fault, so the HTTP API
// can answer 400 with it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func fieldErr(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Options configure a Store; the zero value means the defaults.
type Options struct {
	// Prefix starts every key; "" means DefaultPrefix.
	Prefix string
	// Now is the clock that stamps reported_at; nil means time.Now.
	Now func() time.Time
	// ForegroundTTL is how long a foreground report holds; past it the
	// binding is treated as in the background (the app crashed or was
	// killed without reporting). 0 means DefaultForegroundTTL.
	ForegroundTTL time.Duration
	// BindingTTL is how long a binding lives without a report (a bind or
	// a state report); past it the binding is dropped when next listed.
	// 0 means DefaultBindingTTL.
	BindingTTL time.Duration
}

// Default lifetimes of device state (devices.foreground_ttl and
// devices.binding_ttl).
const (
	DefaultForegroundTTL = 10 * time.Minute
	DefaultBindingTTL    = 60 * 24 * time.Hour
)

// Store reads and writes bindings and user push state. It is safe for
// concurrent use; any number of processes may share one Redis.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	now     func() time.Time
	fgTTL   time.Duration
	bindTTL time.Duration
	scripts scripts
}

// New returns a Store on rdb.
func New(rdb redis.UniversalClient, opt Options) *Store {
	s := &Store{rdb: rdb, prefix: opt.Prefix, now: opt.Now, fgTTL: opt.ForegroundTTL, bindTTL: opt.BindingTTL, scripts: newScripts()}
	if s.fgTTL <= 0 {
		s.fgTTL = DefaultForegroundTTL
	}
	if s.bindTTL <= 0 {
		s.bindTTL = DefaultBindingTTL
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// tokenHash keeps tokens (up to 4 KB, and not for logs or key listings)
// out of key names; 128 bits make a collision within one certificate
// negligible.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:16])
}

func member(certID int64, token string) string {
	return strconv.FormatInt(certID, 10) + ":" + tokenHash(token)
}

func (s *Store) tokKey(app, m string) string    { return s.prefix + "tok:" + app + ":" + m }
func (s *Store) devKey(app, user string) string { return s.prefix + "dev:" + app + ":" + user }
func (s *Store) usrKey(app, user string) string { return s.prefix + "usr:" + app + ":" + user }
func (s *Store) optKey(app, user string) string { return s.prefix + "opt:" + app + ":" + user }

// checkApp applies the job contract's app_id rule; app ids never contain a
// colon, which keeps the keys above unambiguous.
func checkApp(app string) error {
	if strings.TrimSpace(app) == "" {
		return fieldErr("app_id", "required")
	}
	if len(app) > 64 || strings.ContainsAny(app, ": \t\n{}") {
		return fieldErr("app_id", "must be at most 64 bytes without spaces, colons or braces")
	}
	return nil
}

func checkText(field, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return fieldErr(field, "required")
	case len(v) > max:
		return fieldErr(field, "%d bytes, at most %d allowed", len(v), max)
	case !utf8.ValidString(v):
		return fieldErr(field, "invalid UTF-8")
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return fieldErr(field, "must not contain control characters")
		}
	}
	return nil
}

func checkUser(app, user string) error {
	if err := checkApp(app); err != nil {
		return err
	}
	return checkText("user_id", user, MaxUserIDBytes, true)
}

func checkBinding(app, user string, certID int64, token string) error {
	if err := checkUser(app, user); err != nil {
		return err
	}
	if certID <= 0 {
		return fieldErr("cert_id", "must be a positive certificate id")
	}
	return checkText("token", token, MaxTokenBytes, true)
}

// execPipe runs the commands queued by fill in one round trip. A missing
// key or field (redis.Nil) is an answer, not a failure; any other error of
// any command is returned.
func execPipe(ctx context.Context, rdb redis.UniversalClient, fill func(redis.Pipeliner)) ([]redis.Cmder, error) {
	p := rdb.Pipeline()
	fill(p)
	cmds, err := p.Exec(ctx)
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	for _, c := range cmds {
		if e := c.Err(); e != nil && !errors.Is(e, redis.Nil) {
			return nil, e
		}
	}
	return cmds, nil
}
