package dispatcher

import (
	"context"
	"fmt"

	"github.com/pushd/pushd/vendors"
)

// TestPush is a synchronous push to one token, for `pushd push` and
// POST /v1/push: it bypasses the queue and the rules and reports the
// vendor's answer (or, for a dry run, the exact request).
type TestPush struct {
	CertID int64                 `json:"cert_id"`
	Token  string                `json:"token"`
	Notif  *vendors.Notification `json:"notification"`
	DryRun bool                  `json:"dry_run,omitempty"`
}

// PushResult is the answer to a TestPush.
type PushResult struct {
	CertID int64  `json:"cert_id"`
	Vendor string `json:"vendor"`
	// OK is true when the vendor accepted the notification.
	OK        bool   `json:"ok"`
	Kind      string `json:"kind,omitempty"`
	Status    int    `json:"status,omitempty"`
	Code      string `json:"code,omitempty"`
	Message   string `json:"message,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	// Requests are the exact vendor requests of a dry run.
	Requests []vendors.Request `json:"requests,omitempty"`
	// Answers are the vendor's raw HTTP answers to a send (status,
	// headers, body), in order, from the adapters that record them
	// (vendors.CaptureAnswer: APNs, Xiaomi, OPPO, vivo, Meizu).
	Answers []vendors.Answer `json:"answers,omitempty"`
}

// Push sends or dry-runs p through the pool.
func (pl *Pool) Push(ctx context.Context, p *TestPush) (*PushResult, error) {
	s, cred, err := pl.Sender(ctx, p.CertID)
	if err != nil {
		return nil, err
	}
	if cred == nil || s == nil {
		return nil, fmt.Errorf("certificate %d: %w", p.CertID, ErrUnknownCert)
	}
	res := &PushResult{CertID: p.CertID, Vendor: string(s.Vendor())}
	if p.Notif.Title == "" && s.Vendor().Android() {
		// Android vendors require a title; a job gets the app's default
		// title from Render, a test push the built-in one.
		n := *p.Notif
		n.Title = DefaultAppSettings().ForLocale("").DefaultTitle
		p.Notif = &n
	}
	if p.DryRun {
		reqs, err := s.DryRun(ctx, p.Notif, []string{p.Token})
		if err != nil {
			return nil, err
		}
		res.OK, res.Requests = true, reqs
		return res, nil
	}
	cctx, answers := vendors.WithAnswerCapture(ctx)
	r := s.Send(cctx, p.Notif, []string{p.Token})[0]
	res.OK, res.MessageID, res.Answers = r.Err == nil, r.MessageID, answers()
	if r.Err != nil {
		res.Kind, res.Message = r.Kind().String(), r.Err.Error()
		if ve, ok := r.Err.(*vendors.Error); ok {
			res.Status, res.Code = ve.Status, ve.Code
		}
	}
	return res, nil
}
