package vivo

import "github.com/pushd/pushd/vendors"

// Descriptor is what pushd knows about vivo: vendors/registry lists it.
func Descriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name:    vendors.Vivo,
		Android: true,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldAppID, Required: true, Help: "AppID"},
			{Name: vendors.FieldAppKey, Required: true, Help: "AppKey"},
			{Name: vendors.SecretAppSecret, Secret: true, Required: true, Help: "AppSecret"},
			{Name: vendors.FieldClassification, Help: "0 operations or 1 system (default 1)", OneOf: []string{"0", "1"}},
			{Name: vendors.FieldCategory, Help: "secondary category, e.g. IM"},
		},

		Limits:        limits(),
		Ext:           vendors.ExtSpec{Placement: "clientCustomMap.ext", Limit: maxCustomMap - len(vendors.ExtKey)},
		Badge:         false,
		Options:       vendors.AndroidKeys{Category: "vivo_category", Classification: "vivo_classification", NotifyType: "vivo_notify_type"},
		CollapseField: "notifyId",
		// A shown notification is replaced by the same notifyId ("same id replaces", vendor-protocols.md §6).
		Replaces: true,
		Batch:    MaxBatch,
		// Delivery receipts to extra.callback (vendor-protocols.md, vivo). vivo
		// delivers no pass-through (Tencent's vivo channel guide: "vivo 通道暂不支持应用内消息").
		Receipts:  &vendors.ReceiptSpec{Parse: ParseReceipts, Reply: ReceiptReply},
		Silent:    "notifyType=1 (no sound, no vibration)",
		Endpoints: endpoints(),
		Build:     New,
	}
}

// limits are vivo's text and payload limits (vivo SDK errors 10056/10058: title ≤ 40, content ≤ 100, a Chinese character counting two; clientCustomMap ≤ 1024 characters, keys included).
func limits() vendors.Limits { return vendors.Limits{Title: 40, Body: 100, Wide: true} }

// endpoints are the production host, which also answers auth; an
// auth_endpoint is a full auth URL or a base below which authPath is
// appended.
func endpoints() vendors.Endpoints {
	return vendors.Endpoints{Send: DefaultURL, Auth: DefaultURL, AuthPath: authPath}
}
