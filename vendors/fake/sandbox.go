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

// Sandbox is one running fake of every registered vendor that has one:
// what `pushd serve --sandbox` points the adapters at, and what the
// end-to-end tests and benchmarks drive. The fakes still refuse
// credentials they were not told about; Trust tells them. The typed
// fields are conveniences for tests; they are nil when that vendor is
// not registered.
type Sandbox struct {
	APNs   *APNs
	FCM    *FCM
	Xiaomi *Xiaomi
	Huawei *Huawei
	Honor  *Honor
	OPPO   *OPPO
	Vivo   *Vivo
	Meizu  *Meizu

	fakes   map[vendors.Vendor]vendors.Fake
	missing []vendors.Vendor
}

// StartSandbox starts, on loopback TLS ports, the fake of every vendor in
// the catalog (vendors.Descriptors) whose descriptor has one. Vendors
// without a fake are listed by Missing. Close it when done.
func StartSandbox() *Sandbox {
	s := &Sandbox{fakes: map[vendors.Vendor]vendors.Fake{}}
	for _, d := range vendors.Descriptors() {
		if d.Fake == nil {
			s.missing = append(s.missing, d.Name)
			continue
		}
		s.fakes[d.Name] = d.Fake()
	}
	s.APNs, _ = s.fakes[vendors.APNs].(*APNs)
	s.FCM, _ = s.fakes[vendors.FCM].(*FCM)
	s.Xiaomi, _ = s.fakes[vendors.Xiaomi].(*Xiaomi)
	s.Huawei, _ = s.fakes[vendors.Huawei].(*Huawei)
	s.Honor, _ = s.fakes[vendors.Honor].(*Honor)
	s.OPPO, _ = s.fakes[vendors.OPPO].(*OPPO)
	s.Vivo, _ = s.fakes[vendors.Vivo].(*Vivo)
	s.Meizu, _ = s.fakes[vendors.Meizu].(*Meizu)
	return s
}

// Missing lists the registered vendors that have no fake: the sandbox
// must refuse to start while there is one.
func (s *Sandbox) Missing() []vendors.Vendor { return s.missing }

// Fake returns the running fake of v, nil for a vendor without one.
func (s *Sandbox) Fake(v vendors.Vendor) vendors.Fake { return s.fakes[v] }

// server returns the TLS server of v's fake, or nil.
func (s *Sandbox) server(v vendors.Vendor) *Server {
	if f, ok := s.fakes[v].(interface{ tls() *Server }); ok {
		return f.tls()
	}
	return nil
}

// Endpoint returns the adapter endpoint of v's fake: its URL, its OAuth
// endpoint where the vendor has a separate one, and a client trusting its
// certificate. It is the zero Endpoint for a vendor without a fake.
func (s *Sandbox) Endpoint(v vendors.Vendor) vendors.Endpoint {
	if f := s.fakes[v]; f != nil {
		return f.Endpoint()
	}
	return vendors.Endpoint{}
}

// Recorder returns the request log of v's fake, nil when it keeps none.
func (s *Sandbox) Recorder(v vendors.Vendor) *Log {
	if f, ok := s.fakes[v].(interface{ Recorder() *Log }); ok {
		return f.Recorder()
	}
	return nil
}

// Close stops every fake.
func (s *Sandbox) Close() {
	for _, f := range s.fakes {
		f.Close()
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
	f := s.fakes[cred.Vendor]
	if f == nil {
		return fmt.Errorf("sandbox: no fake for vendor %q", cred.Vendor)
	}
	return f.Trust(cred)
}

// Trust registers a .p8 key (with its key id, team id and topic) or a
// .p12 certificate as a client CA.
func (f *APNs) Trust(cred *vendors.Credential) error {
	if p8 := cred.Secret(vendors.SecretP8); len(p8) > 0 {
		key, err := parseP8(p8)
		if err != nil {
			return err
		}
		f.AddKey(cred.Field(vendors.FieldKeyID), cred.Field(vendors.FieldTeamID), &key.PublicKey)
		f.AddTopic(cred.Field(vendors.FieldBundleID))
		return nil
	}
	if p12 := cred.Secret(vendors.SecretP12); len(p12) > 0 {
		_, cert, _, err := pkcs12.DecodeChain(p12, string(cred.Secret(vendors.SecretPassword)))
		if err != nil {
			return errors.New("sandbox: p12 cannot be decoded with its password")
		}
		f.AddClientCA(cert)
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

// Trust registers the service account's public key and project.
func (f *FCM) Trust(cred *vendors.Credential) error {
	js := cred.Secret(vendors.SecretServiceAccount)
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
	f.AddServiceAccount(sa.ClientEmail, &key.PublicKey)
	return nil
}
