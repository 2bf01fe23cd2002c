package vendors

import (
	"os"
	"testing"
)

// TestMain installs stand-ins of the eight vendors: this package cannot
// import vendors/registry (which imports it), and its helpers read the
// catalog.
func TestMain(m *testing.M) {
	var ds []Descriptor
	for _, v := range []Vendor{APNs, FCM, Xiaomi, Huawei, Honor, OPPO, Vivo, Meizu} {
		ds = append(ds, Descriptor{Name: v, Android: v != APNs && v != FCM, Ext: ExtSpec{Limit: 2000}, Build: nopBuild})
	}
	Install(ds...)
	os.Exit(m.Run())
}

func nopBuild(*Credential, Endpoint) (Sender, error) { return nil, nil }

func TestRegister(t *testing.T) {
	before := MaxExt()
	undo := Register(Descriptor{Name: "nokia", Android: true, Ext: ExtSpec{Limit: 100}, Build: nopBuild})
	if !Vendor("nokia").Valid() || !Vendor("nokia").Android() || MaxExt() != 100 {
		t.Fatalf("registered vendor: valid %v, MaxExt %d", Vendor("nokia").Valid(), MaxExt())
	}
	if _, err := ParseVendor("NOKIA"); err != nil {
		t.Fatalf("ParseVendor: %v", err)
	}
	undo()
	if Vendor("nokia").Valid() || MaxExt() != before {
		t.Fatalf("unregistered vendor still valid, MaxExt %d", MaxExt())
	}
	for _, bad := range []Descriptor{{Name: APNs, Build: nopBuild}, {Name: "Bad Name", Build: nopBuild}, {Name: "nobuilder"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", bad.Name)
				}
			}()
			Register(bad)
		}()
	}
}

func TestAuthURL(t *testing.T) {
	e := Endpoints{Auth: "https://oauth.example.com", AuthPath: "/oauth2/v3/token"}
	cases := []struct{ in, want string }{
		{"", "https://oauth.example.com/oauth2/v3/token"},
		{"https://proxy.example/", "https://proxy.example/oauth2/v3/token"},
		{"https://proxy.example/oauth2/v3/token", "https://proxy.example/oauth2/v3/token"},
	}
	for _, c := range cases {
		if got := e.AuthURL(c.in); got != c.want {
			t.Errorf("AuthURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestExtCost(t *testing.T) {
	cases := []struct {
		ext  string
		want int
	}{{"abc", 3}, {`"`, 2}, {"<", 6}, {"é", 2}, {"", 0}}
	for _, c := range cases {
		if got := ExtCost(c.ext); got != c.want {
			t.Errorf("ExtCost(%q) = %d, want %d", c.ext, got, c.want)
		}
	}
}
