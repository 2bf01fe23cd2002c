package fake_test

// The sandbox starts the fakes of the installed catalog; importing the
// registry installs it.
import _ "github.com/pushd/pushd/vendors/registry"
