package configs

import (
	"strings"
	"testing"
)

func TestMasterKeyPrevious(t *testing.T) {
	const prev = "cHJldmlvdXMta2V5LXByZXZpb3VzLWtleS0wMDAwMDA="
	t.Setenv("PUSHD_MASTER_KEY_PREVIOUS", prev)
	c, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if c.MasterKeyPrevious != prev {
		t.Fatalf("MasterKeyPrevious = %q, want the PUSHD_MASTER_KEY_PREVIOUS value", c.MasterKeyPrevious)
	}
	shown := c.Redacted()
	if shown.MasterKeyPrevious != "<redacted>" {
		t.Errorf("Redacted().MasterKeyPrevious = %q, want <redacted>", shown.MasterKeyPrevious)
	}
	if m := shown.Map(); m["master_key_previous"] != "<redacted>" {
		t.Errorf("Map()[master_key_previous] = %v", m["master_key_previous"])
	}
	if c.MasterKeyPrevious != prev {
		t.Error("Redacted modified the original")
	}
	if strings.Contains(shown.MasterKeyPrevious, "cHJl") {
		t.Error("redacted config leaks the previous key")
	}
}
