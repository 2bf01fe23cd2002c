package vendorhttp

import "sync/atomic"

// ChannelCounter counts the tokens a sender sent to without a notification
// channel (neither the job nor the certificate named one). The vendor
// accepts them, but the push lands in a channel the device may hide or
// throttle (OPPO on Android 8+; Xiaomi's default channel allows about one
// message a day [vendor-protocols.md §3 extra.channel_id]), so the app
// reports each one as a pushd_warnings_total warning. An adapter embeds
// it: its MissingChannel and OnMissingChannel are the sender's. The zero
// value is ready to use and safe for concurrent use.
type ChannelCounter struct {
	missing   atomic.Uint64
	onMissing atomic.Pointer[func(tokens int)]
}

// MissingChannel returns how many tokens were sent to without a channel.
func (c *ChannelCounter) MissingChannel() uint64 { return c.missing.Load() }

// OnMissingChannel installs f, called after each send that went out
// without a channel with the number of tokens it carried. nil removes it.
func (c *ChannelCounter) OnMissingChannel(f func(tokens int)) {
	if f == nil {
		c.onMissing.Store(nil)
		return
	}
	c.onMissing.Store(&f)
}

// Count records a send to tokens without a channel.
func (c *ChannelCounter) Count(tokens int) {
	c.missing.Add(uint64(tokens))
	if f := c.onMissing.Load(); f != nil {
		(*f)(tokens)
	}
}
