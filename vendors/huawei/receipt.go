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
func ParseReceipts(req vendors.ReceiptRequest) ([]vendors.Receipt, error) {
	return hms.ParseReceipts(vendors.Huawei, req, CallbackHeader)
}

// CallbackSignature is the signature Huawei puts in CallbackHeader.
func CallbackSignature(timestamp, nonce, user string, secret []byte) string {
	return hms.CallbackSignature(timestamp, nonce, user, secret)
}

// ReceiptReply is the answer Huawei expects.
func ReceiptReply(err error) (int, any) { return hms.ReceiptReply(err) }
