package api

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// guardOpen refuses, in open mode (no tokens: every caller is admin), what
// a web page the operator visits could send to the loopback API:
//
//   - a Host that is not the listen address, localhost, 127.0.0.1 or
//     [::1] is a 421: a DNS-rebinding page reaches 127.0.0.1 under its own
//     name;
//   - an Origin (or Sec-Fetch-Site: cross-site) of another origin is a 403:
//     browsers send it on every cross-origin POST, even the "simple" ones
//     that need no preflight.
//
// With tokens configured a browser cannot attach the bearer token, so the
// checks are not needed (and a proxy's Host is then not ours to judge).
func (s *Server) guardOpen(r *http.Request) error {
	if !s.allowedHost(r.Host) {
		return &httpError{status: http.StatusMisdirectedRequest, field: "Host",
			msg: "open mode (no API tokens) serves only requests to localhost, 127.0.0.1, [::1] or the listen address"}
	}
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
		return &httpError{status: http.StatusForbidden, field: "Origin",
			msg: "cross-origin requests are refused in open mode (no API tokens)"}
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return &httpError{status: http.StatusForbidden, field: "Sec-Fetch-Site",
			msg: "cross-site requests are refused in open mode (no API tokens)"}
	}
	return nil
}

// allowedHost reports whether hostport names this server: a loopback name
// or the listen host, with the listen port when one is configured.
func (s *Server) allowedHost(hostport string) bool {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), ""
	}
	lhost, lport, _ := net.SplitHostPort(s.Listen)
	if port != "" && lport != "" && lport != "0" && port != lport {
		return false
	}
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	case "":
		return false
	}
	return lhost != "" && !unspecified(lhost) && strings.EqualFold(host, lhost)
}

// unspecified reports 0.0.0.0 and ::, which are not a name clients use.
func unspecified(host string) bool {
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// sameOrigin reports whether the Origin header names host (the request's
// Host, already checked) over http or https.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

// requireJSON answers 415 to a body sent as anything but JSON, the
// content types an HTML form or a no-preflight fetch can send (text/plain,
// form encodings). A body without a Content-Type is taken as JSON: curl
// and Go clients may omit it, and a browser sending one without it also
// sends Origin, which guardOpen checks.
func requireJSON(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			h(w, r)
			return
		}
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeJSON(w, http.StatusUnsupportedMediaType, ErrorBody{Error: "send the body as Content-Type: application/json", Field: "Content-Type"})
			return
		}
		h(w, r)
	}
}
