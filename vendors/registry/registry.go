// Package registry is the one list of vendors in pushd: one line per
// vendor, each the vendor package's Descriptor with its fake wired in.
// Importing it installs the list into the vendors catalog, which config
// validation, certificate validation, rendering, badges, the sandbox, the
// CLI and the docs read.
//
// It lives here, not in package vendors (the adapters import vendors, so
// vendors cannot import them) nor in internal/app (configs, certs and the
// dispatcher import this package and must not import the wiring above
// them). Nothing below it imports it: vendors/<name> and vendors/fake
// import only vendors and internal helpers.
package registry

import (
	"github.com/pushd/pushd/vendors"
	"github.com/pushd/pushd/vendors/apns"
	"github.com/pushd/pushd/vendors/fake"
	"github.com/pushd/pushd/vendors/fcm"
	"github.com/pushd/pushd/vendors/harmony"
	"github.com/pushd/pushd/vendors/honor"
	"github.com/pushd/pushd/vendors/huawei"
	"github.com/pushd/pushd/vendors/meizu"
	"github.com/pushd/pushd/vendors/oppo"
	"github.com/pushd/pushd/vendors/vivo"
	"github.com/pushd/pushd/vendors/xiaomi"
)

// Descriptors returns every vendor pushd delivers through, in display
// order. Adding a vendor is one line here and its package.
func Descriptors() []vendors.Descriptor {
	return []vendors.Descriptor{
		with(apns.Descriptor(), fake.StartAPNs),
		with(fcm.Descriptor(), fake.StartFCM),
		with(xiaomi.Descriptor(), fake.StartXiaomi),
		with(huawei.Descriptor(), fake.StartHuawei),
		with(honor.Descriptor(), fake.StartHonor),
		with(oppo.Descriptor(), fake.StartOPPO),
		with(vivo.Descriptor(), fake.StartVivo),
		with(meizu.Descriptor(), fake.StartMeizu),
		with(harmony.Descriptor(), fake.StartHarmony),
	}
}

// installed is the catalog's size once Descriptors is installed; the
// installation runs when the package is initialised, before any importer
// reads the catalog.
var installed = vendors.Install(Descriptors()...)

// Installed reports how many vendors the catalog was given; callers use
// it to make their dependency on the installation explicit.
func Installed() int { return installed }

func with(d vendors.Descriptor, start func() vendors.Fake) vendors.Descriptor {
	d.Fake = start
	return d
}
