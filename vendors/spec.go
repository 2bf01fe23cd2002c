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
	// OneOf, when set, lists the values the field may take.
	OneOf []string
	// Default is filled in when the field is absent.
	Default string
	// Package means the value must be an Android package name.
	Package bool
	// Derived fields are computed from the secret material (the FCM
	// project_id): accepted on upload, never required.
	Derived bool
}

// SpecOf returns the certificate fields of v (SPEC §3.1), from its
// descriptor.
func SpecOf(v Vendor) []FieldSpec {
	d, _ := Lookup(v)
	return d.Fields
}
