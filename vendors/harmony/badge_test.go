package harmony

import (
	"testing"

	"github.com/pushd/pushd/vendors"
)

// The badge is set when pushd counts it, added on the device (addNum)
// when it does not, capped at Push Kit's 99 either way.
func TestBadgeOf(t *testing.T) {
	cases := []struct {
		name     string
		set, add *int
		want     *badge
	}{
		{"none", nil, nil, nil},
		{"set", vendors.IntPtr(5), nil, &badge{SetNum: vendors.IntPtr(5)}},
		{"set wins over add", vendors.IntPtr(5), vendors.IntPtr(2), &badge{SetNum: vendors.IntPtr(5)}},
		{"set capped", vendors.IntPtr(500), nil, &badge{SetNum: vendors.IntPtr(99)}},
		{"add", nil, vendors.IntPtr(3), &badge{AddNum: 3}},
		{"add capped", nil, vendors.IntPtr(150), &badge{AddNum: 99}},
	}
	for _, c := range cases {
		got := badgeOf(&vendors.Notification{Badge: c.set, BadgeAdd: c.add})
		switch {
		case got == nil || c.want == nil:
			if got != c.want {
				t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
			}
		case got.AddNum != c.want.AddNum || (got.SetNum == nil) != (c.want.SetNum == nil) || (got.SetNum != nil && *got.SetNum != *c.want.SetNum):
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}
