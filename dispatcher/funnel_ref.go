package dispatcher

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pushd/pushd/vendors"
)

// Receipt references. A notification sent to a vendor that takes a
// per-message callback carries, as the callback param, a reference to its
// message: "<msg_id>.<mac>", where mac is the first 96 bits (16 base64url
// characters) of HMAC-SHA256(certificate key, vendor "|" msg_id) and the
// certificate key is HMAC-SHA256(receipts.secret, "pushd/receipts/cert/" +
// cert_id). The receipt endpoint knows the vendor and the certificate from
// its URL (/v1/receipts/{vendor}/{cert_id}), the app from the certificate
// and the device from the receipt itself (every vendor echoes the token),
// so a receipt maps to its message without a lookup, and one whose param
// was not signed by this pushd, for this certificate and vendor, is
// refused.
const (
	// MaxReceiptParam is the longest callback param every vendor carries:
	// Xiaomi's extra.callback.param, vivo's and Meizu's callback.param are
	// at most 64 bytes (vendor-protocols.md §3, §6 error 10306, §7).
	MaxReceiptParam = 64
	refMACChars     = 16
	// ReceiptPath is the route prefix of the receipt endpoints.
	ReceiptPath = "/v1/receipts/"
)

// Receipts signs the references of receipt callbacks and checks those
// that come back. A nil *Receipts (receipts.base_url empty) sets no
// callbacks and verifies nothing.
type Receipts struct {
	base string
	key  []byte
}

// NewReceipts returns the signer of callbacks to baseURL (the public URL
// vendors reach pushd at), keyed by secret; nil when baseURL is empty.
func NewReceipts(baseURL string, secret []byte) *Receipts {
	if baseURL == "" {
		return nil
	}
	return &Receipts{base: strings.TrimSuffix(baseURL, "/"), key: append([]byte(nil), secret...)}
}

// CertKey is the receipt key of one certificate, derived from the
// receipts secret so that no per-certificate secret is stored.
func (r *Receipts) CertKey(certID int64) []byte {
	m := hmac.New(sha256.New, r.key)
	m.Write([]byte("pushd/receipts/cert/" + strconv.FormatInt(certID, 10)))
	return m.Sum(nil)
}

func (r *Receipts) mac(v vendors.Vendor, certID int64, msgID string) string {
	m := hmac.New(sha256.New, r.CertKey(certID))
	m.Write([]byte(string(v) + "|" + msgID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))[:refMACChars]
}

// URL is the receipt endpoint of one certificate, the callback URL of its
// notifications (and, for Huawei and Honor, the address to configure in
// the vendor's console).
func (r *Receipts) URL(v vendors.Vendor, certID int64) string {
	return r.base + ReceiptPath + string(v) + "/" + strconv.FormatInt(certID, 10)
}

// Callback returns the callback of msgID sent with certificate certID of
// vendor v, or nil: receipts off, a vendor without per-message receipts,
// or a msg_id too long for the signed reference to fit in
// MaxReceiptParam bytes (such a message is sent without receipts).
func (r *Receipts) Callback(v vendors.Vendor, certID int64, msgID string) *vendors.Callback {
	if r == nil || ReceiptSupport(v) == ReceiptsUnsupported || msgID == "" ||
		len(msgID)+1+refMACChars > MaxReceiptParam {
		return nil
	}
	return &vendors.Callback{URL: r.URL(v, certID), Param: msgID + "." + r.mac(v, certID, msgID)}
}

// Attach returns n with its callback set for cred, or n itself when it
// gets none. n is shared by every batch of a render, so it is copied.
func (r *Receipts) Attach(n *vendors.Notification, cred *vendors.Credential) *vendors.Notification {
	if r == nil || n == nil || cred == nil {
		return n
	}
	cb := r.Callback(cred.Vendor, cred.ID, n.ID)
	if cb == nil {
		return n
	}
	c := *n
	c.Callback = cb
	return &c
}

// Verify returns the msg_id of a param signed for vendor v and
// certificate certID, and false for any other param.
func (r *Receipts) Verify(v vendors.Vendor, certID int64, param string) (string, bool) {
	if r == nil {
		return "", false
	}
	i := strings.LastIndexByte(param, '.')
	if i <= 0 || len(param)-i-1 != refMACChars {
		return "", false
	}
	msgID, got := param[:i], param[i+1:]
	want := r.mac(v, certID, msgID)
	return msgID, hmac.Equal([]byte(got), []byte(want))
}

// ReceiptEvent is the event of one verified receipt: delivered or
// clicked, token_invalid when the vendor reports the token dead on the
// device, or failed (kind "undelivered", the vendor's status in Code)
// when the vendor reports it could not deliver. The token is hashed here.
func ReceiptEvent(app string, certID int64, v vendors.Vendor, msgID string, rc vendors.Receipt, now time.Time) Event {
	at := rc.At
	if at.IsZero() {
		at = now
	}
	ev := Event{AppID: app, MsgID: msgID, CertID: certID, Vendor: string(v), Token: vendors.TokenHash(rc.Token),
		VendorMsgID: rc.VendorMsgID, At: at}
	switch rc.Kind {
	case vendors.ReceiptClicked:
		ev.Type = EventClicked
	case vendors.ReceiptDelivered:
		ev.Type = EventDelivered
	case vendors.ReceiptTokenInvalid:
		ev.Type, ev.Code, ev.Reason = EventTokenInvalid, rc.Code, string(v)+" receipt: the token is dead on the device"
	default:
		ev.Type, ev.Kind, ev.Code, ev.Reason = EventFailed, string(vendors.ReceiptUndelivered), rc.Code, string(v)+" receipt: not delivered"
	}
	return ev
}

// Wrap returns b with the senders it builds attaching each notification's
// receipt callback (Attach) before it goes out: the one wiring point, at
// the vendor registry, so the delivery path itself is unchanged. Senders
// of vendors without receipts are returned as built.
func (r *Receipts) Wrap(b vendors.Builder) vendors.Builder {
	if r == nil || b == nil {
		return b
	}
	return func(cred *vendors.Credential, ep vendors.Endpoint) (vendors.Sender, error) {
		s, err := b(cred, ep)
		if err != nil || s == nil || cred == nil || ReceiptSupport(cred.Vendor) == ReceiptsUnsupported {
			return s, err
		}
		return &receiptSender{Sender: s, r: r, cred: &vendors.Credential{ID: cred.ID, Vendor: cred.Vendor}}, nil
	}
}

// receiptSender attaches the receipt callback to what its Sender sends.
type receiptSender struct {
	vendors.Sender
	r    *Receipts
	cred *vendors.Credential
}

// Send sends n with its callback.
func (s *receiptSender) Send(ctx context.Context, n *vendors.Notification, tokens []string) []vendors.Result {
	return s.Sender.Send(ctx, s.r.Attach(n, s.cred), tokens)
}

// DryRun shows the requests with their callback.
func (s *receiptSender) DryRun(ctx context.Context, n *vendors.Notification, tokens []string) ([]vendors.Request, error) {
	return s.Sender.DryRun(ctx, s.r.Attach(n, s.cred), tokens)
}

// Close closes the wrapped sender when it holds resources (the Pool closes
// senders it replaces).
func (s *receiptSender) Close() error {
	if c, ok := s.Sender.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
