package vendorhttp

import "github.com/pushd/pushd/vendors"

// ValidateUnsupported is the result of a validate-only notification
// (vendors.Notification.ValidateOnly) on a vendor with no validation mode
// and no auth call of its own (APNs, Xiaomi, Meizu): nothing is sent, and
// every token fails with vendors.CodeValidateUnsupported, so a check that
// could not be made never reads as passed.
func ValidateUnsupported(v vendors.Vendor, tokens []string) []vendors.Result {
	return vendors.Fail(tokens, &vendors.Error{Vendor: v, Kind: vendors.Rejected, Code: vendors.CodeValidateUnsupported,
		Message: string(v) + " has no validate-only mode and authenticates only with a send: nothing was sent (--dry-run shows the request)"})
}

// Authenticated is the result of a validate-only notification on a vendor
// with no validation mode but an auth call of its own (Honor, OPPO): the
// adapter obtained an access token, or failed to with err, and sent
// nothing. Each token is OK, with no message id, when err is nil.
func Authenticated(tokens []string, err error) []vendors.Result {
	if err != nil {
		return vendors.Fail(tokens, err)
	}
	rs := make([]vendors.Result, len(tokens))
	for i, t := range tokens {
		rs[i] = vendors.Result{Token: t}
	}
	return rs
}
