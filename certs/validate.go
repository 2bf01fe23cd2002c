package certs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/registry"
)

// Upload is one certificate as an operator submits it, through the CLI or
// the HTTP API: the app and vendor it belongs to, its non-secret settings and
// its secret material.
type Upload struct {
	AppID  string
	Vendor vendors.Vendor
	// Name is an optional label shown in listings.
	Name string
	// Fields holds the non-secret settings, keyed by the vendors.Field*
	// names.
	Fields map[string]string
	// Secrets holds the secret material, keyed by the vendors.Secret*
	// names. It is encrypted at rest and never shown again.
	Secrets map[string][]byte
	// Click is what tapping the notification does (Android vendors only).
	Click vendors.Click
}

// Parsed is what validation learned from an Upload's secrets: the facts the
// store records and `pushd push --dry-run` shows, never the secrets
// themselves.
type Parsed struct {
	// NotAfter is the expiry of a .p12's leaf certificate.
	NotAfter *time.Time
	// Subject is the common name of a .p12's leaf certificate.
	Subject string
	// Topic is the bundle id a .p12 certificate was issued for (its UID
	// attribute), when it carries one.
	Topic string
	// ProjectID and ClientEmail come from an FCM service-account JSON.
	ProjectID   string
	ClientEmail string
	// Fingerprints maps each secret name to its Fingerprint.
	Fingerprints map[string]string
}

// ValidationError is an upload refused for one field. The HTTP API answers
// 400 naming Field; Reason never contains secret material. Validate, Add and
// Rotate return it as *ValidationError.
type ValidationError struct {
	// Field is the JSON field name (the CLI flag with - for _), e.g.
	// "app_secret", "click_target", "vendor".
	Field  string
	Reason string
}

// Error returns "field: reason".
func (e ValidationError) Error() string { return e.Field + ": " + e.Reason }

// invalid returns a *ValidationError for field.
func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Limits on what an upload may carry. Real credentials are a few KB at most;
// the caps keep a mistaken upload (a whole directory archive, say) out of
// Redis.
const (
	maxSecretBytes = 64 << 10
	maxFieldBytes  = 1024
	maxNameRunes   = 128
	maxAppIDBytes  = 128
)

// Validate checks up as Add and Rotate do and normalizes it in place:
// values are trimmed, empty entries dropped, defaults filled (the Xiaomi
// region, the click action) and derived fields set (the FCM project_id).
// It is pure: now is the only clock, and nothing is stored. Every error is a
// *ValidationError that names the field and never contains a secret.
func Validate(up *Upload, now time.Time) (*Parsed, error) {
	if registry.Installed() == 0 || !up.Vendor.Valid() {
		_, err := vendors.ParseVendor(string(up.Vendor))
		return nil, invalid("vendor", "%s", strings.TrimPrefix(err.Error(), "unknown vendor "))
	}
	if err := normalizeCommon(up); err != nil {
		return nil, err
	}
	if err := checkNames(up); err != nil {
		return nil, err
	}
	if err := checkRequired(up); err != nil {
		return nil, err
	}
	if err := checkClick(up); err != nil {
		return nil, err
	}
	p := &Parsed{Fingerprints: fingerprints(up.Secrets)}
	if err := validateVendor(up, p, now); err != nil {
		return nil, err
	}
	return p, nil
}

// normalizeCommon trims the app id, name, fields and text secrets and drops
// empty entries, so that an empty optional flag counts as absent.
func normalizeCommon(up *Upload) error {
	up.AppID = strings.TrimSpace(up.AppID)
	switch {
	case up.AppID == "":
		return invalid("app_id", "is required")
	case len(up.AppID) > maxAppIDBytes:
		return invalid("app_id", "is longer than %d bytes", maxAppIDBytes)
	case strings.IndexFunc(up.AppID, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0:
		return invalid("app_id", "must not contain spaces or control characters")
	}
	up.Name = strings.TrimSpace(up.Name)
	if utf8.RuneCountInString(up.Name) > maxNameRunes || strings.IndexFunc(up.Name, unicode.IsControl) >= 0 {
		return invalid("name", "must be at most %d characters without control characters", maxNameRunes)
	}
	fields := make(map[string]string, len(up.Fields))
	for k, v := range up.Fields {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if len(v) > maxFieldBytes || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return invalid(k, "must be at most %d bytes without control characters", maxFieldBytes)
		}
		fields[k] = v
	}
	up.Fields = fields
	return normalizeSecrets(up)
}

// normalizeSecrets drops empty secrets, caps their size and trims the
// line breaks and spaces that copying a text secret from a console or a file
// adds. Binary and file secrets (.p12, .p8, JSON) are kept byte for byte.
func normalizeSecrets(up *Upload) error {
	secrets := make(map[string][]byte, len(up.Secrets))
	for k, v := range up.Secrets {
		if len(v) > maxSecretBytes {
			return invalid(k, "is too large (%d bytes, at most %d)", len(v), maxSecretBytes)
		}
		switch k {
		case vendors.SecretPassword:
			v = []byte(strings.TrimRight(string(v), "\r\n"))
		case vendors.SecretAppSecret, vendors.SecretClientSecret, vendors.SecretMasterSecret:
			v = []byte(strings.TrimSpace(string(v)))
			if strings.IndexFunc(string(v), func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }) >= 0 {
				return invalid(k, "contains spaces or control characters; paste it exactly as the vendor console shows it")
			}
		}
		if len(v) == 0 {
			continue
		}
		secrets[k] = slices.Clone(v)
	}
	up.Secrets = secrets
	return nil
}

// checkNames refuses fields and secrets the vendor does not have, and
// secrets sent as plain fields (or the reverse), so a typo never silently
// drops a setting.
func checkNames(up *Upload) error {
	spec := specIndex(up.Vendor)
	for name := range up.Fields {
		fs, ok := spec[name]
		switch {
		case ok && fs.Derived:
			// Derived from the secret material, which is checked to match.
		case !ok:
			return invalid(name, "is not a setting of %s certificates (valid: %s)", up.Vendor, names(up.Vendor, false))
		case fs.Secret:
			return invalid(name, "is a secret: upload it as a secret, not as a plain setting")
		}
	}
	for name := range up.Secrets {
		fs, ok := spec[name]
		switch {
		case !ok:
			return invalid(name, "is not a secret of %s certificates (valid: %s)", up.Vendor, names(up.Vendor, true))
		case !fs.Secret:
			return invalid(name, "is a plain setting, not a secret")
		}
	}
	return nil
}

// checkRequired reports the first required field of the vendor's spec that
// is missing, in spec order.
func checkRequired(up *Upload) error {
	for _, fs := range vendors.SpecOf(up.Vendor) {
		if !fs.Required {
			continue
		}
		if up.Fields[fs.Name] == "" && len(up.Secrets[fs.Name]) == 0 {
			return invalid(fs.Name, "is required for %s certificates (--%s: %s)", up.Vendor, flagName(fs.Name), fs.Help)
		}
	}
	return nil
}

// checkClick normalizes the click action. Only Android vendors have one:
// APNs and FCM notifications always open the app.
func checkClick(up *Upload) error {
	c, err := up.Click.Normalize()
	if err != nil {
		field := "click_target"
		if !slices.Contains([]vendors.ClickAction{vendors.ClickOpenApp, vendors.ClickURL, vendors.ClickIntent}, c.Action) {
			field = "click_action"
		}
		return invalid(field, "%s", strings.TrimPrefix(err.Error(), field+" "))
	}
	if !up.Vendor.Android() && c.Action != vendors.ClickOpenApp {
		return invalid("click_action", "%s certificates have no click action (notifications open the app); only Android vendors take url or intent", up.Vendor)
	}
	up.Click = c
	return nil
}

// validateVendor runs the checks the vendor's descriptor declares: field
// defaults, allowed values and package names, then the parsing of its
// secret material (an Apple key or certificate, a service account).
func validateVendor(up *Upload, p *Parsed, now time.Time) error {
	d, _ := vendors.Lookup(up.Vendor)
	for _, fs := range d.Fields {
		if fs.Default != "" && up.Fields[fs.Name] == "" {
			up.Fields[fs.Name] = fs.Default
		}
		if err := oneOf(up, fs.Name, fs.OneOf...); len(fs.OneOf) > 0 && err != nil {
			return err
		}
		if err := checkPackage(up, fs.Name); fs.Package && err != nil {
			return err
		}
	}
	var err error
	switch d.Format {
	case vendors.FormatApple:
		err = validateAPNs(up, p, now)
	case vendors.FormatServiceAccount:
		err = validateFCM(up, p)
	}
	if err == nil && d.Check != nil {
		err = descriptorCheck(d, up)
	}
	return err
}

// descriptorCheck runs the vendor's own Check and answers its refusal as
// a validation error naming the field; an error that names none is
// reported on the vendor.
func descriptorCheck(d vendors.Descriptor, up *Upload) error {
	err := d.Check(&vendors.Credential{AppID: up.AppID, Vendor: up.Vendor, Fields: up.Fields,
		Secrets: up.Secrets, Click: up.Click})
	var fe *vendors.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		return invalid(fe.Field, "%s", fe.Reason)
	}
	return invalid("vendor", "%s certificate refused", up.Vendor)
}

// oneOf checks that the optional field, when given, is one of allowed.
func oneOf(up *Upload, field string, allowed ...string) error {
	v, ok := up.Fields[field]
	if !ok || slices.Contains(allowed, v) {
		return nil
	}
	return invalid(field, "%q is not one of %s", v, strings.Join(allowed, ", "))
}

// checkPackage checks the Android package name: dot-separated Java
// identifiers, at least two of them (com.example), as the vendors match it
// against the installed app.
func checkPackage(up *Upload, field string) error {
	pkg := up.Fields[field]
	parts := strings.Split(pkg, ".")
	ok := len(parts) >= 2
	for _, part := range parts {
		ok = ok && javaIdent(part)
	}
	if !ok {
		return invalid(field, "%q is not an Android package name (like com.example.chat)", pkg)
	}
	return nil
}

// javaIdent reports whether s is a letter or _ followed by letters, digits
// and _.
func javaIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		letter := r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
		digit := '0' <= r && r <= '9'
		if !letter && (i == 0 || !digit) {
			return false
		}
	}
	return true
}

// specIndex returns the vendor's field specs by name.
func specIndex(v vendors.Vendor) map[string]vendors.FieldSpec {
	m := map[string]vendors.FieldSpec{}
	for _, fs := range vendors.SpecOf(v) {
		m[fs.Name] = fs
	}
	return m
}

// names lists the vendor's secret (or non-secret) names, for error
// messages.
func names(v vendors.Vendor, secret bool) string {
	var out []string
	for _, fs := range vendors.SpecOf(v) {
		switch {
		case fs.Secret != secret:
		case fs.Derived:
			out = append(out, fs.Name+" (derived)")
		default:
			out = append(out, fs.Name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// flagName is the CLI flag of a field name.
func flagName(field string) string { return strings.ReplaceAll(field, "_", "-") }
