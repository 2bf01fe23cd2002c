package huawei

import (
	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// Descriptor is what pushd knows about Huawei: vendors/registry lists it.
// hms.Describe adds what Huawei shares with Honor: Android, the badge,
// replacement by notify_id, the batch of 1000 tokens [§4 Limits], the
// 4096-byte payload without tokens (HWDOC) and the required AppID (the
// OAuth client id) and AppSecret.
func Descriptor() vendors.Descriptor {
	return hms.Describe(vendors.Descriptor{
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldChannelID, Help: "notification channel id"},
			hms.BadgeClassField(),
			{Name: vendors.FieldCategory, Help: "message category, e.g. IM"},
			hms.ImportanceField(),
		},
		Ext: vendors.ExtSpec{Placement: "message.data and click intent extras", Limit: 1536},
		Options: vendors.AndroidKeys{ChannelID: "huawei_channel_id", Category: "huawei_category", Importance: "huawei_importance",
			Sound: "sound", Image: "huawei_image", PushStyle: "push_style", BadgeAdd: true},
		CollapseField: "notification.tag, notify_id",
		Silent:        "importance LOW (default_sound stays true: Huawei requires a sound)",
		// Delivery receipts, configured in AppGallery Connect and signed
		// with its callback user and key [HWDOC push-msg-receipt].
		Receipts: &vendors.ReceiptSpec{Signed: true, Parse: ParseReceipts, Reply: ReceiptReply},
	}, vendor(), New)
}
