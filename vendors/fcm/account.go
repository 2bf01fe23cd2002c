package fcm

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
)

// ErrLegacyServerKey is returned for an upload that is not a service-account
// JSON, such as a legacy FCM server key ("AAAA…:APA91b…").
var ErrLegacyServerKey = errors.New("not a service-account JSON: Google shut the legacy FCM API and its server keys down in 2024; " +
	"download a service-account JSON (Firebase console > Project settings > Service accounts > Generate new private key)")

// ServiceAccount holds the fields of a service-account JSON the adapter
// needs (certs validates an upload with them). PrivateKey is secret.
type ServiceAccount struct {
	Type        string `json:"type"`
	ProjectID   string `json:"project_id"`
	PrivateKey  string `json:"private_key"`
	ClientEmail string `json:"client_email"`
	TokenURI    string `json:"token_uri"`
}

// ValidateServiceAccount checks that b is a Google service-account JSON
// usable for FCM HTTP v1 and returns its project_id. It requires
// "type":"service_account", project_id, a parseable RSA private_key in PEM,
// client_email and an https token_uri. Anything that is not JSON (a legacy
// server key) gives ErrLegacyServerKey. Errors never quote the key.
func ValidateServiceAccount(b []byte) (projectID string, err error) {
	sa, err := parseServiceAccount(b)
	if err != nil {
		return "", err
	}
	return sa.ProjectID, nil
}

func parseServiceAccount(b []byte) (*ServiceAccount, error) {
	trimmed := bytes.TrimSpace(b)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, ErrLegacyServerKey
	}
	var sa ServiceAccount
	if err := json.Unmarshal(trimmed, &sa); err != nil {
		return nil, jsonError(err)
	}
	if sa.Type != "service_account" {
		return nil, fmt.Errorf("service-account JSON: type is %q, want \"service_account\" (download the key of a service account, not an OAuth client or user credential)", sa.Type)
	}
	for _, f := range []struct{ name, v string }{
		{"project_id", sa.ProjectID}, {"private_key", sa.PrivateKey},
		{"client_email", sa.ClientEmail}, {"token_uri", sa.TokenURI},
	} {
		if f.v == "" {
			return nil, fmt.Errorf("service-account JSON: %s is missing", f.name)
		}
	}
	if _, err := mail.ParseAddress(sa.ClientEmail); err != nil {
		return nil, fmt.Errorf("service-account JSON: client_email %q is not an email address", sa.ClientEmail)
	}
	if u, err := url.Parse(sa.TokenURI); err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("service-account JSON: token_uri %q is not an https URL", sa.TokenURI)
	}
	if err := checkRSAKey(sa.PrivateKey); err != nil {
		return nil, err
	}
	return &sa, nil
}

// jsonError describes a JSON decoding failure by position only: the
// messages of encoding/json may quote bytes of the document, which holds
// the private key.
func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("service-account JSON: invalid JSON at byte %d", se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("service-account JSON: field %s has the wrong type (%s)", te.Field, te.Value)
	}
	return errors.New("service-account JSON: invalid JSON")
}

// checkRSAKey requires a PEM block holding a PKCS#8 or PKCS#1 RSA key,
// which is what Google issues and what RS256 signing needs.
func checkRSAKey(p string) error {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return errors.New("service-account JSON: private_key is not PEM")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if _, ok := k.(*rsa.PrivateKey); !ok {
			return fmt.Errorf("service-account JSON: private_key is a %T, want an RSA key", k)
		}
		return nil
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	return errors.New("service-account JSON: private_key is not a parseable RSA private key")
}
