// Command gen writes the throwaway credentials of testdata/: an APNs .p8
// key, an APNs .p12 certificate, a Google service account and a Huawei
// (HarmonyOS NEXT) service-account key file. No real vendor trusts them.
// Run it from the repository root:
//
//	go run ./internal/testcreds/gen -out testdata
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pushd/pushd/internal/testcreds"
)

func main() {
	out := flag.String("out", "testdata", "directory to write into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	p8, err := testcreds.NewP8()
	if err != nil {
		return err
	}
	now := time.Now()
	p12, err := testcreds.NewP12("com.example.chat", "test-password", now.Add(-time.Hour), now.AddDate(5, 0, 0))
	if err != nil {
		return err
	}
	sa, err := testcreds.NewServiceAccount("pushd-test", "https://oauth2.googleapis.com/token")
	if err != nil {
		return err
	}
	hm, err := testcreds.NewHarmonyAccount("101000000000000001")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"AuthKey_TEST000001.p8":             p8.PEM,
		"apns-development.p12":              p12.Data,
		"fcm-service-account-test.json":     sa.JSON,
		"harmony-service-account-test.json": hm.JSON,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o600); err != nil {
			return err
		}
		fmt.Println("wrote", filepath.Join(out, name))
	}
	return nil
}
