package fake

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/pushd/pushd/vendors"
)

// Sandbox is one running fake of every vendor: what `pushd serve --sandbox`
// points the adapters at, and what the end-to-end tests and benchmarks
// drive. The fakes still refuse credentials they were not told about;
// Trust tells them.
type Sandbox struct {
	APNs   *APNs
	FCM    *FCM
	Xiaomi *Xiaomi
	Huawei *Huawei
	Honor  *Honor
	OPPO   *OPPO
	Vivo   *Vivo
	Meizu  *Meizu
}

// StartSandbox starts a fake of every vendor on loopback TLS ports. Close
// it when done.
func StartSandbox() *Sandbox {
	return &Sandbox{
		APNs:   NewAPNs(APNsOptions{}),
		FCM:    NewFCM(FCMOptions{}),
		Xiaomi: NewXiaomi(XiaomiOptions{}),
		Huawei: NewHuawei(HuaweiOptions{}),
		Honor:  NewHonor(HonorOptions{}),
		OPPO:   NewOPPO(OPPOOptions{}),
		Vivo:   NewVivo(VivoOptions{}),
		Meizu:  NewMeizu(MeizuOptions{}),
	}
}

// server returns the TLS server of v's fake, or nil for an unknown vendor.
func (s *Sandbox) server(v vendors.Vendor) *Server {
	switch v {
	case vendors.APNs:
		return s.APNs.Server
	case vendors.FCM:
		return s.FCM.Server
	case vendors.Xiaomi:
		return s.Xiaomi.Server
	case vendors.Huawei:
		return s.Huawei.Server
	case vendors.Honor:
		return s.Honor.Server
	case vendors.OPPO:
		return s.OPPO.Server
	case vendors.Vivo:
		return s.Vivo.Server
	case vendors.Meizu:
		return s.Meizu.Server
	}
	return nil
}

// Endpoint returns the adapter endpoint of v's fake: its URL, its OAuth
// endpoint where the vendor has a separate one, and a client trusting its
// certificate. It is the zero Endpoint for an unknown vendor.
func (s *Sandbox) Endpoint(v vendors.Vendor) vendors.Endpoint {
	srv := s.server(v)
	if srv == nil {
		return vendors.Endpoint{}
	}
	ep := vendors.Endpoint{URL: srv.URL(), Client: srv.Client()}
	switch v {
	case vendors.FCM:
		// The token endpoint replaces the service account's token_uri,
		// so any uploaded service account reaches the fake.
		ep.AuthURL = s.FCM.TokenURI()
	case vendors.Huawei, vendors.Honor:
		ep.AuthURL = srv.URL()
	}
	return ep
}

// Recorder returns the request log of v's fake, nil for an unknown vendor.
func (s *Sandbox) Recorder(v vendors.Vendor) *Log {
	switch v {
	case vendors.APNs:
		return &s.APNs.Log
	case vendors.FCM:
		return &s.FCM.Log
	case vendors.Xiaomi:
		return &s.Xiaomi.Log
	case vendors.Huawei:
		return &s.Huawei.Log
	case vendors.Honor:
		return &s.Honor.Log
	case vendors.OPPO:
		return &s.OPPO.Log
	case vendors.Vivo:
		return &s.Vivo.Log
	case vendors.Meizu:
		return &s.Meizu.Log
	}
	return nil
}

// Close stops every fake.
func (s *Sandbox) Close() {
	for _, v := range vendors.All() {
		if srv := s.server(v); srv != nil {
			srv.Close()
		}
	}
}

// Trust makes cred's fake accept cred: its key, secret or app is
// registered as if it had been issued by the vendor's console. Missing
// fields are left for the adapter to refuse; material that cannot be
// parsed is an error that names the field, never its value.
func (s *Sandbox) Trust(cred *vendors.Credential) error {
	if cred == nil {
		return errors.New("sandbox: no credential")
	}
	f, sec := cred.Field, func(name string) string { return string(cred.Secret(name)) }
	switch cred.Vendor {
	case vendors.APNs:
		return s.trustAPNs(cred)
	case vendors.FCM:
		return s.trustFCM(cred.Secret(vendors.SecretServiceAccount))
	case vendors.Xiaomi:
		s.Xiaomi.AddApp(f(vendors.FieldPackage), sec(vendors.SecretAppSecret))
	case vendors.Huawei:
		s.Huawei.AddApp(f(vendors.FieldAppID), sec(vendors.SecretAppSecret))
	case vendors.Honor:
		s.Honor.AddApp(f(vendors.FieldAppID), f(vendors.FieldClientID), sec(vendors.SecretClientSecret))
	case vendors.OPPO:
		// No channel list: a sandbox user's channel ids were never
		// registered anywhere, so every channel is accepted.
		s.OPPO.AddApp(f(vendors.FieldAppKey), sec(vendors.SecretMasterSecret))
	case vendors.Vivo:
		s.Vivo.AddApp(f(vendors.FieldAppID), f(vendors.FieldAppKey), sec(vendors.SecretAppSecret))
	case vendors.Meizu:
		s.Meizu.AddApp(f(vendors.FieldAppID), sec(vendors.SecretAppSecret))
	default:
		return fmt.Errorf("sandbox: no fake for vendor %q", cred.Vendor)
	}
	return nil
}

// trustAPNs registers a .p8 key (with its key id, team id and topic) or a
// .p12 certificate as a client CA.
func (s *Sandbox) trustAPNs(cred *vendors.Credential) error {
	if p8 := cred.Secret(vendors.SecretP8); len(p8) > 0 {
		key, err := parseP8(p8)
		if err != nil {
			return err
		}
		s.APNs.AddKey(cred.Field(vendors.FieldKeyID), cred.Field(vendors.FieldTeamID), &key.PublicKey)
		s.APNs.AddTopic(cred.Field(vendors.FieldBundleID))
		return nil
	}
	if p12 := cred.Secret(vendors.SecretP12); len(p12) > 0 {
		_, cert, _, err := pkcs12.DecodeChain(p12, string(cred.Secret(vendors.SecretPassword)))
		if err != nil {
			return errors.New("sandbox: p12 cannot be decoded with its password")
		}
		s.APNs.AddClientCA(cert)
	}
	return nil
}

func parseP8(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("sandbox: p8 is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("sandbox: p8 is not a PKCS#8 private key")
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("sandbox: p8 is not an EC key")
	}
	return ec, nil
}

// trustFCM registers the service account's public key and project.
func (s *Sandbox) trustFCM(js []byte) error {
	if len(js) == 0 {
		return nil
	}
	var sa struct {
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if json.Unmarshal(js, &sa) != nil {
		return errors.New("sandbox: service_account is not JSON")
	}
	block, _ := pem.Decode([]byte(sa.PrivateKey))
	if block == nil {
		return errors.New("sandbox: service_account private_key is not PEM")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		key, _ = k.(*rsa.PrivateKey)
	} else if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		key = k
	}
	if key == nil {
		return errors.New("sandbox: service_account private_key is not an RSA key")
	}
	s.FCM.AddServiceAccount(sa.ClientEmail, &key.PublicKey)
	return nil
}
