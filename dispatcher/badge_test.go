package dispatcher

import (
	"fmt"
	"testing"
)

func badgeOf(ds []Delivery, cert int64) string {
	for _, d := range ds {
		if d.CertID == cert {
			if d.Notif.Badge == nil {
				return "none"
			}
			return fmt.Sprint(*d.Notif.Badge)
		}
	}
	return "not delivered"
}

func TestResolveBadge(t *testing.T) {
	cases := []struct {
		name string
		seed string
		edit func(j *Job)
		// want is the badge on APNs, Huawei and Xiaomi for two messages in
		// a row after a background report of 5 unread.
		want [2][3]string
	}{
		{"each push raises the badge", "L27221", func(j *Job) {}, [2][3]string{{"6", "6", "none"}, {"7", "7", "none"}}},
		{"ignore_ios_badge", "L5066", func(j *Job) { j.OfflinePush.IgnoreIOSBadge = true }, [2][3]string{{"none", "none", "none"}, {"none", "none", "none"}}},
		{"excluded from unread", "L3277", func(j *Job) { j.ExcludedFromUnread = true }, [2][3]string{{"none", "none", "none"}, {"none", "none", "none"}}},
		{"badge_add raises by N", "BadgeAddNum", func(j *Job) { j.OfflinePush.BadgeAdd = intp(3) }, [2][3]string{{"8", "8", "none"}, {"11", "11", "none"}}},
		{"badge_set sets", "BadgeSetNum", func(j *Job) { j.OfflinePush.BadgeSet = intp(20) }, [2][3]string{{"20", "20", "none"}, {"20", "20", "none"}}},
		{"badge_set wins over badge_add", "BadgeSetNum", func(j *Job) { j.OfflinePush.BadgeSet, j.OfflinePush.BadgeAdd = intp(0), intp(9) },
			[2][3]string{{"0", "0", "none"}, {"0", "0", "none"}}},
		{"badge_add wins over BadgeMode 1", "BadgeAddNum", func(j *Job) { j.OfflinePush.IgnoreIOSBadge, j.OfflinePush.BadgeAdd = true, intp(2) },
			[2][3]string{{"7", "7", "none"}, {"9", "9", "none"}}},
		{"badge_set counts when excluded from unread", "BadgeSetNum", func(j *Job) { j.ExcludedFromUnread, j.OfflinePush.BadgeSet = true, intp(4) },
			[2][3]string{{"4", "4", "none"}, {"4", "4", "none"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newRsvEnv(t)
			for _, b := range []struct {
				cert  int64
				token string
			}{{rsvAPNs, "ios"}, {rsvHuawei, "hw"}, {rsvXiaomi, "mi"}} {
				e.bind(t, "vinson", b.cert, b.token)
				if err := e.store.Background(e.ctx, rsvApp, "vinson", b.cert, b.token, 5); err != nil {
					t.Fatal(err)
				}
			}
			for round := range 2 {
				j := rsvJob()
				j.MsgID = fmt.Sprintf("%s-%d", j.MsgID, round)
				tc.edit(j)
				// The second resolution of the same message (a re-run after
				// a crash, a replay) decides the same badges as the first.
				for range 2 {
					ds, _, err := e.r.Resolve(e.ctx, j)
					if err != nil {
						t.Fatal(err)
					}
					got := [3]string{badgeOf(ds, rsvAPNs), badgeOf(ds, rsvHuawei), badgeOf(ds, rsvXiaomi)}
					if got != tc.want[round] {
						t.Errorf("seed %s: message %d badges (apns, huawei, xiaomi) = %v, want %v", tc.seed, round+1, got, tc.want[round])
					}
				}
			}
		})
	}
	t.Run("foreground resets", func(t *testing.T) {
		e := newRsvEnv(t)
		e.bind(t, "vinson", rsvAPNs, "ios")
		if err := e.store.Background(e.ctx, rsvApp, "vinson", rsvAPNs, "ios", 5); err != nil {
			t.Fatal(err)
		}
		if err := e.store.Foreground(e.ctx, rsvApp, "vinson", rsvAPNs, "ios"); err != nil {
			t.Fatal(err)
		}
		if err := e.store.Background(e.ctx, rsvApp, "vinson", rsvAPNs, "ios", 0); err != nil {
			t.Fatal(err)
		}
		ds, _, err := e.r.Resolve(e.ctx, rsvJob())
		if err != nil || badgeOf(ds, rsvAPNs) != "1" {
			t.Errorf("badge after foreground and background(0) = %s, %v; want 1", badgeOf(ds, rsvAPNs), err)
		}
	})
}

// A Huawei or Honor binding that never reported background or foreground
// gets no counted badge (its app does not report its unread count, so the
// count would only grow); an APNs binding in the same state counts from 0.
func TestNeverReportedAndroidBadge(t *testing.T) {
	e := newRsvEnv(t)
	e.bind(t, "vinson", rsvAPNs, "ios")
	e.bind(t, "vinson", rsvHuawei, "hw")
	for round, want := range [][2]string{{"1", "none"}, {"2", "none"}} {
		j := rsvJob()
		j.MsgID = fmt.Sprintf("never-%d", round)
		ds, _, err := e.r.Resolve(e.ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		if got := [2]string{badgeOf(ds, rsvAPNs), badgeOf(ds, rsvHuawei)}; got != want {
			t.Errorf("message %d: badges (apns, huawei) = %v, want %v", round+1, got, want)
		}
	}
	// Once Huawei reports background, its badge counts.
	if err := e.store.Background(e.ctx, rsvApp, "vinson", rsvHuawei, "hw", 4); err != nil {
		t.Fatal(err)
	}
	j := rsvJob()
	j.MsgID = "never-after-report"
	ds, _, err := e.r.Resolve(e.ctx, j)
	if err != nil {
		t.Fatal(err)
	}
	if got := badgeOf(ds, rsvHuawei); got != "5" {
		t.Errorf("after a background report of 4: huawei badge %s, want 5", got)
	}
}

func intp(v int) *int { return &v }

// A badge_set sets the stored count, so the next message counts from it;
// a never-reported Huawei binding, whose count pushd does not keep, gets
// badge_add as the device's own increment (add_num) and badge_set as is.
func TestBadgeSetThenCount(t *testing.T) {
	e := newRsvEnv(t)
	e.bind(t, "vinson", rsvAPNs, "ios")
	e.bind(t, "vinson", rsvHuawei, "hw")
	if err := e.store.Background(e.ctx, rsvApp, "vinson", rsvAPNs, "ios", 5); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		msg        string
		edit       func(j *Job)
		apns, hw   string
		hwBadgeAdd string
	}{
		{"set", func(j *Job) { j.OfflinePush.BadgeSet = intp(40) }, "40", "40", "none"},
		{"count", func(j *Job) {}, "41", "none", "none"},
		{"add", func(j *Job) { j.OfflinePush.BadgeAdd = intp(4) }, "45", "none", "4"},
	}
	for _, s := range steps {
		j := rsvJob()
		j.MsgID = "set-then-" + s.msg
		s.edit(j)
		ds, _, err := e.r.Resolve(e.ctx, j)
		if err != nil {
			t.Fatal(err)
		}
		add := "none"
		for _, d := range ds {
			if d.CertID == rsvHuawei && d.Notif.BadgeAdd != nil {
				add = fmt.Sprint(*d.Notif.BadgeAdd)
			}
		}
		if got := [3]string{badgeOf(ds, rsvAPNs), badgeOf(ds, rsvHuawei), add}; got != [3]string{s.apns, s.hw, s.hwBadgeAdd} {
			t.Errorf("%s: badges (apns, huawei set, huawei add) = %v, want %v", s.msg, got, [3]string{s.apns, s.hw, s.hwBadgeAdd})
		}
	}
}
