// DomestyX: an offline stand-in for Cloudflare Turnstile's explicit-render API, served by the
// app on the embedded default (test site keys, nothing set). It follows Cloudflare's
// documented dummy keys (developers.cloudflare.com/turnstile/troubleshooting/testing/):
//   1x00000000000000000000AA  always passes (visible)     1x00000000000000000000BB  (invisible)
//   2x00000000000000000000AB  always fails (visible)      2x00000000000000000000BB  (invisible)
//   3x00000000000000000000FF  forces an interactive challenge: a checkbox to tick
// Any other site key fails with 110100 (invalid sitekey), as Cloudflare's widget would.
// Passing keys issue the dummy token XXXX.DUMMY.TOKEN.XXXX, which only test secret keys accept.
// Tokens expire after 300 s; like the real widget ("refresh-expired": "auto") a new one follows.
(function () {
  "use strict";
  var TOKEN = "XXXX.DUMMY.TOKEN.XXXX";
  var LIFETIME_MS = 300 * 1000;
  var ISSUE_DELAY_MS = 50;
  var KEYS = {
    "1x00000000000000000000AA": { outcome: "pass", visible: true },
    "1x00000000000000000000BB": { outcome: "pass", visible: false },
    "2x00000000000000000000AB": { outcome: "fail", visible: true },
    "2x00000000000000000000BB": { outcome: "fail", visible: false },
    "3x00000000000000000000FF": { outcome: "interactive", visible: true }
  };
  var FAILED = "600010"; // challenge failed
  var INVALID_SITEKEY = "110100";
  var widgets = {};
  var next = 0;

  function find(id) {
    if (id === undefined) {
      for (var key in widgets) return widgets[key];
      return undefined;
    }
    return widgets[id];
  }

  function call(fn, arg) {
    if (typeof fn === "function") fn(arg);
  }

  function say(w, text, state) {
    w.label.textContent = text;
    w.marker.setAttribute("data-state", state);
  }

  function expire(w) {
    w.token = undefined;
    w.expired = true;
    call(w.options["expired-callback"], TOKEN);
    run(w); // refresh-expired: auto
  }

  function succeed(w) {
    w.token = TOKEN;
    w.expired = false;
    say(w, "Success!", "passed");
    clearTimeout(w.expiry);
    w.expiry = setTimeout(function () { expire(w); }, LIFETIME_MS);
    call(w.options.callback, TOKEN);
  }

  function fail(w, code) {
    w.token = undefined;
    say(w, "Failure: the check did not pass (stand-in, error " + code + ").", "failed");
    if (typeof w.options["error-callback"] === "function") {
      w.options["error-callback"](code);
    } else {
      throw new Error("[Turnstile stand-in] error " + code);
    }
  }

  function challenge(w) {
    say(w, "", "interactive");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.id = w.id + "-box";
    var label = document.createElement("label");
    label.htmlFor = box.id;
    label.textContent = "Verify you are human";
    box.addEventListener("change", function () {
      if (!box.checked) return;
      box.disabled = true; // stays ticked, as Cloudflare's does once solved
      succeed(w);
    });
    w.challenge = document.createElement("span");
    w.challenge.className = "turnstile-stand-in-challenge";
    w.challenge.append(box, label);
    w.marker.append(w.challenge);
    call(w.options["before-interactive-callback"]);
  }

  function run(w) {
    clearTimeout(w.pending);
    clearTimeout(w.expiry);
    if (w.challenge) { w.challenge.remove(); w.challenge = null; }
    w.token = undefined;
    say(w, "Verifying…", "running");
    w.pending = setTimeout(function () {
      if (!widgets[w.id]) return;
      if (!w.behaviour) return fail(w, INVALID_SITEKEY);
      if (w.behaviour.outcome === "pass") return succeed(w);
      if (w.behaviour.outcome === "fail") return fail(w, FAILED);
      challenge(w);
    }, ISSUE_DELAY_MS);
  }

  window.turnstile = {
    render: function (container, options) {
      var el = typeof container === "string" ? document.querySelector(container) : container;
      if (!el) throw new Error("[Turnstile stand-in] no container to render into");
      options = options || {};
      var id = "stand-in-" + (++next);
      var behaviour = KEYS[options.sitekey];
      var marker = document.createElement("div");
      marker.className = "turnstile-stand-in";
      marker.id = id;
      marker.setAttribute("data-sitekey", options.sitekey || "");
      marker.setAttribute("data-action", options.action || "");
      if (behaviour && !behaviour.visible) marker.hidden = true;
      var title = document.createElement("span");
      title.className = "turnstile-stand-in-title";
      title.textContent = "Turnstile stand-in: " + options.sitekey + " (" + (options.action || "") + ")";
      var label = document.createElement("span");
      label.className = "turnstile-stand-in-state";
      marker.append(title, label);
      el.appendChild(marker);
      var w = { id: id, el: el, marker: marker, label: label, options: options, behaviour: behaviour };
      widgets[id] = w;
      run(w);
      return id;
    },
    reset: function (id) {
      var w = find(id);
      if (w) run(w);
    },
    remove: function (id) {
      var w = find(id);
      if (!w) return;
      clearTimeout(w.pending);
      clearTimeout(w.expiry);
      w.marker.remove();
      delete widgets[w.id];
    },
    getResponse: function (id) {
      var w = find(id);
      return w ? w.token : undefined;
    },
    isExpired: function (id) {
      var w = find(id);
      return !!w && !!w.expired && w.token === undefined;
    },
    execute: function (container) {
      var id = typeof container === "string" && widgets[container] ? container : undefined;
      var w = find(id);
      if (w) run(w);
    },
    ready: function (fn) { call(fn); }
  };

  // ?onload=name calls window[name] once the API exists, as Cloudflare's script does.
  var src = document.currentScript && document.currentScript.src;
  var onload = src ? new URL(src, window.location.href).searchParams.get("onload") : null;
  if (onload && typeof window[onload] === "function") setTimeout(window[onload], 0);
})();
