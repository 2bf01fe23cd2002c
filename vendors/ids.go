package vendors

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash/fnv"
)

// CollapseID derives a vendor collapse/dedupe id of at most max bytes from a
// message id: the id itself when it fits and is printable ASCII, otherwise a
// hex SHA-256 prefix. The same message always gives the same id, so a
// duplicate sent after a crash replaces the first notification.
func CollapseID(id string, max int) string {
	if len(id) <= max && printableASCII(id) {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	h := hex.EncodeToString(sum[:])
	if max < len(h) {
		return h[:max]
	}
	return h
}

// NotificationUUID derives the canonical UUID (8-4-4-4-12 lowercase hex,
// version 8, RFC 9562 variant) that names one message's notification to
// one device, from the message id and the device's TokenHash: the APNs
// apns-id. Anyone holding an event (msg_id, token hash) can recompute it.
func NotificationUUID(msgID, tokenHash string) string {
	h := sha256.New()
	h.Write([]byte(msgID))
	h.Write([]byte{0})
	h.Write([]byte(tokenHash))
	var b [16]byte
	copy(b[:], h.Sum(nil))
	b[6] = b[6]&0x0f | 0x80 // version 8: custom
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	x := hex.EncodeToString(b[:])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// ShortKey derives an id of exactly n characters from [0-9a-zA-Z_-] (Meizu
// notifyKey, Xiaomi jobkey).
func ShortKey(id string, n int) string {
	sum := sha256.Sum256([]byte(id))
	s := base64.RawURLEncoding.EncodeToString(sum[:])
	if n < len(s) {
		return s[:n]
	}
	return s
}

// NotifyID derives a positive 31-bit notification id from a message id, for
// vendors whose "same id replaces" field is an integer (Xiaomi notify_id,
// Huawei/Honor notify_id, vivo notifyId).
func NotifyID(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	v := int(h.Sum32() & 0x7fffffff)
	if v == 0 {
		v = 1
	}
	return v
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
