package certs

import "errors"

// maxP12Iterations bounds the key-derivation iteration counts a .p12 may
// ask for. Exporters use 2,000 (Keychain, OpenSSL) to 600,000 (hardened
// PBKDF2); a crafted file asking for 2^31 would keep the decoder busy for
// minutes, since go-pkcs12 honours whatever count the file names.
const maxP12Iterations = 1 << 20

// maxASN1Depth bounds the nesting the scan follows.
const maxASN1Depth = 24

// errTooManyIterations reports a count above maxP12Iterations.
var errTooManyIterations = errors.New("iteration count too high")

// checkP12Iterations scans a .p12 (DER or BER) for iteration counts and
// refuses any above maxP12Iterations. PKCS#12 keeps every count in the same
// shape: an INTEGER right after the salt OCTET STRING of a SEQUENCE
// (MacData, PBEParameter, PBKDF2-params). Counts inside encrypted content are
// out of sight until decryption; the decoder meets those only after the
// outer ones were checked. Input the scan cannot parse is left to the
// decoder, which reports it.
func checkP12Iterations(data []byte) error {
	return scanTLVs(data, 0)
}

// tlv is one BER element: its tag byte, whether it is constructed, and its
// contents.
type tlv struct {
	tag         byte
	constructed bool
	body        []byte
}

// scanTLVs checks the elements of b; content that is not BER is ignored.
func scanTLVs(b []byte, depth int) error {
	elems, ok := parseTLVs(b, depth)
	if !ok || depth > maxASN1Depth {
		return nil
	}
	for i, e := range elems {
		if i > 0 && e.tag == 0x02 && elems[i-1].tag == 0x04 && bigInteger(e.body) {
			return errTooManyIterations
		}
		body := e.body
		if e.tag == 0x04 && e.constructed {
			body = octets(e.body, depth)
		}
		if e.constructed || e.tag == 0x04 {
			if err := scanTLVs(body, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

// bigInteger reports whether a positive INTEGER body exceeds
// maxP12Iterations.
func bigInteger(body []byte) bool {
	if len(body) == 0 || body[0]&0x80 != 0 {
		return false
	}
	if len(body) > 4 {
		return true
	}
	n := 0
	for _, c := range body {
		n = n<<8 | int(c)
	}
	return n > maxP12Iterations
}

// octets joins the chunks of a BER constructed OCTET STRING.
func octets(b []byte, depth int) []byte {
	elems, ok := parseTLVs(b, depth)
	if !ok {
		return nil
	}
	var out []byte
	for _, e := range elems {
		out = append(out, e.body...)
	}
	return out
}

// parseTLVs splits b into consecutive elements, which must fill it
// exactly. Only single-byte tags occur in PKCS#12.
func parseTLVs(b []byte, depth int) ([]tlv, bool) {
	var out []tlv
	for len(b) > 0 {
		e, rest, ok := parseTLV(b, depth)
		if !ok {
			return nil, false
		}
		out = append(out, e)
		b = rest
	}
	return out, true
}

// parseTLV reads one element with a definite or (BER) indefinite length.
func parseTLV(b []byte, depth int) (tlv, []byte, bool) {
	if len(b) < 2 || b[0]&0x1f == 0x1f || depth > maxASN1Depth {
		return tlv{}, nil, false
	}
	e := tlv{tag: b[0] &^ 0x20, constructed: b[0]&0x20 != 0}
	l, b := int(b[1]), b[2:]
	switch {
	case l == 0x80:
		return parseIndefinite(e, b, depth)
	case l > 0x80:
		n := l & 0x7f
		if n > 4 || len(b) < n {
			return tlv{}, nil, false
		}
		l = 0
		for _, c := range b[:n] {
			l = l<<8 | int(c)
		}
		b = b[n:]
	}
	if l < 0 || l > len(b) {
		return tlv{}, nil, false
	}
	e.body = b[:l]
	return e, b[l:], true
}

// parseIndefinite reads the children of an indefinite-length element up
// to its end-of-contents marker.
func parseIndefinite(e tlv, b []byte, depth int) (tlv, []byte, bool) {
	if !e.constructed {
		return tlv{}, nil, false
	}
	start := b
	for {
		if len(b) >= 2 && b[0] == 0 && b[1] == 0 {
			e.body = start[:len(start)-len(b)]
			return e, b[2:], true
		}
		_, rest, ok := parseTLV(b, depth+1)
		if !ok {
			return tlv{}, nil, false
		}
		b = rest
	}
}
