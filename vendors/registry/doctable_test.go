package registry

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the vendor table of docs/rules.md")

const (
	rulesDoc   = "../../docs/rules.md"
	tableStart = "<!-- vendor-table: generated from the descriptors by go test ./vendors/registry -update -->\n"
	tableEnd   = "<!-- /vendor-table -->\n"
)

// vendorTable is the table of docs/rules.md, one row per registered
// vendor, from its descriptor alone.
func vendorTable(indent string) string {
	var b strings.Builder
	b.WriteString(indent + "| vendor | ext goes to | ext limit (bytes) | badge | tokens per request | silent mode for `push.no_sound` | `id_only` | receipts |\n")
	b.WriteString(indent + "|---|---|---|---|---|---|---|---|\n")
	for _, d := range Descriptors() {
		silent := "**none**: the vendor has no silent mode"
		if d.Silent != "" {
			silent = d.Silent
		}
		badge := "—"
		if d.Badge {
			badge = "counted"
		}
		idOnly := "hidden (no data message)"
		if d.DataPush {
			idOnly = "data message"
		}
		receipts := "—"
		switch {
		case d.Receipts != nil && d.Receipts.Clicks:
			receipts = "delivered, clicked"
		case d.Receipts != nil:
			receipts = "delivered"
		}
		fmt.Fprintf(&b, "%s| %s | `%s` | %d | %s | %d | %s | %s | %s |\n", indent, d.Name, d.Ext.Placement, d.Ext.Limit, badge, d.Batch, silent, idOnly, receipts)
	}
	return b.String()
}

// TestDocsVendorTable: the vendor table of docs/rules.md is the
// descriptors' (issue 12: the docs' vendor table derives from them).
func TestDocsVendorTable(t *testing.T) {
	raw, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, tableStart), strings.Index(doc, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("docs/rules.md has no generated vendor table (%q … %q)", tableStart, tableEnd)
	}
	lineStart := strings.LastIndex(doc[:i], "\n") + 1
	indent := doc[lineStart:i]
	want := vendorTable(indent)
	got := doc[i+len(tableStart) : j-len(indent)]
	if got == want {
		return
	}
	if !*update {
		t.Fatalf("docs/rules.md's vendor table is stale: go test ./vendors/registry -update\nwant:\n%s", want)
	}
	doc = doc[:i+len(tableStart)] + want + doc[j-len(indent):]
	if err := os.WriteFile(rulesDoc, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
}
