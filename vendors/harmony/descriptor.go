package harmony

import "github.com/pushd/pushd/vendors"

// Harmony is the vendor name of HarmonyOS NEXT Push Kit.
const Harmony vendors.Vendor = "harmony"

// The certificate settings and secrets of a service-account key file
// [vendor-protocols-harmony.md §1] that vendors/credential.go does not
// already name. project_id and key_id are vendors.FieldProjectID and
// vendors.FieldKeyID.
const (
	// FieldSubAccount is the key file's sub_account, the JWT's iss.
	FieldSubAccount = "sub_account"
	// SecretPrivateKey is the key file's private_key (PKCS #8 PEM), or the
	// whole key file.
	SecretPrivateKey = "private_key"
)

// Descriptor is what pushd knows about HarmonyOS NEXT: vendors/registry
// lists it.
func Descriptor() vendors.Descriptor {
	return vendors.Descriptor{
		Name: Harmony,
		// Not an Android vendor, but the flag's meaning fits: a batch
		// API with click actions that requires a title.
		Android: true,
		Fields: []vendors.FieldSpec{
			{Name: vendors.FieldProjectID, Required: true, Help: "AppGallery Connect project id (project_id of the service-account key file)"},
			{Name: vendors.FieldKeyID, Required: true, Help: "key_id of the service-account key file (the JWT kid)"},
			{Name: FieldSubAccount, Required: true, Help: "sub_account of the service-account key file (the JWT iss)"},
			{Name: SecretPrivateKey, Secret: true, Required: true, File: true,
				Help: "private_key of the service-account key file (PKCS #8 PEM), or the key file itself"},
			{Name: vendors.FieldCategory, Default: defaultCategory, OneOf: Categories(),
				Help: "notification category: IM, VOIP, … (anything but MARKETING needs the self-classification right)"},
			{Name: vendors.FieldEnv, Default: vendors.EnvProduction, OneOf: []string{vendors.EnvDevelopment, vendors.EnvProduction},
				Help: "development sends test messages (testMessage: at most 10 tokens a request, 1000 requests a day)"},
		},
		Limits: limits(),
		// ext is a string in clickAction.data, which the app reads from
		// the Want's parameters when the notification is tapped. 2048
		// bytes leave room in the 4096-byte body for the JSON, the
		// options and some text.
		Ext:   vendors.ExtSpec{Placement: "payload.notification.clickAction.data.ext", Limit: 2048},
		Badge: true,
		// The badge adds on the device (badge.addNum) for bindings whose
		// count pushd does not keep.
		Options:       vendors.AndroidKeys{BadgeAdd: true},
		CollapseField: "notification.notifyId, notification.appMessageId",
		// A shown notification is replaced by the same notifyId [vendor-protocols-harmony.md, notifyId].
		Replaces: true,
		Batch:    maxBatch,
		// Push Kit has no silent switch: the category decides how a
		// notification alerts (docs/rules.md lists the vendors without).
		Silent:    "",
		Endpoints: vendors.Endpoints{Send: SendHost},
		Build:     New,
		Check:     check,
	}
}

// limits are Push Kit's limits: title and body have no length of their
// own, the request is at most 4096 bytes without the tokens
// [vendor-protocols-harmony.md §0 Size; HWINTRO].
func limits() vendors.Limits { return vendors.Limits{Payload: maxBodyBytes} }

// check is the descriptor's Check: the key material and ids
// (checkCredential), and a click action a notification can take.
func check(cred *vendors.Credential) error {
	if err := checkCredential(cred.Fields, cred.Secrets); err != nil {
		return err
	}
	if cred.Click.Action == vendors.ClickURL {
		return &vendors.FieldError{Field: "click_action", Reason: errURLClick}
	}
	return nil
}
