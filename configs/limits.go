package configs

// Default per-app limits of the API (see Limits).
const (
	// DefaultJobsPerSecond is each app's enqueue rate per API process.
	DefaultJobsPerSecond = 10000
	// DefaultMaxRecipients bounds the recipients of one job.
	DefaultMaxRecipients = 10000
	// DefaultMaxDevices bounds the explicit devices of one job.
	DefaultMaxDevices = 1000
)

// Limits bound what an app may enqueue. They are enforced by the API: the
// rate with a token bucket per app in each API process (N API processes
// admit up to N times the rate), the sizes per job.
type Limits struct {
	// JobsPerSecond is the sustained enqueue rate of an app; 0 = no limit.
	JobsPerSecond float64 `mapstructure:"jobs_per_second"`
	// Burst is how many jobs an app may enqueue at once above the rate;
	// 0 means one second's worth (JobsPerSecond, at least 1).
	Burst int `mapstructure:"burst"`
	// MaxRecipients bounds a job's recipients; 0 = the contract's maximum.
	MaxRecipients int `mapstructure:"max_recipients"`
	// MaxDevices bounds a job's explicit devices; 0 = the contract's maximum.
	MaxDevices int `mapstructure:"max_devices"`
	// Apps overrides any of the above for one app_id; unset (zero) keys
	// keep the defaults above.
	Apps map[string]AppLimits `mapstructure:"apps"`
}

// AppLimits are one app's overrides; a zero field keeps the default.
type AppLimits struct {
	JobsPerSecond float64 `mapstructure:"jobs_per_second"`
	Burst         int     `mapstructure:"burst"`
	MaxRecipients int     `mapstructure:"max_recipients"`
	MaxDevices    int     `mapstructure:"max_devices"`
}

// For returns the limits of app: its overrides over the defaults.
func (l Limits) For(app string) AppLimits {
	out := AppLimits{JobsPerSecond: l.JobsPerSecond, Burst: l.Burst, MaxRecipients: l.MaxRecipients, MaxDevices: l.MaxDevices}
	o, ok := l.Apps[app]
	if !ok {
		return out
	}
	if o.JobsPerSecond != 0 {
		out.JobsPerSecond = o.JobsPerSecond
	}
	if o.Burst != 0 {
		out.Burst = o.Burst
	}
	if o.MaxRecipients != 0 {
		out.MaxRecipients = o.MaxRecipients
	}
	if o.MaxDevices != 0 {
		out.MaxDevices = o.MaxDevices
	}
	return out
}

func (l Limits) validate(p *problems) {
	l.For("").check("limits", p)
	for app, o := range l.Apps {
		if !ValidAppID(app) {
			p.addf(true, "limits.apps.%s: not an app id", app)
			continue
		}
		o.check("limits.apps."+app, p)
	}
}

func (a AppLimits) check(prefix string, p *problems) {
	p.addf(badRate(a.JobsPerSecond), "%s.jobs_per_second: must be 0 (no limit) or a positive number", prefix)
	p.addf(a.Burst < 0, "%s.burst: must not be negative", prefix)
	p.addf(a.MaxRecipients < 0, "%s.max_recipients: must not be negative", prefix)
	p.addf(a.MaxDevices < 0, "%s.max_devices: must not be negative", prefix)
}
