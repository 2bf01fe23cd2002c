package hms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
)

func TestBadgeOf(t *testing.T) {
	cases := []struct {
		name       string
		set, add   *int
		class      string
		want       *Badge
		wantSetNum int
	}{
		{"no class", vendors.IntPtr(3), nil, "", nil, 0},
		{"no badge", nil, nil, "C", nil, 0},
		{"set", vendors.IntPtr(3), nil, "C", &Badge{Class: "C"}, 3},
		{"set clamped high", vendors.IntPtr(500), nil, "C", &Badge{Class: "C"}, MaxBadge},
		{"set clamped low", vendors.IntPtr(-2), nil, "C", &Badge{Class: "C"}, 0},
		{"set wins over add", vendors.IntPtr(1), vendors.IntPtr(5), "C", &Badge{Class: "C"}, 1},
		{"add", nil, vendors.IntPtr(5), "C", &Badge{AddNum: 5, Class: "C"}, -1},
		{"add clamped", nil, vendors.IntPtr(500), "C", &Badge{AddNum: MaxBadge, Class: "C"}, -1},
		{"add zero", nil, vendors.IntPtr(0), "C", nil, 0},
	}
	for _, c := range cases {
		got := BadgeOf(&vendors.Notification{Badge: c.set, BadgeAdd: c.add}, c.class)
		switch {
		case (got == nil) != (c.want == nil):
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		case got == nil:
		case got.AddNum != c.want.AddNum || got.Class != c.want.Class:
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		case c.wantSetNum >= 0 && (got.SetNum == nil || *got.SetNum != c.wantSetNum):
			t.Errorf("%s: setNum %v, want %d", c.name, got.SetNum, c.wantSetNum)
		case c.wantSetNum < 0 && got.SetNum != nil:
			t.Errorf("%s: setNum %d with an add", c.name, *got.SetNum)
		}
	}
}

func TestNotificationOf(t *testing.T) {
	s := Settings{Importance: "NORMAL", BadgeClass: "C", Click: vendors.Click{Action: vendors.ClickURL, Target: "https://x"}}
	cases := []struct {
		name string
		n    vendors.Notification
		want Notification
	}{
		{"certificate importance, URL click", vendors.Notification{Title: "t", Body: "b"},
			Notification{Title: "t", Body: "b", Importance: "NORMAL", Click: ClickAction{Type: ClickURL, URL: "https://x"}}},
		{"job importance", vendors.Notification{Android: vendors.AndroidOptions{Importance: "LOW"}},
			Notification{Importance: "LOW", Click: ClickAction{Type: ClickURL, URL: "https://x"}}},
		{"silent", vendors.Notification{Silent: true, Android: vendors.AndroidOptions{Importance: "NORMAL"}},
			Notification{Importance: ImportanceSilent, Click: ClickAction{Type: ClickURL, URL: "https://x"}}},
		{"big text and image", vendors.Notification{Title: "t", Body: "b", Image: "https://i", Android: vendors.AndroidOptions{BigText: true}},
			Notification{Title: "t", Body: "b", Importance: "NORMAL", Click: ClickAction{Type: ClickURL, URL: "https://x"},
				Image: "https://i", Style: StyleBigText, BigTitle: "t", BigBody: "b"}},
	}
	for _, c := range cases {
		got := NotificationOf(&c.n, s)
		if got.Badge != nil || got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	call := vendors.Notification{ID: "cancel-1", Replaces: "call-1"}
	if got := NotificationOf(&call, s); got.Tag != "call-1" || got.NotifyID != vendors.NotifyID("call-1") {
		t.Errorf("a cancel does not replace its call: %+v", got)
	}
}

func TestTTLAndBiTag(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		expire time.Time
		want   string
	}{
		{time.Time{}, ""},
		{now.Add(90 * time.Second), "90s"},
		{now.AddDate(0, 1, 0), "1296000s"},
	}
	for _, c := range cases {
		if got := TTL(&vendors.Notification{ExpireAt: c.expire}, now); got != c.want {
			t.Errorf("expire %v: %q, want %q", c.expire, got, c.want)
		}
	}
	if BiTag(&vendors.Notification{}) != "" || BiTag(&vendors.Notification{Callback: &vendors.Callback{Param: "p"}}) != "p" {
		t.Error("biTag is not the callback parameter")
	}
}

func TestSettingsOfNamesTheVendorAndRunsTheCheck(t *testing.T) {
	cred := &vendors.Credential{ID: 7, Fields: map[string]string{vendors.FieldAppID: "a", vendors.FieldImportance: "LOW"}}
	s, err := SettingsOf(vendors.Honor, cred, nil)
	if err != nil || s.AppID != "a" || s.Importance != "LOW" {
		t.Fatalf("%+v, %v", s, err)
	}
	no := errors.New("refused")
	_, err = SettingsOf(vendors.Huawei, cred, func(vendors.Click) error { return no })
	if !errors.Is(err, no) || !strings.HasPrefix(err.Error(), "huawei certificate 7: ") {
		t.Fatalf("check error %v", err)
	}
}

func TestReadCode(t *testing.T) {
	type answer struct {
		Code *vendorhttp.FlexString `json:"code"`
	}
	cases := []struct {
		body string
		code string
		ok   bool
	}{
		{`{"code":"80000000"}`, "80000000", true},
		{`{"code":200}`, "200", true},
		{`{"code":" 81000001 "}`, "81000001", true},
		{`{"msg":"no code"}`, "", false},
		{`<html>`, "", false},
	}
	for _, c := range cases {
		var r answer
		code, ok := ReadCode([]byte(c.body), &r, &r.Code)
		if code != c.code || ok != c.ok {
			t.Errorf("%s: %q %v, want %q %v", c.body, code, ok, c.code, c.ok)
		}
	}
}

func TestDescribeListsTheFieldsOpenRequires(t *testing.T) {
	cases := []struct {
		v    Vendor
		want []string
	}{
		{Vendor{Name: vendors.Huawei, ClientID: vendors.FieldAppID, Secret: vendors.SecretAppSecret},
			[]string{vendors.FieldAppID, vendors.SecretAppSecret, vendors.FieldBadgeClass}},
		{Vendor{Name: vendors.Honor, ClientID: vendors.FieldClientID, Secret: vendors.SecretClientSecret},
			[]string{vendors.FieldAppID, vendors.FieldClientID, vendors.SecretClientSecret, vendors.FieldBadgeClass}},
	}
	for _, c := range cases {
		d := Describe(vendors.Descriptor{Fields: []vendors.FieldSpec{BadgeClassField()}}, c.v, nil)
		var got []string
		for _, f := range d.Fields {
			got = append(got, f.Name)
			if f.Name != vendors.FieldBadgeClass && !f.Required {
				t.Errorf("%s: %s not required", c.v.Name, f.Name)
			}
		}
		if d.Name != c.v.Name || strings.Join(got, ",") != strings.Join(c.want, ",") || d.Batch != MaxBatch || !d.Badge {
			t.Errorf("%s: %s %v batch %d", c.v.Name, d.Name, got, d.Batch)
		}
		// Open refuses a certificate without the secret Describe lists.
		cred := &vendors.Credential{Vendor: c.v.Name, Fields: map[string]string{vendors.FieldAppID: "a", vendors.FieldClientID: "c"}}
		if _, err := Open(c.v, cred, vendors.Endpoint{}); err == nil || !strings.Contains(err.Error(), c.v.Secret) {
			t.Errorf("%s: Open without the secret: %v", c.v.Name, err)
		}
	}
}
