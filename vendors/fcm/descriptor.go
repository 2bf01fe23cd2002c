package fcm

import "github.com/pushd/pushd/vendors"

// Descriptor is what pushd knows about FCM: vendors/registry lists it.
func Descriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name:    vendors.FCM,
		Android: false,
		Fields: []vendors.FieldSpec{
			{Name: vendors.SecretServiceAccount, Secret: true, Required: true, File: true, Help: "service-account JSON file"},
			{Name: vendors.FieldProjectID, Derived: true, Help: "derived from the service account"},
		},
		Format:        vendors.FormatServiceAccount,
		Limits:        limits(),
		Ext:           vendors.ExtSpec{Placement: "data.ext", Limit: 3072},
		Badge:         false,
		Options:       vendors.AndroidKeys{ChannelID: "fcm_channel_id", Sound: "sound", Image: "fcm_image", Priority: "fcm_priority"},
		CollapseField: "android.collapse_key, android.notification.tag",
		// A shown notification is replaced by the same android.notification.tag (collapse_key replaces one still pending).
		Replaces: true,
		Batch:    1,
		// One message per request over HTTP/2 streams (vendor-protocols.md §2).
		Concurrency: 128,
		// A message without a notification block is data only (§2).
		DataPush:  true,
		Silent:    "data-only message (no notification)",
		Endpoints: endpoints(),
		Build:     New,
	}
}

// limits are FCM's text and payload limits (message ≤ 4096 bytes, vendor-protocols.md §2).
func limits() vendors.Limits { return vendors.Limits{Payload: PayloadLimit} }

// endpoints are FCM's and Google OAuth's production hosts; an
// auth_endpoint is a full token URL or a base below which /token is
// appended (the service account's token_uri is the default).
func endpoints() vendors.Endpoints {
	return vendors.Endpoints{Send: DefaultEndpoint, Auth: "https://oauth2.googleapis.com", AuthPath: "/token"}
}
