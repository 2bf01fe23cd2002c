package certs

import (
	"crypto/x509"
	"encoding/asn1"

	"github.com/pushd/pushd/vendors"
)

// Apple marks the environment of a push certificate with an extension
// [Apple WWDR Certification Practice Statement,
// apple.com/certificateauthority/Apple_WWDR_CPS]: 1.2.840.113635.100.6.3.1
// is APNs development (sandbox), 1.2.840.113635.100.6.3.2 APNs production;
// a universal ("Sandbox & Production") certificate carries both.
var (
	oidAPNsDevelopment = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 3, 1}
	oidAPNsProduction  = asn1.ObjectIdentifier{1, 2, 840, 113635, 100, 6, 3, 2}
)

// appleEnv is the environment a push certificate was issued for:
// "development", "production", "universal", or "" when it carries neither
// extension (nothing to check against).
func appleEnv(c *x509.Certificate) string {
	var dev, prod bool
	for _, e := range c.Extensions {
		dev = dev || e.Id.Equal(oidAPNsDevelopment)
		prod = prod || e.Id.Equal(oidAPNsProduction)
	}
	switch {
	case dev && prod:
		return "universal"
	case dev:
		return vendors.EnvDevelopment
	case prod:
		return vendors.EnvProduction
	}
	return ""
}

// checkAppleEnv refuses a certificate whose Apple environment contradicts
// the upload's env: APNs would refuse every push over the TLS handshake
// of the other host, and only at send time.
func checkAppleEnv(leaf *x509.Certificate, env string) error {
	got := appleEnv(leaf)
	if got == "" || got == "universal" || got == env {
		return nil
	}
	return invalid(vendors.FieldEnv, "is %s, but the .p12 is an APNs %s certificate; upload it with --env %s, or export the %s certificate from Keychain Access",
		env, got, got, env)
}
