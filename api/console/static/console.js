// pushd console: the live event tail and small conveniences. Loaded from
// /console/static (the CSP allows no inline script); every page works
// without it except the live tail.
"use strict";

function startTail() {
  var state = document.getElementById("tail-state");
  var list = document.getElementById("tail");
  if (!state || !list || !window.EventSource) { return; }
  var url = state.getAttribute("data-stream");
  var since = document.querySelector("#event-filters input[name=since]");
  if (since && since.checked) { url += "&since=0"; }
  var es = new EventSource(url);
  es.onopen = function () { state.textContent = "live: waiting for events…"; };
  es.onerror = function () { state.textContent = "disconnected; reconnecting…"; };
  es.addEventListener("delivery", function (e) {
    var ev = JSON.parse(e.data);
    var li = document.createElement("li");
    li.className = "ev ev-" + ev.type;
    var d = document.createElement("details");
    var s = document.createElement("summary");
    s.textContent = [ev.at, ev.type, ev.vendor || "", "msg " + ev.msg_id, ev.user_id ? "user " + ev.user_id : "", ev.kind || "", ev.rule || ""].filter(Boolean).join(" · ");
    var pre = document.createElement("pre");
    pre.className = "raw";
    pre.textContent = JSON.stringify(ev, null, 2);
    d.appendChild(s);
    d.appendChild(pre);
    li.appendChild(d);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 500) { list.removeChild(list.lastChild); }
    state.textContent = "live: " + list.children.length + " events";
  });
}

// A certificate's Rotate link opens its vendor's form with the id filled in.
function wireRotate() {
  document.querySelectorAll("a[data-rotate]").forEach(function (a) {
    a.addEventListener("click", function () {
      var box = document.querySelector(a.getAttribute("href"));
      if (!box) { return; }
      box.open = true;
      var id = box.querySelector("input[name=cert_id]");
      if (id) { id.value = a.getAttribute("data-rotate"); id.focus(); }
    });
  });
}

document.addEventListener("DOMContentLoaded", function () { startTail(); wireRotate(); });
