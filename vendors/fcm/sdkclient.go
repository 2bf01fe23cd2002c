package fcm

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"

	"firebase.google.com/go/v4/messaging"
	"google.golang.org/api/option"
)

// sdkModule is the Firebase Admin SDK's module path.
const sdkModule = "firebase.google.com/go/v4"

// newMessagingClient returns the SDK's messaging client for project, as
// firebase.App.Messaging makes it: messaging.NewClient with the config
// {Opts, ProjectID, Version} (firebase.go in the SDK, v4.19.0).
//
// It does so without importing the SDK's root package, whose only use
// here was NewApp(…).Messaging(…): that package imports every Firebase
// product — Firestore, Cloud Storage, Realtime Database, Auth and with
// them gRPC, xDS and their protocol buffers — and their start-up alone
// costs every pushd process 11.5 MB of resident memory (a program that
// imports the root package: 23.9 MB; the messaging package alone: 12.3
// MB). messaging.NewClient takes a *internal.MessagingConfig, a type of
// the SDK's internal package that code outside the SDK cannot name, so
// the config is built through reflection from NewClient's own signature.
// Should the SDK change that type, this returns an error naming the
// field, and the fcm tests (which build a Sender) fail.
func newMessagingClient(ctx context.Context, project string, opts []option.ClientOption) (*messaging.Client, error) {
	fn := reflect.ValueOf(messaging.NewClient)
	ft := fn.Type()
	if ft.NumIn() != 2 || ft.In(1).Kind() != reflect.Pointer || ft.In(1).Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("fcm: messaging.NewClient of %s has the signature %s, not (ctx, *MessagingConfig)", sdkModule, ft)
	}
	conf := reflect.New(ft.In(1).Elem())
	for name, v := range map[string]any{"ProjectID": project, "Version": sdkVersion(), "Opts": opts} {
		f := conf.Elem().FieldByName(name)
		if !f.IsValid() || !f.CanSet() || !reflect.TypeOf(v).AssignableTo(f.Type()) {
			return nil, fmt.Errorf("fcm: the messaging config of %s has no settable field %s of type %T", sdkModule, name, v)
		}
		f.Set(reflect.ValueOf(v))
	}
	out := fn.Call([]reflect.Value{reflect.ValueOf(ctx), conf})
	if err, _ := out[1].Interface().(error); err != nil {
		return nil, err
	}
	c, _ := out[0].Interface().(*messaging.Client)
	if c == nil {
		return nil, errors.New("fcm: messaging.NewClient returned no client")
	}
	return c, nil
}

// sdkVersion is the SDK's version as firebase.Version spells it
// ("4.19.0"), read from the binary's module list: the SDK sends it in
// X-Firebase-Client and X-Goog-Api-Client.
var sdkVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == sdkModule {
				if m.Replace != nil {
					m = m.Replace
				}
				if v := strings.TrimPrefix(m.Version, "v"); v != "" && v != "(devel)" {
					return v
				}
			}
		}
	}
	return sdkFallbackVersion
})

// sdkFallbackVersion is go.mod's version of the SDK, for a binary built
// without module information.
const sdkFallbackVersion = "4.19.0"
