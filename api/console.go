package api

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/pushd/pushd/certs"
)

// The operator console: server-rendered pages at /console, their
// templates and assets embedded in the binary (no CDN, no build step).
// Every page is behind the admin role, through a bearer token or the
// session signing in gives (console_session.go); in open mode it opens
// directly. Pages answer with a CSP that allows no inline script, and every
// form carries the session's CSRF token.

//go:embed console/templates/*.html console/static/*
var consoleFS embed.FS

// consoleCSP allows this origin's scripts, styles and images only: no
// inline script, no inline style, no framing.
const consoleCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

func (s *Server) consoleRoutes() []route {
	pages := []route{
		{pattern: "GET /console/{$}", h: s.consoleOverview},
		{pattern: "POST /console/logout", h: s.consoleLogout},
		{pattern: "GET /console/certs", h: s.consoleCerts},
		{pattern: "POST /console/certs", h: s.consoleUpload},
		{pattern: "GET /console/certs/{id}/delete", h: s.consoleConfirmDelete},
		{pattern: "POST /console/certs/{id}/delete", h: s.consoleDelete},
		{pattern: "GET /console/push", h: s.consolePushPage},
		{pattern: "POST /console/push", h: s.consolePush},
		{pattern: "GET /console/events", h: s.consoleEvents},
		{pattern: "GET /console/events/stream", h: s.consoleEventStream},
		{pattern: "GET /console/jobs", h: s.consoleJobs},
		{pattern: "POST /console/jobs/replay", h: s.consoleReplay},
		{pattern: "GET /console/devices", h: s.consoleDevices},
		// The fakes' requests are every app's: only an all-apps admin.
		{pattern: "GET /console/inbox", allApps: true, h: s.consoleInbox},
	}
	for i := range pages {
		pages[i].role, pages[i].session = RoleAdmin, true
		pages[i].h = s.consolePage(pages[i].h)
	}
	return append(pages,
		route{pattern: "GET /console", h: s.consoleRedirect},
		route{pattern: "GET /console/login", h: s.consolePage(s.consoleLoginPage)},
		route{pattern: "POST /console/login", h: s.consolePage(s.consoleLogin)},
		route{pattern: "GET /console/static/{file}", h: s.consoleStatic},
	)
}

// consolePage sets the browser protections of every console answer, and
// in open mode gives the browser a session (it carries the CSRF token).
func (s *Server) consolePage(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", consoleCSP)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Cache-Control", "no-store")
		s.ring.start()
		if s.tokens.open() && principalOf(r).session == nil && safeMethod(r.Method) && r.URL.Path != "/console/login" {
			ss := s.startSession(w, r, Principal{Role: RoleAdmin, Name: "loopback"})
			p := principalOf(r)
			p.session = ss
			r = r.WithContext(withPrincipal(r.Context(), p))
		}
		h(w, r)
	}
}

func (s *Server) consoleRedirect(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// consoleStatic serves the embedded assets, cached for a day.
func (s *Server) consoleStatic(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.PathValue("file"))
	b, err := fs.ReadFile(consoleFS, "console/static/"+name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ct := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}[path.Ext(name)]
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// parseConsoleTemplates parses the layout with each page.
func parseConsoleTemplates() map[string]*template.Template {
	funcs := template.FuncMap{
		"countdown": countdown, "ago": ago, "join": strings.Join, "short": shortHash,
		"query": func(kv ...string) template.URL {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					v.Set(kv[i], kv[i+1])
				}
			}
			return template.URL(v.Encode())
		},
	}
	out := map[string]*template.Template{}
	pages, _ := fs.Glob(consoleFS, "console/templates/*.html")
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(consoleFS, "console/templates/layout.html", p))
	}
	return out
}

// view is what every page template gets.
type view struct {
	Title, Active string
	CSRF          string
	// Who names the signed-in token ("loopback" in open mode).
	Who       string
	Open      bool
	SignedIn  bool
	AllApps   bool
	Apps      []string
	Sandbox   bool
	Attention []certAlert
	Msg, Err  string
	Data      any
}

// certAlert is a certificate needing attention: unhealthy, or expiring
// within alertWindow.
type certAlert struct {
	certs.Info
	Why string
}

// alertWindow is how far ahead an expiry needs attention.
const alertWindow = 30 * 24 * time.Hour

// render answers page with data, the layout filled in for r's principal.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any, errMsg string) {
	p := principalOf(r)
	v := view{Title: title, Active: page, Who: p.Name, Open: s.tokens.open(), SignedIn: p.Role != RoleNone,
		AllApps: p.AllApps(), Apps: p.Apps(), Sandbox: s.Sandbox != nil, Msg: r.URL.Query().Get("msg"), Err: errMsg, Data: data}
	if p.session != nil {
		v.CSRF = p.session.csrf
	}
	if v.SignedIn && s.Certs != nil {
		v.Attention = s.attention(r)
	}
	var buf bytes.Buffer
	t := s.pages[page]
	if t == nil {
		writeError(w, fmt.Errorf("console: no template %q", page))
		return
	}
	if err := t.Execute(&buf, v); err != nil {
		writeError(w, fmt.Errorf("console: render %s: %w", page, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// attention lists the certificates of r's apps that are unhealthy or
// expire within alertWindow.
func (s *Server) attention(r *http.Request) []certAlert {
	infos, err := s.Certs.List(r.Context(), "")
	if err != nil {
		return nil
	}
	var out []certAlert
	now := s.Now()
	for _, in := range infos {
		if !s.allowApp(r, in.AppID) {
			continue
		}
		switch {
		case !in.Healthy:
			out = append(out, certAlert{Info: in, Why: "unhealthy: " + in.HealthReason})
		case in.NotAfter != nil && in.NotAfter.Sub(now) < alertWindow:
			out = append(out, certAlert{Info: in, Why: "expires " + countdown(in.NotAfter)})
		}
	}
	return out
}

// consoleFail answers a console error as a page.
func (s *Server) consoleFail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", "Error", nil, msg)
}

// formOK parses a console form and checks its CSRF token; a request
// authenticated by a bearer token (which a browser cannot attach across
// origins) needs none. It answers the refusal itself.
func (s *Server) formOK(w http.ResponseWriter, r *http.Request) bool {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(maxBody); err != nil {
			s.consoleFail(w, r, http.StatusBadRequest, "the form could not be read: "+err.Error())
			return false
		}
	} else if err := r.ParseForm(); err != nil {
		s.consoleFail(w, r, http.StatusBadRequest, "the form could not be read: "+err.Error())
		return false
	}
	p := principalOf(r)
	bearer := r.Header.Get("Authorization") != "" && !s.tokens.open()
	if !bearer && !csrfOK(r, p.session) {
		s.consoleFail(w, r, http.StatusForbidden, "this form is stale or was not sent by the console (CSRF token missing or wrong): reload the page and try again")
		return false
	}
	return true
}

// appParam returns ?app= after checking the principal may see it.
func (s *Server) appParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	app := strings.TrimSpace(r.FormValue("app"))
	if app != "" && !s.allowApp(r, app) {
		s.consoleFail(w, r, http.StatusForbidden, "this token may not act on that app")
		return "", false
	}
	return app, true
}

// countdown says how long until t, or how long ago it passed.
func countdown(t *time.Time) string {
	if t == nil {
		return "no expiry"
	}
	d := time.Until(*t)
	if d < 0 {
		return "expired " + human(-d) + " ago"
	}
	return "in " + human(d)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return human(time.Since(t)) + " ago"
}

func human(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return fmt.Sprintf("%d seconds", int(d.Seconds()))
}

func shortHash(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
