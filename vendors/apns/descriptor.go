package apns

import "github.com/pushd/pushd/vendors"

// Descriptor is what pushd knows about APNs: vendors/registry lists it.
func Descriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name:    vendors.APNs,
		Android: false,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldBundleID, Required: true, Help: "bundle id, the apns-topic"},
			{Name: vendors.FieldEnv, Required: true, Help: "development or production"},
			{Name: vendors.SecretP8, Secret: true, File: true, Help: ".p8 token-auth key file"},
			{Name: vendors.FieldKeyID, Help: "key id of the .p8 key"},
			{Name: vendors.FieldTeamID, Help: "Apple team id"},
			{Name: vendors.SecretP12, Secret: true, File: true, Help: ".p12 certificate file"},
			{Name: vendors.SecretPassword, Secret: true, Help: "password of the .p12 file"},
		},
		Format:        vendors.FormatApple,
		Limits:        limits(),
		Ext:           vendors.ExtSpec{Placement: "ext (top level)", Limit: 3072},
		Badge:         true,
		Options:       vendors.AndroidKeys{Image: "apns.image", Alert: "apns"},
		CollapseField: "apns-collapse-id",
		// A shown notification is replaced by the same apns-collapse-id.
		Replaces: true,
		Batch:    1,
		// HTTP/2 multiplexes many streams per connection (Apple documents
		// hundreds of concurrent streams per connection, vendor-protocols.md §1).
		Concurrency: 256,
		// A background push (content-available) carries an id_only push's ids
		// (vendor-protocols.md §1).
		DataPush:  true,
		Silent:    "aps.sound omitted",
		Endpoints: vendors.Endpoints{Send: "https://api.push.apple.com"},
		Build:     New,
	}
}

// limits are APNs's text and payload limits (payload ≤ 4096 bytes, vendor-protocols.md §1).
func limits() vendors.Limits { return vendors.Limits{Payload: 4096} }
