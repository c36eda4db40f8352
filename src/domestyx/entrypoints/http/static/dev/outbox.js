// DomestyX dev outbox: refresh the list from the JSON form every two seconds (newest first),
// and copy a code with one click. Served from /dev/assets so the page needs no inline script.
(function () {
  "use strict";
  var EVERY_MS = 2000;
  var CHANNELS = { email: "Email", sms: "SMS" };
  var list = document.getElementById("outbox");
  var empty = document.getElementById("outbox-empty");
  var status = document.getElementById("outbox-status");
  var shown = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function clock(iso) {
    var at = new Date(iso);
    return isNaN(at.getTime()) ? iso : at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  }

  function item(entry) {
    var li = el("li", "message");
    li.setAttribute("data-channel", entry.channel);
    var meta = el("p", "meta");
    var when = el("time", null, clock(entry.created_at));
    when.dateTime = entry.created_at;
    meta.append(el("span", "channel", CHANNELS[entry.channel] || entry.channel), " to ",
      el("strong", "to", entry.to), " · ", when);
    li.append(meta);
    if (entry.subject) li.append(el("p", "subject", entry.subject));
    if (entry.code) {
      var row = el("p", "code-row");
      var copy = el("button", "copy", "Copy code");
      copy.type = "button";
      copy.setAttribute("data-copy", entry.code);
      row.append(el("code", "code", entry.code), " ", copy);
      li.append(row);
    }
    li.append(el("pre", "body", entry.body));
    return li;
  }

  function render(entries) {
    var key = JSON.stringify(entries);
    if (key === shown) return; // unchanged: keep focus and any "Copied" label
    shown = key;
    list.replaceChildren.apply(list, entries.map(item));
    empty.hidden = entries.length > 0;
  }

  function refresh() {
    if (document.hidden) return;
    fetch("/dev/outbox", { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (entries) {
        render(entries);
        status.textContent = "";
      })
      .catch(function () {
        status.textContent = "The app is not answering; still trying.";
      });
  }

  function copied(button, ok) {
    button.textContent = ok ? "Copied" : "Select the code and copy it";
    setTimeout(function () { button.textContent = "Copy code"; }, 2000);
  }

  function fallbackCopy(text) {
    var area = el("textarea", "visually-hidden", text);
    document.body.append(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    area.remove();
    return ok;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.copy");
    if (!button) return;
    var code = button.getAttribute("data-copy");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(code).then(
        function () { copied(button, true); },
        function () { copied(button, fallbackCopy(code)); }
      );
    } else {
      copied(button, fallbackCopy(code));
    }
  });

  document.addEventListener("visibilitychange", refresh);
  setInterval(refresh, EVERY_MS);
  refresh();
})();
