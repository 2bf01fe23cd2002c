package vivo

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pushd/pushd/vendors"
)

// Delivery receipts [vendor-protocols.md §6: extra.callback (≤128 bytes)
// and extra.callback.param (≤64, errors 10305/10306); receipts only for
// single pushes in formal mode]. vivo POSTs a JSON object keyed by taskId,
// each value {"param", "targets": "<regId,…>"} [UNCERTAIN: the body was
// not captured from vivo's page; this is the shape third-party receivers
// read]. vivo does not sign receipts; the signed param is their proof.
// vivo expects HTTP 200.

// ReceiptEntry is one task's receipt.
type ReceiptEntry struct {
	Param   string `json:"param"`
	Targets string `json:"targets"`
}

// ParseReceipts reads a receipt POST: one delivered Receipt per target of
// each task.
func ParseReceipts(req vendors.ReceiptRequest) ([]vendors.Receipt, error) {
	var data map[string]ReceiptEntry
	if err := json.Unmarshal(req.Body, &data); err != nil {
		return nil, fmt.Errorf("vivo receipt: %w", err)
	}
	var out []vendors.Receipt
	for task, e := range data {
		for _, t := range strings.Split(e.Targets, ",") {
			if t = strings.TrimSpace(t); t != "" {
				out = append(out, vendors.Receipt{Kind: vendors.ReceiptDelivered, Param: e.Param, Token: t, VendorMsgID: task})
			}
		}
	}
	return out, nil
}

// ReceiptReply is the answer vivo expects: 200 when taken.
func ReceiptReply(err error) (int, any) {
	if err != nil {
		return 401, map[string]any{"result": 1}
	}
	return 200, map[string]any{"result": 0}
}

// extra is the callback of a send.
type extra struct {
	Callback string `json:"callback"`
	Param    string `json:"callback.param"`
}

func extraOf(cb *vendors.Callback) *extra {
	if cb == nil {
		return nil
	}
	return &extra{Callback: cb.URL, Param: cb.Param}
}
