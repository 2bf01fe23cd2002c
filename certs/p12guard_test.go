package certs

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
)

// encodeP12 encodes the fixture's key and certificate with enc.
func encodeP12(t *testing.T, enc *pkcs12.Encoder) []byte {
	t.Helper()
	f := newFixtures(t)
	data, err := enc.Encode(f.p12.Key, f.p12.Cert, nil, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// withMacJunk re-encodes data with its MacData claiming iterations and
// followed, inside the MacData SEQUENCE, by an element with a high tag
// number: encoding/asn1 (so go-pkcs12) ignores trailing elements of a
// SEQUENCE, the former TLV scan gave up on the whole SEQUENCE.
func withMacJunk(t *testing.T, data []byte, iterations int) []byte {
	t.Helper()
	var pfx p12PFX
	if err := strictUnmarshal(data, &pfx); err != nil {
		t.Fatal(err)
	}
	mac, err := asn1.Marshal(struct {
		Mac        any
		MacSalt    []byte
		Iterations int
		Junk       asn1.RawValue
	}{pfx.MacData.Mac, pfx.MacData.MacSalt, iterations, asn1.RawValue{FullBytes: []byte{0x5f, 0x81, 0x00, 0x00}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := asn1.Marshal(struct {
		Version  int
		AuthSafe p12ContentInfo
		MacData  asn1.RawValue
	}{pfx.Version, pfx.AuthSafe, asn1.RawValue{FullBytes: mac}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCheckP12Iterations(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	modern := encodeP12(t, pkcs12.Modern.WithIterations(1<<16))
	legacy := encodeP12(t, pkcs12.LegacyRC2)
	// Raise every 3-byte count 0x010000 to 0xffffff (about 2^24) in place.
	raised := bytes.ReplaceAll(modern, []byte{0x02, 0x03, 0x01, 0x00, 0x00}, []byte{0x02, 0x03, 0x7f, 0xff, 0xff})
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"fixture", f.p12.Data, nil},
		{"modern pbes2 at 65536", modern, nil},
		{"legacy rc2/3des", legacy, nil},
		{"every count raised to 2^23", raised, errTooManyIterations},
		{"mac claims 2^24 behind trailing junk", withMacJunk(t, modern, 1<<24), errTooManyIterations},
		{"mac claims 2^31-1 behind trailing junk", withMacJunk(t, legacy, 1<<31-1), errTooManyIterations},
		{"junk but a normal count", withMacJunk(t, modern, 2048), nil},
		{"trailing data after the pfx", append(bytes.Clone(modern), 0), errP12Structure},
		{"garbage", []byte("not asn.1 at all"), errP12Structure},
		{"truncated", modern[:len(modern)/2], errP12Structure},
		{"too large", append(bytes.Clone(modern), make([]byte, maxP12Bytes)...), errP12Structure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := checkP12Iterations(tt.in); !errors.Is(got, tt.want) {
				t.Errorf("checkP12Iterations = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestP12IterationGuard(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	modern := encodeP12(t, pkcs12.Modern.WithIterations(1<<16))
	for name, crafted := range map[string][]byte{
		"raised in place": bytes.ReplaceAll(modern, []byte{0x02, 0x03, 0x01, 0x00, 0x00}, []byte{0x02, 0x03, 0x7f, 0xff, 0xff}),
		"behind junk":     withMacJunk(t, modern, 1<<24),
	} {
		up := f.apnsP12()
		up.Secrets["p12"] = crafted
		_, err := Validate(&up, testNow())
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != "p12" || !strings.Contains(err.Error(), "key-derivation iterations") {
			t.Errorf("%s: Validate = %v, want the p12 iteration refusal", name, err)
		}
	}
	// The modern file itself still validates.
	up := f.apnsP12()
	up.Secrets["p12"] = modern
	if _, err := Validate(&up, testNow()); err != nil {
		t.Errorf("a .p12 at 65536 iterations is refused: %v", err)
	}
}
