package huawei

import (
	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// Message receipts: the address is configured in AppGallery Connect, the
// message carries android.bi_tag, and the receipts are read and verified
// as internal/hms reads HMS receipts [HWDOC push-msg-receipt].

// CallbackHeader carries the receipt signature.
const CallbackHeader = "X-HUAWEI-CALLBACK-ID"

// ParseReceipts verifies a receipt POST and returns its receipts, with the
// biTag as each receipt's Param (the caller verifies it).
//
// The receipt states of a dead token are token_invalid: 2, the app is not
// installed (uninstalled), and 5, the token does not exist on the device
// (it belongs to another Android user; the app must be installed again to
// get one) [HWDOC push-receipt, "Receipt State"; the archived v3 guide
// recommends filtering 2, 5, 6, 10 and 201]. 6 (notifications off), 10
// (inactive device) and 201 (sending controlled) stay undelivered: the
// token may still deliver later.
func ParseReceipts(req vendors.ReceiptRequest) ([]vendors.Receipt, error) {
	rcs, err := hms.ParseReceipts(vendors.Huawei, req, CallbackHeader)
	for i := range rcs {
		if rcs[i].Kind == vendors.ReceiptUndelivered && deadToken(rcs[i].Code) {
			rcs[i].Kind = vendors.ReceiptTokenInvalid
		}
	}
	return rcs, err
}

// deadToken reports whether a receipt state says the token is dead.
func deadToken(state string) bool { return state == "2" || state == "5" }

// CallbackSignature is the signature Huawei puts in CallbackHeader.
func CallbackSignature(timestamp, nonce, user string, secret []byte) string {
	return hms.CallbackSignature(timestamp, nonce, user, secret)
}

// ReceiptReply is the answer Huawei expects.
func ReceiptReply(err error) (int, any) { return hms.ReceiptReply(err) }
