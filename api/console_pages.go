package api

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/pushd/pushd/devices"
	"github.com/pushd/pushd/dispatcher"
	"github.com/pushd/pushd/vendors"
)

// consoleLoginPage shows the sign-in form; in open mode there is nothing
// to sign in to.
func (s *Server) consoleLoginPage(w http.ResponseWriter, r *http.Request) {
	if s.tokens.open() {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	tok := randomHex(16)
	setCookie(w, r, loginCookie, tok, 600)
	s.render(w, r, http.StatusOK, "login", "Sign in", map[string]string{"LoginCSRF": tok}, "")
}

// consoleLogin checks the API token of the sign-in form and starts a
// session. Only admin tokens sign in (the console manages certificates);
// an app-scoped admin sees its apps only.
func (s *Server) consoleLogin(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(loginCookie)
	if err != nil || c.Value == "" || r.PostFormValue("csrf") != c.Value || crossOrigin(r) {
		s.render(w, r, http.StatusForbidden, "login", "Sign in", map[string]string{"LoginCSRF": ""},
			"the sign-in form is stale or was not sent by the console: reload the page")
		return
	}
	req := r.Clone(r.Context())
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(r.PostFormValue("token")))
	p := s.tokens.principal(req)
	if p.Role < RoleAdmin {
		tok := randomHex(16)
		setCookie(w, r, loginCookie, tok, 600)
		msg := "that token is not valid"
		if p.Role == RoleEnqueue {
			msg = "that token has the enqueue role; the console needs an admin token"
		}
		s.render(w, r, http.StatusUnauthorized, "login", "Sign in", map[string]string{"LoginCSRF": tok}, msg)
		return
	}
	setCookie(w, r, loginCookie, "", -1)
	s.startSession(w, r, p)
	s.Log.Info("console sign-in", "token", p.Name)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

func (s *Server) consoleLogout(w http.ResponseWriter, r *http.Request) {
	if !s.formOK(w, r) {
		return
	}
	if _, ok := s.appParam(w, r); !ok {
		return
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.remove(c.Value)
	}
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// overviewData is the overview page.
type overviewData struct {
	Stats  *overviewStats
	Colors any
}

func (s *Server) consoleOverview(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.appParam(w, r); !ok {
		return
	}
	d := overviewData{Colors: resultColors}
	// The metrics are every app's: an app-scoped token does not see them.
	if principalOf(r).AllApps() {
		st := s.ring.stats()
		d.Stats = &st
	}
	s.render(w, r, http.StatusOK, "overview", "Overview", d, "")
}

// jobsData is the archived-jobs page.
type jobsData struct {
	App  string
	Jobs []FailedJob
}

func (s *Server) consoleJobs(w http.ResponseWriter, r *http.Request) {
	app, ok := s.appParam(w, r)
	if !ok {
		return
	}
	d := jobsData{App: app}
	if s.Inspector != nil {
		jobs, err := s.archived(r, app)
		if err != nil {
			writeError(w, err)
			return
		}
		d.Jobs = jobs
	}
	s.render(w, r, http.StatusOK, "jobs", "Archived jobs", d, "")
}

// consoleReplay replays one archived job (task_id) or all of them (of app
// when set), through the API's own checks.
func (s *Server) consoleReplay(w http.ResponseWriter, r *http.Request) {
	if !s.formOK(w, r) {
		return
	}
	app, ok := s.appParam(w, r)
	if !ok {
		return
	}
	req := ReplayRequest{TaskID: r.PostFormValue("task_id"), All: r.PostFormValue("all") == "1", AppID: app}
	rec := &bufferedWriter{header: http.Header{}}
	b, _ := json.Marshal(req)
	inner := r.Clone(r.Context())
	inner.Body, inner.ContentLength = jsonBody(b), int64(len(b))
	s.replayJobs(rec, inner)
	var out struct {
		Replayed int    `json:"replayed"`
		Error    string `json:"error"`
	}
	json.Unmarshal(rec.body.Bytes(), &out)
	if rec.status != http.StatusOK {
		s.consoleFail(w, r, rec.status, out.Error)
		return
	}
	http.Redirect(w, r, "/console/jobs?"+(queryOf("app", app, "msg", plural(out.Replayed, "job")+" queued again")), http.StatusSeeOther)
}

// devicesData is the device lookup page.
type devicesData struct {
	App, User string
	Devices   []DeviceView
	Settings  *devices.Settings
	Options   map[string]map[string]devices.ReceiveOpt
}

func (s *Server) consoleDevices(w http.ResponseWriter, r *http.Request) {
	app, ok := s.appParam(w, r)
	if !ok {
		return
	}
	d := devicesData{App: app, User: strings.TrimSpace(r.FormValue("user"))}
	if app == "" || d.User == "" || s.Devices == nil {
		s.render(w, r, http.StatusOK, "devices", "Devices", d, "")
		return
	}
	if err := firstErr(dispatcher.CheckAppID("app", app), dispatcher.CheckUserID("user", d.User)); err != nil {
		s.render(w, r, http.StatusBadRequest, "devices", "Devices", d, err.Error())
		return
	}
	ctx := r.Context()
	bs, err := s.Devices.List(ctx, app, d.User)
	if err != nil {
		writeError(w, deviceError(err))
		return
	}
	for _, b := range bs {
		d.Devices = append(d.Devices, DeviceView{Binding: b, Token: shortToken(b.Token), TokenHash: vendors.TokenHash(b.Token)})
	}
	if st, err := s.Devices.GetSettings(ctx, app, d.User); err == nil {
		d.Settings = &st
	}
	if opts, err := s.Devices.ReceiveOptions(ctx, app, d.User); err == nil {
		d.Options = opts
	}
	s.render(w, r, http.StatusOK, "devices", "Devices", d, "")
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return itoa(n) + " " + what + "s"
}
