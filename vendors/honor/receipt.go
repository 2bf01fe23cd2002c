package honor

import (
	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// Message receipts. Honor's API is a fork of Huawei's: the receipt address
// is configured in the Honor developer console and each message carries
// android.biTag, "returned to the app server with the message receipts"
// [HONORGO model.go AndroidConfig.BiTag; HONORDOC "查看消息回执"]. The
// receipts are read as Huawei's (internal/hms), and the signature header
// as Huawei's under Honor's name [UNCERTAIN: Honor's receipt page was not
// captured; both header names are accepted].

const (
	// CallbackHeader carries the receipt signature.
	CallbackHeader    = "X-HONOR-CALLBACK-ID"
	altCallbackHeader = "X-HUAWEI-CALLBACK-ID"
)

// ParseReceipts verifies a receipt POST and returns its receipts, with the
// biTag as each receipt's Param (the caller verifies it).
func ParseReceipts(req vendors.ReceiptRequest) ([]vendors.Receipt, error) {
	return hms.ParseReceipts(vendors.Honor, req, CallbackHeader, altCallbackHeader)
}

// CallbackSignature is the signature Honor puts in CallbackHeader.
func CallbackSignature(timestamp, nonce, user string, secret []byte) string {
	return hms.CallbackSignature(timestamp, nonce, user, secret)
}

// ReceiptReply is the answer Honor expects (as Huawei's: code "0").
func ReceiptReply(err error) (int, any) { return hms.ReceiptReply(err) }
