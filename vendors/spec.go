package vendors

// FieldSpec describes one certificate setting or secret of a vendor: the
// certs package validates uploads against it and the CLI builds its flags
// from it.
type FieldSpec struct {
	Name string
	// Secret values are encrypted at rest and never shown again.
	Secret bool
	// Required fields must be present on upload. APNs needs either p8
	// (with key_id, team_id) or p12 (with password); certs checks that pair.
	Required bool
	// File means the CLI flag names a file whose contents are the value.
	File bool
	Help string
}

// SpecOf returns the certificate fields of v (SPEC §3.1).
func SpecOf(v Vendor) []FieldSpec {
	switch v {
	case APNs:
		return []FieldSpec{
			{Name: FieldBundleID, Required: true, Help: "bundle id, the apns-topic"},
			{Name: FieldEnv, Required: true, Help: "development or production"},
			{Name: SecretP8, Secret: true, File: true, Help: ".p8 token-auth key file"},
			{Name: FieldKeyID, Help: "key id of the .p8 key"},
			{Name: FieldTeamID, Help: "Apple team id"},
			{Name: SecretP12, Secret: true, File: true, Help: ".p12 certificate file"},
			{Name: SecretPassword, Secret: true, Help: "password of the .p12 file"},
		}
	case FCM:
		return []FieldSpec{
			{Name: SecretServiceAccount, Secret: true, Required: true, File: true, Help: "service-account JSON file"},
		}
	case Xiaomi:
		return []FieldSpec{
			{Name: FieldPackage, Required: true, Help: "Android package name"},
			{Name: SecretAppSecret, Secret: true, Required: true, Help: "AppSecret"},
			{Name: FieldAppID, Help: "AppID (optional)"},
			{Name: FieldRegion, Help: "cn (default) or global"},
			{Name: FieldChannelID, Help: "notification channel id"},
		}
	case Huawei:
		return []FieldSpec{
			{Name: FieldAppID, Required: true, Help: "AppID (OAuth client id)"},
			{Name: SecretAppSecret, Secret: true, Required: true, Help: "AppSecret (OAuth client secret)"},
			{Name: FieldChannelID, Help: "notification channel id"},
			{Name: FieldBadgeClass, Help: "launcher Activity class for the badge"},
			{Name: FieldCategory, Help: "message category, e.g. IM"},
			{Name: FieldImportance, Help: "LOW or NORMAL"},
		}
	case Honor:
		return []FieldSpec{
			{Name: FieldAppID, Required: true, Help: "AppID"},
			{Name: FieldClientID, Required: true, Help: "OAuth client id"},
			{Name: SecretClientSecret, Secret: true, Required: true, Help: "OAuth client secret"},
			{Name: FieldBadgeClass, Help: "launcher Activity class for the badge"},
			{Name: FieldImportance, Help: "LOW or NORMAL"},
		}
	case OPPO:
		return []FieldSpec{
			{Name: FieldAppKey, Required: true, Help: "AppKey"},
			{Name: SecretMasterSecret, Secret: true, Required: true, Help: "MasterSecret"},
			{Name: FieldChannelID, Help: "notification channel id (Android 8+)"},
		}
	case Vivo:
		return []FieldSpec{
			{Name: FieldAppID, Required: true, Help: "AppID"},
			{Name: FieldAppKey, Required: true, Help: "AppKey"},
			{Name: SecretAppSecret, Secret: true, Required: true, Help: "AppSecret"},
			{Name: FieldClassification, Help: "0 operations or 1 system (default 1)"},
			{Name: FieldCategory, Help: "secondary category, e.g. IM"},
		}
	case Meizu:
		return []FieldSpec{
			{Name: FieldAppID, Required: true, Help: "AppID"},
			{Name: SecretAppSecret, Secret: true, Required: true, Help: "AppSecret"},
			{Name: FieldPackage, Required: true, Help: "Android package name"},
		}
	}
	return nil
}
