package vendors

import "time"

// chinaTime is UTC+8 without daylight saving: the zone the Chinese vendors
// reset their daily quotas in. A fixed zone needs no tzdata on the host.
var chinaTime = time.FixedZone("CST", 8*60*60)

// NextChinaMidnight returns the next midnight in China time after now.
func NextChinaMidnight(now time.Time) time.Time {
	t := now.In(chinaTime)
	return time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, chinaTime)
}

// QuotaError classifies a daily-quota answer: RateLimited until the next
// midnight China time, when the vendor resets the quota.
func QuotaError(v Vendor, status int, code, msg string, now time.Time) *Error {
	return &Error{Vendor: v, Kind: RateLimited, Status: status, Code: code, Message: msg,
		RetryAfter: NextChinaMidnight(now).Sub(now)}
}
