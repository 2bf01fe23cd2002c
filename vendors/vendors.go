// Package vendors is the contract between the dispatcher and the push
// vendors: the Notification a vendor adapter delivers, the Sender interface
// every adapter implements, the Result of a send and the Kind that classifies
// every vendor answer. Adapters live in the sub-packages (vendors/apns,
// vendors/fcm, …); loopback fakes of every vendor live in vendors/fake.
package vendors

import (
	"fmt"
	"sort"
	"strings"
)

// Vendor names one push service.
type Vendor string

// The vendors pushd delivers through.
const (
	APNs   Vendor = "apns"
	FCM    Vendor = "fcm"
	Xiaomi Vendor = "xiaomi"
	Huawei Vendor = "huawei"
	Honor  Vendor = "honor"
	OPPO   Vendor = "oppo"
	Vivo   Vendor = "vivo"
	Meizu  Vendor = "meizu"
)

// All lists every registered vendor (vendors/registry), in display order.
func All() []Vendor {
	ds := Descriptors()
	out := make([]Vendor, len(ds))
	for i, d := range ds {
		out[i] = d.Name
	}
	return out
}

// Valid reports whether v is a registered vendor.
func (v Vendor) Valid() bool { _, ok := Lookup(v); return ok }

// Android reports whether v delivers to Android devices only.
func (v Vendor) Android() bool { d, ok := Lookup(v); return ok && d.Android }

// ParseVendor returns the Vendor named s (case-insensitive) or an error that
// lists the valid names.
func ParseVendor(s string) (Vendor, error) {
	v := Vendor(strings.ToLower(strings.TrimSpace(s)))
	if v.Valid() {
		return v, nil
	}
	names := make([]string, 0, len(All()))
	for _, k := range All() {
		names = append(names, string(k))
	}
	sort.Strings(names)
	return "", fmt.Errorf("unknown vendor %q (want one of %s)", s, strings.Join(names, ", "))
}
