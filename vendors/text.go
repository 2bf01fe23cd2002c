package vendors

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Ellipsis ends a truncated text.
const Ellipsis = "…"

// Limits are a vendor's text and payload limits.
type Limits struct {
	// Title and Body are the maximum lengths in characters (runes), or in
	// display width when Wide is set; 0 means no limit of its own.
	Title, Body int
	// Wide counts East Asian wide characters as two (vivo's "20 Chinese or 40
	// Latin characters").
	Wide bool
	// Payload is the maximum encoded payload in bytes; 0 means none.
	Payload int
}

// LimitsOf returns the limits of v, from its descriptor.
func LimitsOf(v Vendor) Limits {
	d, _ := Lookup(v)
	return d.Limits
}

// Truncate cuts s to at most max characters (by width when wide), ending it
// with Ellipsis when it had to cut. It never splits a UTF-8 sequence and
// replaces invalid UTF-8 with U+FFFD. max <= 0 means no limit.
func Truncate(s string, max int, wide bool) string {
	if !utf8.ValidString(s) {
		s = toValidUTF8(s)
	}
	if max <= 0 || width(s, wide) <= max {
		return s
	}
	budget := max - width(Ellipsis, wide)
	out := make([]rune, 0, max)
	used := 0
	for _, r := range s {
		w := runeWidth(r, wide)
		if used+w > budget {
			break
		}
		out = append(out, r)
		used += w
	}
	return string(out) + Ellipsis
}

// Fit truncates n's title and body to l's character limits.
func (l Limits) Fit(n *Notification) {
	n.Title = Truncate(n.Title, l.Title, l.Wide)
	n.Body = Truncate(n.Body, l.Body, l.Wide)
}

// ErrExtTooLarge reports an ext that does not fit the vendor's payload limit
// even with an empty body: the job is rejected rather than ext dropped.
var ErrExtTooLarge = errors.New("ext too large for the vendor's payload limit")

// ShrinkToFit shortens n.Body (then n.Title) by runes until size(n) is at
// most limit bytes. size encodes the vendor payload and returns its length.
// When even an empty body and title do not fit, it returns a Rejected
// *Error wrapping ErrExtTooLarge: ext is never dropped silently.
func ShrinkToFit(v Vendor, n *Notification, limit int, size func(*Notification) (int, error)) error {
	if limit <= 0 {
		return nil
	}
	got, err := size(n)
	if err != nil || got <= limit {
		return err
	}
	for _, field := range []*string{&n.Body, &n.Title} {
		full := []rune(*field)
		// Binary search the longest prefix that fits.
		lo, hi := 0, len(full)
		for lo < hi {
			mid := (lo + hi + 1) / 2
			*field = Truncate(string(full), mid, false)
			if got, err = size(n); err != nil {
				return err
			}
			if got <= limit {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		*field = Truncate(string(full), lo, false)
		if lo == 0 {
			*field = ""
		}
		if got, err = size(n); err != nil || got <= limit {
			return err
		}
	}
	cause := fmt.Errorf("%w: %d bytes of ext and options exceed %d", ErrExtTooLarge, got, limit)
	return &Error{Vendor: v, Kind: Rejected, Code: "PayloadTooLarge", Message: cause.Error(), Err: cause}
}

func width(s string, wide bool) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r, wide)
	}
	return n
}

func runeWidth(r rune, wide bool) int {
	if wide && isWide(r) {
		return 2
	}
	return 1
}

func isWide(r rune) bool {
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hangul, r) ||
		unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) ||
		(r >= 0xFF01 && r <= 0xFF60) || (r >= 0x3000 && r <= 0x303F)
}

func toValidUTF8(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		out = append(out, r) // range yields U+FFFD for invalid bytes
	}
	return string(out)
}
