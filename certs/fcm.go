package certs

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"

	"github.com/pushd/pushd/internal/vendorhttp"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fcm"
)

// serviceAccount is the part of a Google service-account key file that the
// FCM HTTP v1 OAuth flow needs (vendor-protocols.md, FCM auth): the
// adapter's fcm.ServiceAccount, and what tells a mistaken upload apart.
type serviceAccount struct {
	fcm.ServiceAccount
	// ProjectInfo is only in google-services.json, the app-side config
	// that operators often upload by mistake.
	ProjectInfo json.RawMessage `json:"project_info"`
}

// What to tell an operator holding the wrong FCM credential (SPEC §2).
const (
	legacyShutdown = "Google shut the legacy FCM API down in June 2024, so server keys no longer work"
	getKeyFile     = "download a service-account JSON from Firebase console > Project settings > Service accounts > Generate new private key"
)

// validateFCM checks that the service_account secret is a Google
// service-account key file and records its project_id, which the FCM v1
// send URL needs.
func validateFCM(up *Upload, p *Parsed) error {
	sa, err := parseServiceAccount(up.Secrets[vendors.SecretServiceAccount])
	if err != nil {
		return err
	}
	if given := up.Fields[vendors.FieldProjectID]; given != "" && given != sa.ProjectID {
		return invalid(vendors.FieldProjectID, "%q differs from the service account's project_id %q; leave it out, it is taken from the JSON", given, sa.ProjectID)
	}
	up.Fields[vendors.FieldProjectID] = sa.ProjectID
	p.ProjectID, p.ClientEmail = sa.ProjectID, sa.ClientEmail
	return nil
}

// parseServiceAccount decodes and checks a service-account JSON. Messages
// name what is wrong but never quote the file.
func parseServiceAccount(b []byte) (*serviceAccount, error) {
	const field = vendors.SecretServiceAccount
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if looksLikeServerKey(trimmed) {
			return nil, invalid(field, "looks like a legacy FCM server key: %s; %s", legacyShutdown, getKeyFile)
		}
		return nil, invalid(field, "is not JSON; FCM needs a Google service-account key file (%s). %s", getKeyFile, legacyShutdown)
	}
	var sa serviceAccount
	if err := json.Unmarshal(trimmed, &sa); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return nil, invalid(field, "is not valid JSON (syntax error at byte %d)", syn.Offset)
		}
		return nil, invalid(field, "is not a service-account JSON (a field has the wrong type)")
	}
	if err := sa.check(); err != nil {
		return nil, err
	}
	return &sa, nil
}

// check verifies the fields a JWT-bearer token request needs.
func (sa *serviceAccount) check() error {
	const field = vendors.SecretServiceAccount
	switch {
	case sa.Type == "" && sa.ProjectInfo != nil:
		return invalid(field, "is google-services.json (the app's config), not a service-account key; %s", getKeyFile)
	case sa.Type != "service_account":
		return invalid(field, "has type %s, want \"service_account\" (a Google service-account key file)", knownType(sa.Type))
	case sa.ProjectID == "":
		return invalid(field, "has no project_id")
	case !strings.Contains(sa.ClientEmail, "@"):
		return invalid(field, "has no valid client_email")
	case !httpURL(sa.TokenURI):
		return invalid(field, "has no valid token_uri (an https:// URL)")
	}
	if len(sa.ProjectID) > 64 || strings.IndexFunc(sa.ProjectID, func(r rune) bool {
		return !(r == '-' || ('a' <= r && r <= 'z') || ('0' <= r && r <= '9'))
	}) >= 0 {
		return invalid(field, "has a project_id that is not a Google Cloud project id (lower-case letters, digits and -)")
	}
	return checkRSAPEM(sa.PrivateKey)
}

// checkRSAPEM checks that the private_key is a PEM RSA key, which is what
// Google issues and what RS256 signs with.
func checkRSAPEM(s string) error {
	const field = vendors.SecretServiceAccount
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return invalid(field, "has no PEM private_key")
	}
	key, known, err := vendorhttp.PrivateKey(block)
	_, isRSA := key.(*rsa.PrivateKey)
	switch {
	case !known:
		return invalid(field, "has a private_key that is not a PEM private key")
	case err != nil:
		return invalid(field, "has a private_key that cannot be parsed")
	case !isRSA:
		return invalid(field, "has a private_key that is not an RSA key")
	}
	return nil
}

// looksLikeServerKey recognizes the legacy FCM credentials: server keys
// ("AAAA…:APA91b…") and the older GCM API keys ("AIza…").
func looksLikeServerKey(b []byte) bool {
	s := string(b)
	return strings.Contains(s, ":APA91b") || strings.HasPrefix(s, "AAAA") || strings.HasPrefix(s, "AIza")
}

// httpURL reports whether s is an absolute http(s) URL with a host. Plain
// http is accepted for loopback fakes in tests and the sandbox.
func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// knownType quotes the JSON's "type" when it is one of Google's credential
// types (a user or workload credential uploaded by mistake); anything else
// is not echoed, since the file is secret.
func knownType(t string) string {
	switch t {
	case "authorized_user", "external_account", "impersonated_service_account", "external_account_authorized_user":
		return `"` + t + `"`
	case "":
		return "missing"
	}
	return "unexpected"
}
