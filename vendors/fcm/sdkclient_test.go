package fcm

import (
	"context"
	"os"
	"regexp"
	"testing"

	"google.golang.org/api/option"
)

// TestSDKVersion: the version sent in the SDK's headers is go.mod's, as
// firebase.Version would be.
func TestSDKVersion(t *testing.T) {
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*firebase\.google\.com/go/v4 v(\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod does not require firebase.google.com/go/v4")
	}
	if got := sdkVersion(); got != string(m[1]) {
		t.Fatalf("sdkVersion() = %q, go.mod has %q", got, m[1])
	}
	if sdkFallbackVersion != string(m[1]) {
		t.Fatalf("sdkFallbackVersion %q is not go.mod's %q: update it with the SDK", sdkFallbackVersion, m[1])
	}
}

// TestNewMessagingClient builds the SDK's client without its root package,
// and refuses what NewClient refuses.
func TestNewMessagingClient(t *testing.T) {
	ctx := context.Background()
	c, err := newMessagingClient(ctx, "proj", []option.ClientOption{option.WithEndpoint("https://fcm.example/v1"), option.WithoutAuthentication()})
	if err != nil || c == nil {
		t.Fatalf("newMessagingClient: %v, %v", c, err)
	}
	if _, err := newMessagingClient(ctx, "", nil); err == nil {
		t.Fatal("an empty project was accepted: the config's ProjectID did not reach NewClient")
	}
}
