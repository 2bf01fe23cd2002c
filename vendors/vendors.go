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

// All lists every vendor pushd knows, in display order.
func All() []Vendor {
	return []Vendor{APNs, FCM, Xiaomi, Huawei, Honor, OPPO, Vivo, Meizu}
}

// Valid reports whether v is one of the vendors in All.
func (v Vendor) Valid() bool {
	for _, k := range All() {
		if v == k {
			return true
		}
	}
	return false
}

// Android reports whether v delivers to Android devices only.
func (v Vendor) Android() bool { return v.Valid() && v != APNs && v != FCM }

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
