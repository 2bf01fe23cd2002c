package devices

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Token types a device reports (the device-report API's token_type).
const (
	// TokenAlert is the APNs or Android vendor token of ordinary
	// notifications: the binding itself.
	TokenAlert = "alert"
	// TokenVoIP is an iOS PushKit token: calls only, stored beside the
	// alert binding of the same device (its "voip" field), never
	// replacing it.
	TokenVoIP = "voip"
)

// The VoIP token lives in the alert binding's hash, so everything that
// ends the binding (unbind, a token moving to another user, expiry, an
// invalid alert token) ends the VoIP token with it. One more key per VoIP
// token,
//
//	<p>vix:<app>:<cert_id>:<hv>   string, hv = hash of the VoIP token:
//	                              the "<cert_id>:<h>" member of its binding
//
// finds the binding from the VoIP token alone: when APNs says the VoIP
// token is dead (RemoveInvalid), and when the token is reported for
// another alert token of the device (it leaves the old binding).
func (s *Store) vixKey(app string, certID int64, voip string) string {
	return s.prefix + "vix:" + app + ":" + member(certID, voip)
}

// setVoIPSrc stores ARGV[2] as the VoIP token of owner ARGV[1]'s binding
// KEYS[1]; 0 when the binding is gone or belongs to someone else.
const setVoIPSrc = `
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'voip', ARGV[2], 'voip_at', ARGV[3])
return 1`

// dropVoIPSrc removes the VoIP token of binding KEYS[1] if it is still
// ARGV[1] (a newer report is kept) and, when ARGV[2] is not empty, only if
// it was reported before ARGV[2] (unix ms). It returns 1 if it removed it.
const dropVoIPSrc = `
local v = redis.call('HMGET', KEYS[1], 'voip', 'voip_at')
if v[1] ~= ARGV[1] then return 0 end
if ARGV[2] ~= '' and tonumber(v[2] or '0') > tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], 'voip', 'voip_at')
return 1`

// BindVoIP stores voip, the device's PushKit token, beside user's alert
// binding of alertToken under certID. The alert binding must exist (the
// device reports its alert token first): ErrNotFound otherwise. A VoIP
// token reported before for another alert token of the device leaves
// that binding, so one VoIP token is pushed once per call.
func (s *Store) BindVoIP(ctx context.Context, app, user string, certID int64, alertToken, voip string) error {
	if err := checkBinding(app, user, certID, alertToken); err != nil {
		return err
	}
	if err := checkText("voip_token", voip, MaxTokenBytes, true); err != nil {
		return err
	}
	m, vix := member(certID, alertToken), s.vixKey(app, certID, voip)
	prev, err := s.rdb.Get(ctx, vix).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("bind voip: %w", err)
	}
	ms := strconv.FormatInt(s.now().UnixMilli(), 10)
	n, err := s.scripts.setVoIP.Run(ctx, s.rdb, []string{s.tokKey(app, m)}, user, voip, ms).Int()
	if err != nil {
		return fmt.Errorf("bind voip: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	if prev != "" && prev != m {
		if err := s.scripts.dropVoIP.Run(ctx, s.rdb, []string{s.tokKey(app, prev)}, voip, "").Err(); err != nil {
			return fmt.Errorf("bind voip: leave the previous binding: %w", err)
		}
	}
	// The index lives as long as an unreported binding would.
	if err := s.rdb.Set(ctx, vix, m, s.bindTTL).Err(); err != nil {
		return fmt.Errorf("bind voip: %w", err)
	}
	return nil
}

// UnbindVoIP removes the VoIP token of user's binding of alertToken (the
// app turned calls off); the alert binding stays. Removing a VoIP token
// that is not there is not an error.
func (s *Store) UnbindVoIP(ctx context.Context, app, user string, certID int64, alertToken string) error {
	if err := checkBinding(app, user, certID, alertToken); err != nil {
		return err
	}
	key := s.tokKey(app, member(certID, alertToken))
	h, err := s.rdb.HMGet(ctx, key, "user", "voip").Result()
	if err != nil {
		return fmt.Errorf("unbind voip: %w", err)
	}
	owner, _ := h[0].(string)
	voip, _ := h[1].(string)
	if owner != user || voip == "" {
		return nil
	}
	if err := s.scripts.dropVoIP.Run(ctx, s.rdb, []string{key}, voip, "").Err(); err != nil {
		return fmt.Errorf("unbind voip: %w", err)
	}
	return nil
}

// removeInvalidVoIP removes token from the binding it is the VoIP token
// of, unless it was reported again after since (0: unconditionally).
func (s *Store) removeInvalidVoIP(ctx context.Context, app string, certID int64, token string, since int64) (bool, error) {
	m, err := s.rdb.Get(ctx, s.vixKey(app, certID, token)).Result()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("remove invalid voip token: %w", err)
	}
	arg := ""
	if since > 0 {
		arg = strconv.FormatInt(since, 10)
	}
	n, err := s.scripts.dropVoIP.Run(ctx, s.rdb, []string{s.tokKey(app, m)}, token, arg).Int()
	if err != nil {
		return false, fmt.Errorf("remove invalid voip token: %w", err)
	}
	return n == 1, nil
}

// expireVoIP drops from b a VoIP token not reported for the store's
// BindingTTL: it lives from its own report as a binding does, and its
// index entry (vixKey) expires at the same time, so a dead VoIP token can
// always be found again by RemoveInvalid while it is pushed. iOS hands
// the app its PushKit token at every launch, so a live device re-reports
// it long before.
func (s *Store) expireVoIP(b *Binding, h map[string]string, now time.Time) {
	if b.VoIPToken != "" && now.Sub(msField(h, "voip_at")) > s.bindTTL {
		b.VoIPToken = ""
	}
}

// voipOf returns the VoIP token stored in a binding hash.
func voipOf(h map[string]string) string { return h["voip"] }

// sinceMillis is RemoveInvalid's cutoff in unix ms, 0 for none.
func sinceMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return max(t.UnixMilli(), 1)
}
