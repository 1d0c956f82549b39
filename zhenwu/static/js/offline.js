// offline.js — the installable app on a phone role's pages (docs/offline.md). base.html loads it
// only for grid workers, members, secretaries and instructors; every page works without it.
//   - registers the service worker (/sw.js) where the browser has one (some WeChat builds do
//     not: they keep today's behaviour, drafts.js included);
//   - while online, at most every WARM_MS, asks /offline/pages.json which pages this user's work
//     needs and keeps them on the phone (the user's households and their visit forms, today's
//     sessions, pending confirmations), dropping kept pages of an earlier list;
//   - says so when the page shown is the phone's copy (no network);
//   - on 退出, asks the worker to wipe what it kept (the logout answer's Clear-Site-Data does the
//     same where the browser honours it), after asking when records are still waiting;
//   - the offline queue (queue.js): sends what waits when the page opens and when the connection
//     returns, keeps the header's 待发送 count, and lists the records on the 待发送 page, each to
//     send again, correct (on its form, #queued=<key>) or delete.
(function () {
  "use strict";
  var PAGES_CACHE = "zhenwu-pages";
  var WARM_MS = 10 * 60 * 1000;
  var WARM_KEY = "zhenwu-offline-warmed";
  var body = document.body;
  var user = body && body.getAttribute("data-offline-user");

  function worker() {
    return "serviceWorker" in navigator && window.caches ? navigator.serviceWorker : null;
  }

  function warm(force) {
    if (!worker() || navigator.onLine === false) return Promise.resolve();
    var last = null;
    try { last = JSON.parse(localStorage.getItem(WARM_KEY) || "null"); } catch (e) { /* ignore */ }
    if (!force && last && last.user === user && Date.now() - last.at < WARM_MS) return Promise.resolve();
    return fetch("/offline/pages.json", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || !data.enabled) return;
        return caches.open(PAGES_CACHE).then(function (cache) {
          var wanted = {};
          data.pages.forEach(function (url) { wanted[url] = true; });
          // One at a time: a phone on a weak signal, and a server shared by the whole town.
          var chain = Promise.resolve();
          data.pages.forEach(function (url) {
            chain = chain.then(function () {
              return fetch(url, { credentials: "same-origin" }).then(function (response) {
                if (response.ok && !response.redirected) return cache.put(url, response);
              }).catch(function () { /* the next warm-up tries again */ });
            });
          });
          return chain.then(function () {
            try { localStorage.setItem(WARM_KEY, JSON.stringify({ user: user, at: Date.now(), count: data.pages.length })); } catch (e) { /* ignore */ }
            document.dispatchEvent(new CustomEvent("offline:warmed", { detail: { pages: data.pages.length } }));
          });
        });
      })
      .catch(function () { /* offline or signed out: nothing to do */ });
  }

  function wipe() {
    var sw = worker();
    if (sw && sw.controller) sw.controller.postMessage({ type: "wipe" });
    if (window.caches) caches.keys().then(function (keys) { keys.forEach(function (key) { caches.delete(key); }); });
    try { localStorage.removeItem(WARM_KEY); } catch (e) { /* ignore */ }
    if (Q) Q.wipe();  // the queued records and their key (Clear-Site-Data does it too where honoured)
  }

  function banner() {
    var box = document.getElementById("offline-banner");
    if (navigator.onLine !== false) {
      if (box) box.hidden = true;
      return;
    }
    if (!box) {
      box = document.createElement("p");
      box.id = "offline-banner";
      box.className = "msg msg-warning";
      box.setAttribute("role", "status");
      box.textContent = "当前没有网络：显示的是本机保存的内容，新记录将在联网后发送";
      var main = document.querySelector("main");
      if (main) main.prepend(box);
    }
    box.hidden = false;
  }

  var waiting = 0;
  var Q = window.ZhenwuQueue && window.ZhenwuQueue.available() ? window.ZhenwuQueue : null;

  function when(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return "";
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + pad(d.getHours()) + ":" + pad(d.getMinutes());
  }

  var STATUS = { waiting: "等待发送", conflict: "需要核对", invalid: "需要修改" };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  function renderList(rows) {
    var box = document.getElementById("offline-queue");
    if (!box) return;
    box.textContent = "";
    if (!rows.length) {
      box.appendChild(el("p", { "class": "muted", "data-queue-empty": "" }, "本机没有待发送的记录。"));
      return;
    }
    var list = el("ul", { "class": "plain" });
    rows.forEach(function (record) {
      var item = el("li", { "class": "card u-p-10", "data-queue-key": record.key, "data-testid": "queued-record" });
      item.appendChild(el("strong", {}, record.title || "记录"));
      item.appendChild(el("p", { "class": "muted u-m-0" },
        "本机记录于 " + when(record.recordedAt) + " · " + (STATUS[record.status] || record.status) +
        (record.files && record.files.length ? " · 照片" + record.files.length + "张" : "")));
      if (record.message) {
        item.appendChild(el("p", { "class": "msg " + (record.status === "waiting" ? "msg-warning" : "msg-error"),
                                   role: record.status === "waiting" ? "status" : "alert" }, record.message));
      }
      var actions = el("p", { "class": "u-m-0" });
      var resend = el("button", { type: "button", "data-queue-resend": record.key },
                      record.status === "conflict" ? "已核对，重新发送" : "重新发送");
      var edit = el("a", { href: record.formUrl + "#queued=" + record.key, "class": "button secondary" }, "修改");
      var del = el("button", { type: "button", "class": "link", "data-queue-delete": record.key }, "删除");
      actions.appendChild(resend);
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(edit);
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(del);
      item.appendChild(actions);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function refresh() {
    if (!Q) {
      renderList([]);
      return Promise.resolve();
    }
    // Records are opened (decrypted) only where they are listed: the offline page.
    var listed = document.getElementById("offline-queue") ? Q.all(user) : Q.list(user);
    return listed.then(function (rows) {
      waiting = rows.length;
      var badge = document.querySelector("[data-queue-count]");
      if (badge) {
        badge.hidden = waiting === 0;
        var n = badge.querySelector(".count");
        if (n) n.textContent = String(waiting);
        badge.setAttribute("aria-label", "待发送" + waiting + "条");
      }
      renderList(rows);
    }).catch(function () { /* storage refused (private mode): nothing to show */ });
  }

  var RETRY_FIRST_MS = 3000;
  var RETRY_MAX_MS = 60000;
  var BUSY_MS = 2000;
  var retry = null;
  var failures = 0;
  var flushing = Promise.resolve();

  // Send what waits. Another tab (or the worker, or the page this one replaced, until it lets go)
  // may hold the lock: look again shortly. While records wait (the server was busy, the session
  // had expired), try again after 3 s, 6 s, 12 s … at most a minute apart.
  function flush() {
    if (!Q || navigator.onLine === false) return Promise.resolve();
    if (retry) clearTimeout(retry);
    retry = null;
    flushing = Q.flush().then(function (result) {
      failures = result && result.stopped ? failures + 1 : 0;
      return refresh().then(function () {
        var delay = result && result.busy ? BUSY_MS : 0;
        if (!delay && failures && waiting > 0) delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * Math.pow(2, failures - 1));
        if (delay) retry = setTimeout(flush, delay);
      });
    }, refresh);
    return flushing;
  }

  document.addEventListener("click", function (evt) {
    var target = evt.target;
    if (!Q || !target.getAttribute) return;
    var key = target.getAttribute("data-queue-resend");
    if (key) {
      target.disabled = true;
      Q.resend(key).then(refresh, refresh);
      return;
    }
    key = target.getAttribute("data-queue-delete");
    if (key && window.confirm("删除后这条记录不会发送，确定删除吗？")) Q.remove(key).then(refresh);
  });

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form.matches || !form.matches("form[data-logout]") || evt.defaultPrevented) return;
    if (waiting > 0 && !window.confirm("本机还有" + waiting + "条记录没有发送，退出登录会删除它们。确定退出吗？")) {
      evt.preventDefault();
      return;
    }
    wipe();
  });
  document.addEventListener("queue:changed", refresh);
  if (Q && Q.channel) Q.channel.addEventListener("message", refresh);
  window.addEventListener("online", function () { banner(); warm(false); flush(); });
  window.addEventListener("offline", banner);

  window.ZhenwuOffline = { warm: warm, wipe: wipe, flush: flush, refresh: refresh };

  var sw = worker();
  if (sw) {
    sw.register("/sw.js", { scope: "/" }).then(function () {
      return sw.ready;
    }).then(function () {
      document.documentElement.setAttribute("data-offline-ready", "1");
      // Sending first: the warm-up's page fetches would compete with it for a weak signal.
      return flushing.then(function () { return warm(false); });
    }).catch(function () { /* no worker: today's behaviour */ });
  }
  // 离线扫码: a session's sign-in QR opened without signal (the worker showed this 待发送 page at
  // the QR's address). The code, signed by the server with its time, waits in the queue like any
  // record; the server accepts it if it arrives soon enough after the session (docs/offline.md).
  var SCAN = /^\/study\/s\/(\d+)\/([0-9]+-[0-9a-f]+)\/$/;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
  }

  function queueScan() {
    var match = SCAN.exec(location.pathname);
    var box = document.getElementById("offline-queue");
    if (!match || !box || !Q || !user) return Promise.resolve();
    var notice = document.querySelector("[data-offline-missing]");
    return Q.list(user).then(function (rows) {
      var same = rows.filter(function (r) { return r.kind === "checkin" && r.target === match[1]; })[0];
      if (same) return same;
      return Q.put({
        key: newKey(), user: user, kind: "checkin", target: match[1], base: "", confirmed: false,
        title: "学习签到", url: location.pathname, formUrl: "/study/sessions/" + match[1] + "/",
        fields: [["code", match[2]]], files: [], recordedAt: new Date().toISOString(), status: "waiting", message: "",
      });
    }).then(function (record) {
      if (notice) {
        notice.textContent = "没有网络：已在本机记录您的签到（" + when(record.recordedAt) +
          "），联网后自动发送。请在学习结束后2小时内到有信号的地方打开镇务通。";
        notice.setAttribute("data-offline-missing", location.pathname);
        notice.setAttribute("data-testid", "offline-checkin");
        notice.hidden = false;
      }
      return Q.requestSync();
    }).then(refresh, refresh);
  }

  function ready() {
    banner();
    queueScan().then(refresh).then(flush);
    // The 待发送 page stands in for a page that was not kept on the phone: say which.
    var missing = document.querySelector("[data-offline-missing]");
    if (missing && location.pathname !== missing.getAttribute("data-offline-missing")) missing.hidden = false;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
