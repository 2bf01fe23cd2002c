package vendors

import (
	"crypto/sha256"
	"encoding/hex"
)

// TokenHash is how a device token appears in logs, events and metrics: the
// first 12 hex digits of its SHA-256. Full tokens are never logged.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:6])
}
