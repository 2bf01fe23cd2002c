package vendorhttp

import (
	"errors"
	"testing"

	"github.com/pushd/pushd/vendors"
)

func TestValidateOnlyResults(t *testing.T) {
	tokens := []string{"a", "b"}
	for _, r := range ValidateUnsupported(vendors.Xiaomi, tokens) {
		if vendors.KindOf(r.Err) != vendors.Rejected || vendors.CodeOf(r.Err) != vendors.CodeValidateUnsupported {
			t.Errorf("unsupported %s: %v", r.Token, r.Err)
		}
	}
	rs := Authenticated(tokens, nil)
	if len(rs) != 2 || rs[0].Token != "a" || rs[1].Token != "b" || rs[0].Err != nil || rs[1].MessageID != "" {
		t.Errorf("authenticated: %+v", rs)
	}
	refused := &vendors.Error{Vendor: vendors.OPPO, Kind: vendors.Auth, Code: "11"}
	for _, r := range Authenticated(tokens, refused) {
		if !errors.Is(r.Err, refused) {
			t.Errorf("auth refusal lost on %s: %v", r.Token, r.Err)
		}
	}
}
