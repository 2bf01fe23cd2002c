package bench

import (
	"regexp"
	"strconv"
	"time"
)

// ExtKey is the key of the enqueue time the bench puts in each job's ext,
// in Unix nanoseconds: ext = {"bench_t":1712345678901234567}.
const ExtKey = "bench_t"

// benchT finds ExtKey and its number in a vendor request body however the
// ext was embedded: raw JSON, a JSON string inside JSON (\"), a string
// inside a string inside JSON (\\\"), or any of those form-encoded (%22,
// %5C, %3A), as Xiaomi's form bodies are.
var benchT = regexp.MustCompile(ExtKey + `(?:\\|"|%5[cC]|%22|\s|\+)*(?::|%3[aA])(?:\s|\+)*(\d{1,19})\b`)

// ExtFor returns the ext of a job enqueued at t.
func ExtFor(t time.Time) string {
	return `{"` + ExtKey + `":` + strconv.FormatInt(t.UnixNano(), 10) + `}`
}

// EnqueuedAt returns the enqueue time found in body, false when there is
// none.
func EnqueuedAt(body []byte) (time.Time, bool) {
	m := benchT.FindSubmatch(body)
	if m == nil {
		return time.Time{}, false
	}
	ns, err := strconv.ParseInt(string(m[1]), 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}
