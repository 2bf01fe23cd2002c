package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pushd/pushd/certs"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
)

// ReceiptDeps are what the receipt endpoints and the funnel need. With
// Refs nil (receipts.base_url empty) the receipt routes are not served;
// with Funnel nil, GET /v1/apps/{app}/stats is not.
type ReceiptDeps struct {
	// Refs signs and verifies the callback params.
	Refs *dispatcher.Receipts
	// Events receives the receipt events: the app's event sink (stream,
	// webhook and Funnel).
	Events dispatcher.EventSink
	// Funnel answers the stats.
	Funnel *dispatcher.Funnel
	// CallbackUser and CallbackSecret are the callback user name and key
	// configured in AppGallery Connect (Huawei) and the Honor console;
	// when both are set, Huawei and Honor receipts must be signed with
	// them.
	CallbackUser   string
	CallbackSecret []byte
	// Prefix is the Redis key prefix of the replay guard; "" means
	// "pushd:".
	Prefix string
}

const (
	// maxReceiptBody bounds one receipt POST (Huawei sends ≤100 statuses).
	maxReceiptBody = 1 << 20
	// receiptSeenTTL is how long a receipt is remembered, so that a
	// vendor's retry (or a replay) is not counted twice.
	receiptSeenTTL = 72 * time.Hour
)

// receiptVendorOf returns v's receipts (its descriptor's); APNs, FCM and
// HarmonyOS send none.
func receiptVendorOf(v vendors.Vendor) (*vendors.ReceiptSpec, bool) {
	d, ok := vendors.Lookup(v)
	return d.Receipts, ok && d.Receipts != nil
}

func (s *Server) receiptRoutes() []route {
	var rs []route
	if s.Receipts.Refs != nil {
		// Public: vendors cannot send pushd's bearer tokens; each receipt
		// is verified the vendor's way and by its signed reference.
		rs = append(rs, route{pattern: "POST /v1/receipts/{vendor}/{cert}", h: s.postReceipts})
	}
	if s.Receipts.Funnel != nil {
		rs = append(rs, route{pattern: "GET /v1/apps/{app}/stats", role: RoleAdmin, h: s.pathApp(s.getStats)})
	}
	return rs
}

// postReceipts takes one vendor POST of receipts for one certificate.
func (s *Server) postReceipts(w http.ResponseWriter, r *http.Request) {
	v := vendors.Vendor(r.PathValue("vendor"))
	rv, ok := receiptVendorOf(v)
	cert, err := strconv.ParseInt(r.PathValue("cert"), 10, 64)
	if !ok || err != nil || cert <= 0 {
		writeError(w, notFound("no receipt endpoint here"))
		return
	}
	evs, err := s.readReceipts(r, v, cert, rv)
	status, body := rv.Reply(err)
	if err != nil && !errors.Is(err, vendors.ErrReceiptAuth) {
		// The detail is logged, never answered: it could help a forger.
		s.Log.Warn("receipt refused", "vendor", v, "cert_id", cert, "err", err)
	}
	if err == nil {
		s.emitReceipts(r.Context(), evs)
	}
	writeJSON(w, status, body)
}

// readReceipts parses and verifies a receipt POST and returns its events.
// Receipts whose param this pushd did not sign for the certificate are
// skipped (Huawei sends the receipts of every message of an AppGallery
// app, pushd's or not); a POST with receipts of which none verifies is
// refused.
func (s *Server) readReceipts(r *http.Request, v vendors.Vendor, cert int64, rv *vendors.ReceiptSpec) ([]dispatcher.Event, error) {
	if s.Certs == nil {
		return nil, vendors.ErrReceiptAuth
	}
	info, err := s.Certs.Get(r.Context(), cert)
	switch {
	case errors.Is(err, certs.ErrNotFound):
		return nil, vendors.ErrReceiptAuth
	case err != nil:
		return nil, err // Redis: logged, refused, and the vendor retries
	case info.Vendor != v:
		return nil, vendors.ErrReceiptAuth
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxReceiptBody))
	if err != nil {
		return nil, err
	}
	req := vendors.ReceiptRequest{Header: r.Header, Body: body, Now: s.Now()}
	// A signed POST (the console's callback user and key are set, and
	// Parse checks the signature) proves it is the vendor's; an unsigned
	// one is proven only by the message's signed reference, which does
	// not name the device, so only a signed receipt removes a binding.
	authenticated := false
	if rv.Signed {
		req.User, req.Secret = s.Receipts.CallbackUser, s.Receipts.CallbackSecret
		authenticated = req.User != "" && len(req.Secret) > 0
	}
	rcs, err := rv.Parse(req)
	if err != nil {
		return nil, err
	}
	evs := make([]dispatcher.Event, 0, len(rcs))
	for _, rc := range rcs {
		msgID, ok := s.Receipts.Refs.Verify(v, cert, rc.Param)
		if ok && rc.Token != "" {
			evs = append(evs, dispatcher.ReceiptEvent(info.AppID, cert, v, msgID, rc, s.Now()))
			if rc.Kind == vendors.ReceiptTokenInvalid && authenticated {
				s.removeDeadToken(r.Context(), info.AppID, cert, rc)
			}
		}
	}
	if len(rcs) > 0 && len(evs) == 0 {
		return nil, vendors.ErrReceiptAuth
	}
	return evs, nil
}

// removeDeadToken removes the binding of a token the vendor's receipt
// reports dead on the device, as a send's invalid-token answer does; a
// binding reported again after the receipt's time stays.
func (s *Server) removeDeadToken(ctx context.Context, app string, cert int64, rc vendors.Receipt) {
	if s.Devices == nil {
		return
	}
	at := rc.At
	if at.IsZero() {
		at = s.Now()
	}
	if _, err := s.Devices.RemoveInvalid(ctx, app, cert, rc.Token, at); err != nil {
		s.Log.Warn("could not remove the binding of a token a receipt reports dead",
			"cert_id", cert, "token", vendors.TokenHash(rc.Token), "err", err)
	}
}

// emitReceipts sends the receipts not seen before to the event sink. A
// vendor retries a receipt whose answer it did not get, so each (message,
// device, event type) is taken once, remembered with SET NX.
func (s *Server) emitReceipts(ctx context.Context, evs []dispatcher.Event) {
	if len(evs) == 0 || s.Receipts.Events == nil {
		return
	}
	prefix := s.Receipts.Prefix
	if prefix == "" {
		prefix = "pushd:"
	}
	pipe := s.Redis.Pipeline()
	cmds := make([]*redis.BoolCmd, len(evs))
	for i := range evs {
		e := &evs[i]
		key := prefix + "receipt:" + e.AppID + ":" + e.MsgID + ":" + e.Token + ":" + e.Type
		cmds[i] = pipe.SetNX(ctx, key, 1, receiptSeenTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		// Without the guard, counting twice beats losing the receipts.
		s.Log.Warn("receipt replay guard unavailable", "err", err)
		s.Receipts.Events.Emit(ctx, evs)
		return
	}
	fresh := evs[:0]
	for i, c := range cmds {
		if c.Val() {
			fresh = append(fresh, evs[i])
		}
	}
	s.Receipts.Events.Emit(ctx, fresh)
}
