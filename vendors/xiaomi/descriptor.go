package xiaomi

import "github.com/pushd/pushd/vendors"

// Descriptor is what pushd knows about Xiaomi: vendors/registry lists it.
func Descriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name:    vendors.Xiaomi,
		Android: true,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldPackage, Required: true, Help: "Android package name", Package: true},
			{Name: vendors.SecretAppSecret, Secret: true, Required: true, Help: "AppSecret"},
			{Name: vendors.FieldAppID, Help: "AppID (optional)"},
			{Name: vendors.FieldRegion, Help: "cn (default) or global", OneOf: []string{RegionChina, RegionGlobal}, Default: RegionChina},
			{Name: vendors.FieldChannelID, Help: "notification channel id"},
		},

		Limits:        limits(),
		Ext:           vendors.ExtSpec{Placement: "extra.ext", Limit: 1024},
		Badge:         false,
		Options:       vendors.AndroidKeys{ChannelID: "xiaomi_channel_id", Sound: "sound"},
		CollapseField: "notify_id",
		// A shown notification is replaced by the same notify_id ("same id → the new notification replaces the old one", vendor-protocols.md §3).
		Replaces: true,
		// The default channel allows one message per device a day
		// (vendor-protocols.md §3 extra.channel_id): a burst is updated
		// only on a channel of the app's own.
		Updates: vendors.UpdateLimits{NeedChannel: true},
		Batch:   maxBatch,
		// pass_through=1 is Xiaomi's data message (vendor-protocols.md §3).
		DataPush: true,
		// Delivery and click receipts, to extra.callback (§3).
		Receipts:  &vendors.ReceiptSpec{Clicks: true, Parse: ParseReceipts, Reply: ReceiptReply},
		Silent:    "notify_type=4 (lights only)",
		Endpoints: vendors.Endpoints{Send: HostChina},
		Build:     New,
	}
}

// limits are Xiaomi's text and payload limits (MIDOC: title < 50, description < 128 characters; extra values ≤ 1024 characters).
func limits() vendors.Limits { return vendors.Limits{Title: 49, Body: 127} }
