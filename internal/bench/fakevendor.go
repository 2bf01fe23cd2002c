package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/pushd/pushd/api"
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/fake"
)

// FakeInfo is the listen file `pushd fake-vendor` writes once its fakes
// are ready: where each vendor's fake listens and the certificate it
// trusts, and the loopback control endpoint.
type FakeInfo struct {
	// Control is the base URL of GET /stats and POST /reset.
	Control string                  `json:"control"`
	Vendors map[string]FakeEndpoint `json:"vendors"`
}

// FakeEndpoint is one vendor's fake, as a pushd config and a certificate
// upload need it.
type FakeEndpoint struct {
	Endpoint     string `json:"endpoint"`
	AuthEndpoint string `json:"auth_endpoint,omitempty"`
	// CAFile is the PEM certificate of the fake's TLS listener, for
	// vendors.<name>.ca_file.
	CAFile string `json:"ca_file"`
	// Cert is the POST /v1/certs body of the trusted certificate, without
	// its app id (secrets base64, as the API takes them).
	Cert api.CertRequest `json:"cert"`
	// Files are the file-shaped secrets (the .p8 key, the service-account
	// JSON) written beside the listen file, for `pushd certs add`.
	Files map[string]string `json:"files,omitempty"`
}

// FakeOptions configures RunFake.
type FakeOptions struct {
	// ListenFile is where FakeInfo is written (0600, replaced atomically);
	// the CA and credential files go in its directory.
	ListenFile string
	// Delay makes a vendor's fake answer every request after a delay; Hang
	// lists the vendors whose fakes never answer.
	Delay map[vendors.Vendor]time.Duration
	Hang  []vendors.Vendor
	// Log receives one line when the fakes are ready.
	Log io.Writer
}

// RunFake runs the fakes of every vendor until ctx is done: it generates a
// certificate per vendor and trusts it, counts what the fakes accept
// (without keeping the requests), serves the control endpoint and writes
// the listen file.
func RunFake(ctx context.Context, opts FakeOptions) error {
	if opts.ListenFile == "" {
		return errors.New("fake-vendor: --listen-file is required")
	}
	sb := fake.StartSandbox()
	defer sb.Close()
	rec := NewRecorder()
	sb.Observe(rec.Observe, false)
	for v, d := range opts.Delay {
		if sb.Server(v) == nil {
			return fmt.Errorf("fake-vendor: no fake for vendor %q", v)
		}
		sb.Server(v).SetDelay(d)
	}
	for _, v := range opts.Hang {
		if sb.Server(v) == nil {
			return fmt.Errorf("fake-vendor: no fake for vendor %q", v)
		}
		sb.Server(v).Hang()
	}
	info, err := prepareFakes(sb, filepath.Dir(opts.ListenFile))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: controlHandler(rec), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	info.Control = "http://" + ln.Addr().String()
	if err := writeJSONFile(opts.ListenFile, info); err != nil {
		return err
	}
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, "fake-vendor: ready, control on %s, listen file %s\n", info.Control, opts.ListenFile)
	}
	<-ctx.Done()
	return nil
}

// prepareFakes trusts a generated certificate per vendor and writes the
// CA and credential files into dir.
func prepareFakes(sb *fake.Sandbox, dir string) (*FakeInfo, error) {
	creds, err := newCredentials(sb.FCM.TokenURI())
	if err != nil {
		return nil, err
	}
	info := &FakeInfo{Vendors: map[string]FakeEndpoint{}}
	for _, c := range creds {
		if err := c.trust(sb); err != nil {
			return nil, fmt.Errorf("fake-vendor: trust %s: %w", c.vendor, err)
		}
		ep := sb.Endpoint(c.vendor)
		fe := FakeEndpoint{Endpoint: ep.URL, AuthEndpoint: ep.AuthURL, Cert: c.request(""),
			CAFile: filepath.Join(dir, "ca-"+string(c.vendor)+".pem"), Files: map[string]string{}}
		if err := sb.Server(c.vendor).WriteCA(fe.CAFile); err != nil {
			return nil, err
		}
		for name, file := range map[string]string{vendors.SecretP8: "AuthKey_BENCH00001.p8", vendors.SecretServiceAccount: "fcm-service-account.json"} {
			if b, ok := c.secrets[name]; ok {
				fe.Files[name] = filepath.Join(dir, file)
				if err := os.WriteFile(fe.Files[name], b, 0o600); err != nil {
					return nil, err
				}
			}
		}
		info.Vendors[string(c.vendor)] = fe
	}
	return info, nil
}

// controlHandler serves GET /stats and POST /reset.
func controlHandler(rec *Recorder) http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rec.Stats())
	})
	m.HandleFunc("POST /reset", func(w http.ResponseWriter, _ *http.Request) {
		rec.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	return m
}

// writeJSONFile writes v to path (0600) through a temporary file and a
// rename, so a reader never sees half of it.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
