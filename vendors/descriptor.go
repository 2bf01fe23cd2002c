package vendors

import "strings"

// Descriptor is everything pushd knows about one vendor, declared once in
// the vendor's own package (vendors/<name>/descriptor.go) and listed once
// in vendors/registry. Configuration, certificate validation, rendering,
// badges, the sandbox, the CLI and the docs all read it; none of them
// switches on a vendor name.
type Descriptor struct {
	// Name is the vendor's name in the API, the configuration and Redis.
	Name Vendor
	// Android means the vendor delivers to Android devices only, or to
	// phones that behave alike (HarmonyOS NEXT): it has click actions and
	// requires a title.
	Android bool
	// Fields are the certificate's settings and secrets with their
	// validation (SPEC §3.1).
	Fields []FieldSpec
	// Format names the secret material certs parses beyond the field
	// rules (FormatApple, FormatServiceAccount), "" for none.
	Format string
	// Limits are the title/body limits and how characters are counted.
	Limits Limits
	// Ext says where ext goes in the vendor's payload and how much of it
	// the vendor carries.
	Ext ExtSpec
	// Badge means the vendor sets a launcher badge pushd counts.
	Badge bool
	// Options are the job's offline_push.android keys this vendor maps.
	Options AndroidKeys
	// CollapseField is the vendor field a message id becomes, so a
	// duplicate replaces the first notification.
	CollapseField string
	// Replaces means a push carrying the collapse/notify id of a shown
	// notification replaces it on the phone (recall, read elsewhere,
	// burst coalescing); the adapter derives those ids from
	// Notification.ReplaceKey.
	Replaces bool
	// Updates bounds burst coalescing's updates of a shown notification
	// (the first alert included); the zero value is no bound.
	Updates UpdateLimits
	// Batch is how many tokens one request carries.
	Batch int
	// Concurrency is the requests one process keeps in flight to the
	// vendor by default (worker.vendor_concurrency overrides it;
	// DefaultConcurrency when 0).
	Concurrency int
	// DataPush means the vendor has a data (pass-through) message the app
	// receives without anything shown: an id_only push carries its ids
	// there; a vendor without one gets the hidden preview instead.
	DataPush bool
	// Receipts are the vendor's delivery receipts, posted to pushd's
	// receipt endpoint; nil when it sends none.
	Receipts *ReceiptSpec
	// Silent names the fields that make a push.no_sound push silent, ""
	// when the vendor has no silent mode.
	Silent string
	// Endpoints are the vendor's production hosts and how auth_endpoint
	// is read.
	Endpoints Endpoints
	// Build makes the vendor's Sender for one certificate.
	Build Builder
	// Fake starts the vendor's loopback fake (vendors/fake); the registry
	// wires it. A vendor without one cannot run in the sandbox.
	Fake func() Fake
	// Check, when set, validates a certificate beyond the field rules (a
	// private key that must parse, ids that go into a URL, a click action
	// the vendor cannot open); certs runs it on every upload after the
	// field rules and Format, on the normalized upload. It returns a
	// *FieldError, whose Reason never quotes a secret.
	Check func(cred *Credential) error
}

// FieldError is a certificate setting or secret a descriptor's Check
// refuses: certs answers it as a validation error naming Field.
type FieldError struct {
	Field  string
	Reason string
}

// Error returns "field: reason".
func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// The secret formats certs parses (Descriptor.Format).
const (
	FormatApple          = "apple"           // .p8 key or .p12 certificate
	FormatServiceAccount = "service_account" // Google service-account JSON
)

// UpdateLimits are what a vendor allows of the pushes that update one
// shown notification in a burst.
type UpdateLimits struct {
	// Max is the most pushes of one coalescing window, 0 for no bound.
	Max int
	// NeedChannel means updates need a notification channel (the job's
	// or the certificate's channel_id): the vendor's default channel
	// allows too few messages a day to spend them on updates.
	NeedChannel bool
}

// ExtSpec is where a vendor carries ext and how much of it.
type ExtSpec struct {
	// Placement is the payload field ext goes into ("data.ext", …).
	Placement string
	// Limit is the largest ext in bytes the vendor carries with any
	// title, body and options (the text is shortened to make room).
	Limit int
}

// AndroidKeys are the keys of offline_push.android a vendor maps; ""
// means the vendor has no such option. Rendering fills a Notification's
// options from these keys only, and docs/rules.md lists them per vendor.
type AndroidKeys struct {
	ChannelID, Category, Importance, Classification string
	// Sound is the key of the Android ringtone ("sound").
	Sound string
	// Image is the key of the vendor's image URL ("huawei_image",
	// "fcm_image", or "apns.image" for APNs' offline_push.apns.image).
	Image string
	// PushStyle is the key of the big-text style ("push_style").
	PushStyle string
	// NotifyLevel is OPPO's "oppo_notify_level".
	NotifyLevel string
	// Template is OPPO's "oppo_private_template_id" (with its title and
	// content parameters).
	Template string
	// NotifyType is vivo's "vivo_notify_type".
	NotifyType string
	// NoticeMsgType is Meizu's "meizu_notice_msg_type".
	NoticeMsgType string
	// Priority is FCM's "fcm_priority".
	Priority string
	// Alert is "apns" for the vendor that maps offline_push.apns (title,
	// subtitle, mutable content, interruption level, content available).
	Alert string
	// BadgeAdd means the vendor's badge can add on the device (Huawei and
	// Honor badge.add_num), so offline_push.badge_add reaches bindings
	// whose count pushd does not keep.
	BadgeAdd bool
}

// Endpoints are a vendor's default hosts.
type Endpoints struct {
	// Send is the production send host.
	Send string
	// Auth is the production token endpoint ("" when the vendor signs its
	// requests instead).
	Auth string
	// AuthPath is the path of the token endpoint below Auth, so that
	// vendors.<name>.auth_endpoint may be a full URL or a base.
	AuthPath string
}

// Fake is a running loopback fake of one vendor.
type Fake interface {
	// Endpoint points an adapter at the fake, with a client trusting it.
	Endpoint() Endpoint
	// Trust makes the fake accept cred as if the vendor had issued it.
	Trust(cred *Credential) error
	// Close stops the fake.
	Close()
}

// AuthURL returns the token URL for an operator's auth_endpoint: a full
// URL ending in AuthPath is used as given, a base gets AuthPath appended,
// and "" is the vendor's default.
func (e Endpoints) AuthURL(configured string) string {
	switch {
	case configured == "":
		return strings.TrimSuffix(e.Auth, "/") + e.AuthPath
	case e.AuthPath == "" || strings.HasSuffix(strings.TrimSuffix(configured, "/"), e.AuthPath):
		return configured
	}
	return strings.TrimSuffix(configured, "/") + e.AuthPath
}

// Field returns the spec of the field or secret name.
func (d *Descriptor) Field(name string) (FieldSpec, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return FieldSpec{}, false
}
