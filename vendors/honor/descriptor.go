package honor

import (
	"github.com/pushd/pushd/internal/hms"
	"github.com/pushd/pushd/vendors"
)

// Descriptor is what pushd knows about Honor: vendors/registry lists it.
// hms.Describe adds what Honor shares with Huawei: Android, the badge,
// replacement by notifyId, the batch of 1000 tokens and the 4096-byte
// payload (taken as Huawei's [vendor-protocols.md §8, UNCERTAIN]).
func Descriptor() vendors.Descriptor {
	return hms.Describe(vendors.Descriptor{
		Name: vendors.Honor,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldAppID, Required: true, Help: "AppID"},
			{Name: vendors.FieldClientID, Required: true, Help: "OAuth client id"},
			{Name: vendors.SecretClientSecret, Secret: true, Required: true, Help: "OAuth client secret"},
			{Name: vendors.FieldBadgeClass, Help: "launcher Activity class for the badge"},
			{Name: vendors.FieldImportance, Help: "LOW or NORMAL", OneOf: []string{"LOW", "NORMAL"}},
		},
		Ext:     vendors.ExtSpec{Placement: "data and click intent extras", Limit: 1536},
		Options: vendors.AndroidKeys{Importance: "honor_importance", Image: "honor_image", PushStyle: "push_style", BadgeAdd: true},
		Silent:  "importance LOW", CollapseField: "notification.tag, notifyId",
	}, vendor(), New)
}
