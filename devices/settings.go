package devices

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	// Embedded zone data: DND time zones must resolve on hosts and
	// containers without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/vendors"
)

// Values of the global push switch, the seed's openPush (L27312): 0 in a
// patch leaves the switch unchanged.
const (
	PushUnchanged = 0
	PushOn        = 1
	PushOff       = 2
)

// Settings is a user's push state: the global switch (on unless turned
// off), the iOS sounds for one-to-one and group messages ("" = the
// default sound), the do-not-disturb window and the locale of the
// generated text ("" = the app's), and the preview mode of the user's
// notifications ("" = the app's; a conversation's preview wins over it).
type Settings struct {
	Push       int             `json:"push"`
	C2CSound   string          `json:"c2c_sound,omitempty"`
	GroupSound string          `json:"group_sound,omitempty"`
	DND        *DND            `json:"dnd,omitempty"`
	Locale     string          `json:"locale,omitempty"`
	Preview    vendors.Preview `json:"preview,omitempty"`
}

// PushEnabled reports whether the global switch is on.
func (s Settings) PushEnabled() bool { return s.Push != PushOff }

// SettingsPatch changes some settings and leaves the rest alone: Push 0
// and nil pointers mean unchanged; an empty sound, locale or preview
// restores the default; a DND with neither start nor duration turns it off.
type SettingsPatch struct {
	Push       int     `json:"push,omitempty"`
	C2CSound   *string `json:"c2c_sound,omitempty"`
	GroupSound *string `json:"group_sound,omitempty"`
	DND        *DND    `json:"dnd,omitempty"`
	Locale     *string `json:"locale,omitempty"`
	// Preview is full, sender_only, hidden or id_only.
	Preview *string `json:"preview,omitempty"`
}

// DND is a daily do-not-disturb window: from Start (local "HH:MM" in TZ)
// for Duration, possibly across midnight. Pushes inside it are dropped.
type DND struct {
	Start    string   `json:"start"`
	Duration Duration `json:"duration"`
	// TZ is an IANA zone name ("Asia/Shanghai"); "" means UTC.
	TZ string `json:"tz,omitempty"`
}

// Duration is a whole number of minutes. In JSON it is a number of
// minutes (480) or a Go duration string ("8h"); it is written as minutes.
type Duration time.Duration

// UnmarshalJSON accepts minutes or a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %q: want minutes or a Go duration such as \"8h30m\"", s)
		}
		*d = Duration(v)
		return nil
	}
	var m int64
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("duration %s: want minutes or a Go duration such as \"8h30m\"", b)
	}
	if m < 0 || m > 100000 {
		return fmt.Errorf("duration %d minutes is out of range", m)
	}
	*d = Duration(time.Duration(m) * time.Minute)
	return nil
}

// MarshalJSON writes whole minutes.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(int64(time.Duration(d)/time.Minute), 10)), nil
}

// off reports whether d is the "turn DND off" form of a patch.
func (d *DND) off() bool { return d.Start == "" && d.Duration == 0 }

// Validate checks the window, naming the field at fault.
func (d *DND) Validate() error {
	if _, _, err := d.clock(); err != nil {
		return err
	}
	switch v := time.Duration(d.Duration); {
	case v < time.Minute || v > 24*time.Hour:
		return fieldErr("dnd.duration", "must be between 1 minute and 24 hours, got %s", v)
	case v%time.Minute != 0:
		return fieldErr("dnd.duration", "must be whole minutes, got %s", v)
	}
	if _, err := d.location(); err != nil {
		return err
	}
	return nil
}

func (d *DND) clock() (hour, minute int, err error) {
	h, m, ok := strings.Cut(d.Start, ":")
	if ok && len(h) == 2 && len(m) == 2 {
		hour, err1 := strconv.Atoi(h)
		minute, err2 := strconv.Atoi(m)
		if err1 == nil && err2 == nil && hour >= 0 && hour < 24 && minute >= 0 && minute < 60 {
			return hour, minute, nil
		}
	}
	return 0, 0, fieldErr("dnd.start", "want a local time \"HH:MM\" (00:00 to 23:59), got %q", d.Start)
}

func (d *DND) location() (*time.Location, error) {
	if d.TZ == "" {
		return time.UTC, nil
	}
	// LoadLocation also accepts "Local" and paths; only IANA names are
	// meaningful for a user's window.
	if d.TZ == "Local" || strings.HasPrefix(d.TZ, "/") || strings.Contains(d.TZ, "..") {
		return nil, fieldErr("dnd.tz", "want an IANA time zone name such as Asia/Shanghai, got %q", d.TZ)
	}
	loc, err := time.LoadLocation(d.TZ)
	if err != nil {
		return nil, fieldErr("dnd.tz", "unknown IANA time zone %q", d.TZ)
	}
	return loc, nil
}

// Active reports whether t falls inside the window. The window that
// started yesterday is checked too, since it may run past midnight; start
// times are taken on the local calendar, so a DST change moves the window
// with the wall clock. An invalid window is never active.
func (d *DND) Active(t time.Time) bool {
	if d == nil || d.Validate() != nil {
		return false
	}
	loc, _ := d.location()
	hour, minute, _ := d.clock()
	lt := t.In(loc)
	for _, back := range []int{0, -1} {
		start := time.Date(lt.Year(), lt.Month(), lt.Day()+back, hour, minute, 0, 0, loc)
		if !t.Before(start) && t.Before(start.Add(time.Duration(d.Duration))) {
			return true
		}
	}
	return false
}

// Settings hash fields.
const (
	fPush       = "push"
	fC2CSound   = "c2c_sound"
	fGroupSound = "group_sound"
	fDND        = "dnd"
	fLocale     = "locale"
	fPreview    = "preview"
)

// GetSettings returns user's settings; a user who never set any has the
// defaults (push on).
func (s *Store) GetSettings(ctx context.Context, app, user string) (Settings, error) {
	if err := checkUser(app, user); err != nil {
		return Settings{}, err
	}
	h, err := s.rdb.HGetAll(ctx, s.usrKey(app, user)).Result()
	if err != nil {
		return Settings{}, fmt.Errorf("get settings: %w", err)
	}
	return parseSettings(h), nil
}

// PutSettings applies patch and returns the resulting settings. An invalid
// patch changes nothing and returns a *FieldError.
func (s *Store) PutSettings(ctx context.Context, app, user string, patch SettingsPatch) (Settings, error) {
	if err := checkUser(app, user); err != nil {
		return Settings{}, err
	}
	set, del, err := patch.changes()
	if err != nil {
		return Settings{}, err
	}
	key := s.usrKey(app, user)
	var all *redis.MapStringStringCmd
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		if len(set) > 0 {
			p.HSet(ctx, key, set)
		}
		if len(del) > 0 {
			p.HDel(ctx, key, del...)
		}
		all = p.HGetAll(ctx, key)
		return nil
	})
	if err != nil {
		return Settings{}, fmt.Errorf("put settings: %w", err)
	}
	return parseSettings(all.Val()), nil
}

// changes validates the patch and returns the fields to set and delete.
func (p SettingsPatch) changes() (set map[string]any, del []string, err error) {
	set = map[string]any{}
	switch p.Push {
	case PushUnchanged:
	case PushOn, PushOff:
		set[fPush] = strconv.Itoa(p.Push)
	default:
		return nil, nil, fieldErr("push", "must be 0 (unchanged), 1 (on) or 2 (off), got %d", p.Push)
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{fC2CSound, p.C2CSound, MaxSoundBytes}, {fGroupSound, p.GroupSound, MaxSoundBytes}, {fLocale, p.Locale, MaxLocaleBytes}} {
		switch {
		case f.v == nil:
		case *f.v == "":
			del = append(del, f.name)
		default:
			if err := checkText(f.name, *f.v, f.max, false); err != nil {
				return nil, nil, err
			}
			set[f.name] = *f.v
		}
	}
	if p.Locale != nil && *p.Locale != "" && !validLocaleTag(*p.Locale) {
		return nil, nil, fieldErr("locale", "want a language tag such as en or zh-Hans, got %q", *p.Locale)
	}
	if p.Preview != nil {
		if err := checkPreview("preview", *p.Preview); err != nil {
			return nil, nil, err
		}
		if *p.Preview == "" {
			del = append(del, fPreview)
		} else {
			set[fPreview] = *p.Preview
		}
	}
	if p.DND != nil {
		if p.DND.off() {
			del = append(del, fDND)
		} else {
			if err := p.DND.Validate(); err != nil {
				return nil, nil, err
			}
			b, _ := json.Marshal(p.DND)
			set[fDND] = string(b)
		}
	}
	return set, del, nil
}

func validLocaleTag(s string) bool {
	for i, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '_' }) {
		if len(part) == 0 || len(part) > 8 || (i == 0 && (len(part) < 2 || len(part) > 3)) {
			return false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return !strings.HasPrefix(s, "-") && !strings.HasSuffix(s, "-") && !strings.Contains(s, "--")
}

func parseSettings(h map[string]string) Settings {
	st := Settings{Push: PushOn, C2CSound: h[fC2CSound], GroupSound: h[fGroupSound], Locale: h[fLocale],
		Preview: storedPreview(h[fPreview])}
	if h[fPush] == strconv.Itoa(PushOff) {
		st.Push = PushOff
	}
	if raw := h[fDND]; raw != "" {
		var d DND
		// A window stored by PutSettings was validated; should one be
		// unreadable anyway, ignoring it errs on the side of pushing.
		if json.Unmarshal([]byte(raw), &d) == nil && d.Validate() == nil {
			st.DND = &d
		}
	}
	return st
}

// checkPreview refuses a value that is not a preview mode ("" is allowed:
// it clears the setting).
func checkPreview(field, v string) error {
	if _, ok := vendors.ParsePreview(v); !ok {
		return fieldErr(field, "want full, sender_only, hidden or id_only (\"\" clears it), got %q", v)
	}
	return nil
}

// storedPreview reads a stored preview; one that is unreadable anyway
// counts as unset (the app's mode applies).
func storedPreview(v string) vendors.Preview {
	p, _ := vendors.ParsePreview(v)
	return p
}
