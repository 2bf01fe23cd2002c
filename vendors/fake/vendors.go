package fake

import "github.com/pushd/pushd/vendors"

// This file makes every fake a vendors.Fake: the starters the registry
// wires into the descriptors, the endpoint an adapter needs and the Trust
// of a sandbox user's certificate. Each fake's Close is its Server's.

// tls returns the fake's TLS server (promoted to every fake).
func (s *Server) tls() *Server { return s }

// StartAPNs starts an APNs fake with default options.
func StartAPNs() vendors.Fake { return NewAPNs(APNsOptions{}) }

// StartFCM starts an FCM fake with default options.
func StartFCM() vendors.Fake { return NewFCM(FCMOptions{}) }

// StartXiaomi starts a Xiaomi fake with default options.
func StartXiaomi() vendors.Fake { return NewXiaomi(XiaomiOptions{}) }

// StartHuawei starts a Huawei fake with default options.
func StartHuawei() vendors.Fake { return NewHuawei(HuaweiOptions{}) }

// StartHonor starts a Honor fake with default options.
func StartHonor() vendors.Fake { return NewHonor(HonorOptions{}) }

// StartOPPO starts an OPPO fake with default options.
func StartOPPO() vendors.Fake { return NewOPPO(OPPOOptions{}) }

// StartVivo starts a vivo fake with default options.
func StartVivo() vendors.Fake { return NewVivo(VivoOptions{}) }

// StartMeizu starts a Meizu fake with default options.
func StartMeizu() vendors.Fake { return NewMeizu(MeizuOptions{}) }

// sendOnly is the endpoint of a fake whose vendor has no separate OAuth
// host.
func sendOnly(s *Server) vendors.Endpoint {
	return vendors.Endpoint{URL: s.URL(), Client: s.Client()}
}

// withAuth is the endpoint of a fake that also plays the OAuth host.
func withAuth(s *Server) vendors.Endpoint {
	return vendors.Endpoint{URL: s.URL(), AuthURL: s.URL(), Client: s.Client()}
}

// Endpoint points the APNs adapter at the fake.
func (f *APNs) Endpoint() vendors.Endpoint { return sendOnly(f.Server) }

// Endpoint points the Xiaomi adapter at the fake.
func (f *Xiaomi) Endpoint() vendors.Endpoint { return sendOnly(f.Server) }

// Endpoint points the Huawei adapter and its OAuth client at the fake.
func (f *Huawei) Endpoint() vendors.Endpoint { return withAuth(f.Server) }

// Endpoint points the Honor adapter and its OAuth client at the fake.
func (f *Honor) Endpoint() vendors.Endpoint { return withAuth(f.Server) }

// Endpoint points the OPPO adapter at the fake (auth on the send host).
func (f *OPPO) Endpoint() vendors.Endpoint { return sendOnly(f.Server) }

// Endpoint points the vivo adapter at the fake (auth on the send host).
func (f *Vivo) Endpoint() vendors.Endpoint { return sendOnly(f.Server) }

// Endpoint points the Meizu adapter at the fake.
func (f *Meizu) Endpoint() vendors.Endpoint { return sendOnly(f.Server) }

// Trust registers the certificate's app and secret.
func (f *Xiaomi) Trust(c *vendors.Credential) error {
	f.AddApp(c.Field(vendors.FieldPackage), string(c.Secret(vendors.SecretAppSecret)))
	return nil
}

// Trust registers the certificate's app and secret.
func (f *Huawei) Trust(c *vendors.Credential) error {
	f.AddApp(c.Field(vendors.FieldAppID), string(c.Secret(vendors.SecretAppSecret)))
	return nil
}

// Trust registers the certificate's app, client and secret.
func (f *Honor) Trust(c *vendors.Credential) error {
	f.AddApp(c.Field(vendors.FieldAppID), c.Field(vendors.FieldClientID), string(c.Secret(vendors.SecretClientSecret)))
	return nil
}

// Trust registers the app key and secret. No channel list: a sandbox
// user's channel ids were never registered anywhere, so every channel is
// accepted.
func (f *OPPO) Trust(c *vendors.Credential) error {
	f.AddApp(c.Field(vendors.FieldAppKey), string(c.Secret(vendors.SecretMasterSecret)))
	return nil
}

// Trust registers the app id, key and secret.
func (f *Vivo) Trust(c *vendors.Credential) error {
	f.AddApp(c.Field(vendors.FieldAppID), c.Field(vendors.FieldAppKey), string(c.Secret(vendors.SecretAppSecret)))
	return nil
}

// Trust registers the app id and secret.
func (f *Meizu) Trust(c *vendors.Credential) error {
	f.AddApp(c.Field(vendors.FieldAppID), string(c.Secret(vendors.SecretAppSecret)))
	return nil
}

// Recorder returns the fake's request log.
func (f *APNs) Recorder() *Log { return &f.Log }

// Recorder returns the fake's request log.
func (f *FCM) Recorder() *Log { return &f.Log }

// Recorder returns the fake's request log.
func (f *Xiaomi) Recorder() *Log { return &f.Log }

// Recorder returns the fake's request log.
func (f *Huawei) Recorder() *Log { return &f.Log }

// Recorder returns the fake's request log.
func (f *Honor) Recorder() *Log { return &f.Log }

// Recorder returns the fake's request log.
func (f *OPPO) Recorder() *Log { return &f.Log }

// Recorder returns the fake's request log.
func (f *Vivo) Recorder() *Log { return &f.Log }

// Recorder returns the fake's request log.
func (f *Meizu) Recorder() *Log { return &f.Log }
