package honor

import (
	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// Descriptor is what pushd knows about Honor: vendors/registry lists it.
// hms.Describe adds what Honor shares with Huawei: Android, the badge,
// replacement by notifyId, the batch of 1000 tokens, the 4096-byte
// payload (taken as Huawei's [vendor-protocols.md §8, UNCERTAIN]) and the
// required AppID, OAuth client id and client secret.
func Descriptor() vendors.Descriptor {
	return hms.Describe(vendors.Descriptor{
		Fields:  []vendors.FieldSpec{hms.BadgeClassField(), hms.ImportanceField()},
		Ext:     vendors.ExtSpec{Placement: "data and click intent extras", Limit: 1536},
		Options: vendors.AndroidKeys{Importance: "honor_importance", Image: "honor_image", PushStyle: "push_style", BadgeAdd: true},
		Silent:  "importance LOW", CollapseField: "notification.tag, notifyId",
		// Delivery receipts, signed like Huawei's (internal/hms/receipt.go).
		Receipts: &vendors.ReceiptSpec{Signed: true, Parse: ParseReceipts, Reply: ReceiptReply},
	}, vendor(), New)
}
