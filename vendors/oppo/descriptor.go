package oppo

import "github.com/pushd/pushd/vendors"

// Descriptor is what pushd knows about OPPO: vendors/registry lists it.
func Descriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name:    vendors.OPPO,
		Android: true,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldAppKey, Required: true, Help: "AppKey"},
			{Name: vendors.SecretMasterSecret, Secret: true, Required: true, Help: "MasterSecret"},
			{Name: vendors.FieldChannelID, Help: "notification channel id (Android 8+)"},
		},

		Limits: limits(),
		Ext:    vendors.ExtSpec{Placement: "action_parameters", Limit: 3072},
		Badge:  false,
		Options: vendors.AndroidKeys{ChannelID: "oppo_channel_id", Category: "oppo_category", PushStyle: "push_style",
			NotifyLevel: "oppo_notify_level", Template: "oppo_private_template_id"},
		CollapseField: "notify_id",
		// A shown notification is replaced by the same notify_id ("same id overrides", vendor-protocols.md §5).
		Replaces: true,
		Batch:    MaxBatch,
		// Delivery receipts to call_back_url (vendor-protocols.md, OPPO). OPPO
		// has notification messages only: no data push.
		Receipts:  &vendors.ReceiptSpec{Parse: ParseReceipts, Reply: ReceiptReply},
		Silent:    "",
		Endpoints: endpoints(),
		Build:     New,
	}
}

// limits are OPPO's text and payload limits (OPPO SDK: TITLE_LENGTH_LIMIT=50, CONTENT_LENGTH_LIMIT=200; action_parameters ≤ 4 KB).
func limits() vendors.Limits { return vendors.Limits{Title: 50, Body: 200} }

// endpoints are the production host, which also answers auth; an
// auth_endpoint is a full auth URL or a base below which authPath is
// appended.
func endpoints() vendors.Endpoints {
	return vendors.Endpoints{Send: DefaultURL, Auth: DefaultURL, AuthPath: authPath}
}
