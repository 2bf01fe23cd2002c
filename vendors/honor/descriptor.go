package honor

import "github.com/pushd/pushd/vendors"

// Descriptor is what pushd knows about Honor: vendors/registry lists it.
func Descriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name:    vendors.Honor,
		Android: true,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldAppID, Required: true, Help: "AppID"},
			{Name: vendors.FieldClientID, Required: true, Help: "OAuth client id"},
			{Name: vendors.SecretClientSecret, Secret: true, Required: true, Help: "OAuth client secret"},
			{Name: vendors.FieldBadgeClass, Help: "launcher Activity class for the badge"},
			{Name: vendors.FieldImportance, Help: "LOW or NORMAL", OneOf: []string{"LOW", "NORMAL"}},
		},

		Limits:        limits(),
		Ext:           vendors.ExtSpec{Placement: "data and click intent extras", Limit: 1536},
		Badge:         true,
		Options:       vendors.AndroidKeys{Importance: "honor_importance", Image: "honor_image", PushStyle: "push_style", BadgeAdd: true},
		CollapseField: "notification.tag, notifyId",
		// A shown notification is replaced by the same notifyId.
		Replaces:  true,
		Batch:     maxBatch,
		Silent:    "importance LOW",
		Endpoints: endpoints(),
		Build:     New,
	}
}

// limits are Honor's text and payload limits (taken as Huawei’s 4096 bytes [vendor-protocols.md §8, UNCERTAIN]).
func limits() vendors.Limits { return vendors.Limits{Payload: maxBodyBytes} }

// endpoints are Honor's production hosts; auth_endpoint is a full token
// URL or a base below which tokenPath is appended.
func endpoints() vendors.Endpoints {
	return vendors.Endpoints{Send: SendHost, Auth: AuthHost, AuthPath: tokenPath}
}
