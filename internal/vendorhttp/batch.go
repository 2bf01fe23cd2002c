package vendorhttp

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/pushd/pushd/vendors"
)

// Batch is embedded by a sender that sends to at most Max tokens at once:
// it gives the Vendor and MaxBatch methods of vendors.Sender and the check
// of a send's size.
type Batch struct {
	V   vendors.Vendor
	Max int
}

// Vendor returns the sender's vendor.
func (b Batch) Vendor() vendors.Vendor { return b.V }

// MaxBatch returns the token limit of one send.
func (b Batch) MaxBatch() int { return b.Max }

// TooMany is the Rejected error of a send to more than Max tokens, or nil
// when they fit: the dispatcher splits batches by MaxBatch, so a larger
// one is the caller's bug and retrying it cannot help.
func (b Batch) TooMany(tokens []string) error {
	if len(tokens) <= b.Max {
		return nil
	}
	return &vendors.Error{Vendor: b.V, Kind: vendors.Rejected,
		Message: fmt.Sprintf("%d tokens exceed the batch limit of %d", len(tokens), b.Max)}
}

// Refused is the results of a send that must not go out, and true: none
// for no tokens, every token Rejected (TooMany) for more than Max. It is
// false when the send goes ahead.
func (b Batch) Refused(tokens []string) ([]vendors.Result, bool) {
	if len(tokens) == 0 {
		return nil, true
	}
	if err := b.TooMany(tokens); err != nil {
		return vendors.Fail(tokens, err), true
	}
	return nil, false
}

// Sized is the error of a DryRun of no tokens or more than Max, else nil.
func (b Batch) Sized(tokens []string) error {
	if len(tokens) == 0 || len(tokens) > b.Max {
		return fmt.Errorf("%s: %d tokens, want 1..%d", b.V, len(tokens), b.Max)
	}
	return nil
}

// MarshalUnescaped encodes v as JSON without HTML escaping and without the
// trailing newline, so a title's "<" and "&" are sent (and signed, and
// shown by DryRun) as they are.
func MarshalUnescaped(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
