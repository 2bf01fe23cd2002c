package meizu

import "github.com/pushd/pushd/vendors"

// Descriptor is what pushd knows about Meizu: vendors/registry lists it.
func Descriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name:    vendors.Meizu,
		Android: true,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldAppID, Required: true, Help: "AppID"},
			{Name: vendors.SecretAppSecret, Secret: true, Required: true, Help: "AppSecret"},
			{Name: vendors.FieldPackage, Required: true, Help: "Android package name", Package: true},
		},

		Limits:        limits(),
		Ext:           vendors.ExtSpec{Placement: "clickTypeInfo.parameters.ext", Limit: 2048},
		Badge:         false,
		Options:       vendors.AndroidKeys{NoticeMsgType: "meizu_notice_msg_type"},
		CollapseField: "notifyKey",
		// A shown notification is replaced by the same notifyKey (collapse key, vendor-protocols.md, Meizu).
		Replaces: true,
		// Meizu folds a device's notifications and answers 520 once it
		// received more than five from one app within a minute
		// (vendor-protocols.md, Meizu, code 520): a burst stops updating
		// after four pushes, leaving room for other conversations.
		Updates: vendors.UpdateLimits{Max: 4},
		Batch:   MaxBatch,
		// Delivery and click receipts, posted about every second to the
		// registered callback (vendor-protocols.md, Meizu). Meizu restricts
		// pass-through since 2018-06-16: no data push.
		Receipts:  &vendors.ReceiptSpec{Clicks: true, Parse: ParseReceipts, Reply: ReceiptReply},
		Silent:    "sound and vibration off",
		Endpoints: vendors.Endpoints{Send: DefaultURL},
		Build:     New,
	}
}

// limits are Meizu's text and payload limits (MZAPI: title 1..32, content 1..100).
func limits() vendors.Limits { return vendors.Limits{Title: 32, Body: 100} }
