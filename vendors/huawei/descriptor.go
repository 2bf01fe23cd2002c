package huawei

import "github.com/pushd/pushd/vendors"

// Descriptor is what pushd knows about Huawei: vendors/registry lists it.
func Descriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name:    vendors.Huawei,
		Android: true,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldAppID, Required: true, Help: "AppID (OAuth client id)"},
			{Name: vendors.SecretAppSecret, Secret: true, Required: true, Help: "AppSecret (OAuth client secret)"},
			{Name: vendors.FieldChannelID, Help: "notification channel id"},
			{Name: vendors.FieldBadgeClass, Help: "launcher Activity class for the badge"},
			{Name: vendors.FieldCategory, Help: "message category, e.g. IM"},
			{Name: vendors.FieldImportance, Help: "LOW or NORMAL", OneOf: []string{"LOW", "NORMAL"}},
		},

		Limits: limits(),
		Ext:    vendors.ExtSpec{Placement: "message.data and click intent extras", Limit: 1536},
		Badge:  true,
		Options: vendors.AndroidKeys{ChannelID: "huawei_channel_id", Category: "huawei_category", Importance: "huawei_importance",
			Sound: "sound", Image: "huawei_image", PushStyle: "push_style", BadgeAdd: true},
		CollapseField: "notification.tag, notify_id",
		// A shown notification is replaced by the same notify_id.
		Replaces:  true,
		Batch:     maxBatch,
		Silent:    "importance LOW (default_sound stays true: Huawei requires a sound)",
		Endpoints: endpoints(),
		Build:     New,
	}
}

// limits are Huawei's text and payload limits (HWDOC: message body ≤ 4096 bytes without tokens; ext is JSON inside JSON, so it counts about twice).
func limits() vendors.Limits { return vendors.Limits{Payload: maxBodyBytes} }

// endpoints are Huawei's production hosts; auth_endpoint is a full token
// URL or a base below which tokenPath is appended.
func endpoints() vendors.Endpoints {
	return vendors.Endpoints{Send: SendHost, Auth: AuthHost, AuthPath: tokenPath}
}
