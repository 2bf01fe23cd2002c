package certs

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// der builds a definite-length element (short or long form).
func der(tag byte, body ...[]byte) []byte {
	b := bytes.Join(body, nil)
	switch n := len(b); {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, b...)
	default:
		return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, b...)
	}
}

// ber builds an indefinite-length constructed element.
func ber(tag byte, body ...[]byte) []byte {
	return append(append([]byte{tag, 0x80}, bytes.Join(body, nil)...), 0, 0)
}

func TestCheckP12Iterations(t *testing.T) {
	t.Parallel()
	salt := der(0x04, []byte("12345678"))
	params := func(iter []byte) []byte { return der(0x30, salt, der(0x02, iter)) }
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"der 2048", der(0x30, params([]byte{0x08, 0x00})), nil},
		{"der 600000", der(0x30, params([]byte{0x09, 0x27, 0xc0})), nil},
		{"der 2^24", der(0x30, params([]byte{0x01, 0x00, 0x00, 0x00})), errTooManyIterations},
		{"der 5-byte integer", der(0x30, params([]byte{0x01, 0, 0, 0, 0})), errTooManyIterations},
		{"negative integer ignored", der(0x30, params([]byte{0xff, 0xff, 0xff, 0xff})), nil},
		{"inside an octet string", der(0x30, der(0x04, der(0x30, params([]byte{0x7f, 0, 0})))), errTooManyIterations},
		{"inside [0] explicit", der(0x30, der(0xa0, params([]byte{0x7f, 0, 0}))), errTooManyIterations},
		{"ber indefinite", ber(0x30, ber(0xa0, params([]byte{0x7f, 0, 0}))), errTooManyIterations},
		{"ber constructed octet string", ber(0x30, ber(0x24, der(0x04, params([]byte{0x7f, 0, 0})[:5]), der(0x04, params([]byte{0x7f, 0, 0})[5:]))), errTooManyIterations},
		{"integer not after a salt", der(0x30, der(0x02, []byte{0x7f, 0, 0, 0})), nil},
		{"garbage", []byte("not asn.1 at all"), nil},
		{"truncated", der(0x30, params([]byte{0x7f, 0, 0}))[:6], nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkP12Iterations(tt.in); !errors.Is(got, tt.want) {
				t.Errorf("checkP12Iterations = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestP12IterationGuard(t *testing.T) {
	t.Parallel()
	f := newFixtures(t)
	if err := checkP12Iterations(f.p12.Data); err != nil {
		t.Fatalf("a normal .p12 is refused: %v", err)
	}
	// Re-encode with 65536 (0x010000) iterations, then raise every count
	// to 0x7f0000 in place; the guard must refuse before any derivation.
	data, err := pkcs12.Modern.WithIterations(1<<16).Encode(f.p12.Key, f.p12.Cert, nil, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkP12Iterations(data); err != nil {
		t.Fatalf("65536 iterations refused: %v", err)
	}
	crafted := bytes.ReplaceAll(data, []byte{0x02, 0x03, 0x01, 0x00, 0x00}, []byte{0x02, 0x03, 0x7f, 0x00, 0x00})
	up := f.apnsP12()
	up.Secrets["p12"] = crafted
	start := time.Now()
	_, err = Validate(&up, testNow())
	if err == nil || !strings.Contains(err.Error(), "key-derivation iterations") {
		t.Errorf("crafted .p12 = %v, want the iteration refusal", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("refusing took %v", d)
	}
}
