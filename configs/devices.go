package configs

import "time"

// Devices bounds how long device state lives without a new report from
// the device (devices.Store applies them).
type Devices struct {
	// ForegroundTTL is how long a foreground report holds: a binding whose
	// last state report is a foreground one older than this is treated as
	// in the background (its app crashed or was killed without reporting).
	ForegroundTTL time.Duration `mapstructure:"foreground_ttl"`
	// BindingTTL is how long a binding lives without being reported again
	// (login or state report); past it the binding is dropped when next
	// resolved, with the rule binding_expired.
	BindingTTL time.Duration `mapstructure:"binding_ttl"`
}

func (d Devices) validate(p *problems) {
	p.addf(d.ForegroundTTL < time.Second, "devices.foreground_ttl: must be at least 1s")
	p.addf(d.BindingTTL < time.Hour, "devices.binding_ttl: must be at least 1h")
}
