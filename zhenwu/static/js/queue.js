// queue.js — records made without signal, kept on the phone (IndexedDB) until they are sent
// (docs/offline.md). Loaded by the phone roles' pages (base.html) and by the service worker
// (importScripts), which share it: window.ZhenwuQueue / self.ZhenwuQueue.
//
// A record: {key (UUID, the idempotency key), user, kind ("visit"…), target (the household…),
//   base (the target's state when the form was opened), confirmed, title, url (the form's action),
//   formUrl (the page to edit it on), fields [[name, value]…], files [{name, filename, type, data
//   (ArrayBuffer)}…], recordedAt (ISO), status ("waiting" | "conflict" | "invalid"), message}.
// Sending (flush): one sender at a time across tabs and the worker (Web Locks; without them, one
//   per page), records of the signed-in user only, oldest first, each POSTed to /offline/queue/
//   with a fresh CSRF token from /offline/pages.json:
//     200/201 → removed;  409 → "conflict" (kept, editable; `newBase` is the target's state now);
//     400/403/422 → "invalid" (kept, editable);  401, 5xx, no network → stop, keep, retry later.
//   Then it reports the queue's size and oldest record time (no content) to /offline/queue/summary/.
// At rest (where the platform allows: WebCrypto in a secure context) a record's fields and photos
//   are kept encrypted (AES-GCM, a fresh IV each), under `sealed`; the rest (key, user, kind,
//   target, status, times, title, message) stays readable to list and report the queue. The key is
//   the user's own on this phone: 256-bit, non-extractable (usable here, never readable), made when
//   the first record is queued after signing in, kept in the store "keys", and deleted with the
//   queue at sign-out (wipe). A record its key cannot open any more is shown as 需要修改 with why.
//   put/get/all take and give records in the clear; only what is stored is sealed.
// Every change is announced: the event "queue:changed" on the page's document, and the
// BroadcastChannel "zhenwu-queue" for other tabs and the worker ({type, key, message, url}).
(function (scope) {
  "use strict";
  var DB_NAME = "zhenwu-offline";
  var STORE = "queue";
  var KEYS = "keys";
  var ENDPOINT = "/offline/queue/";
  var PAGES = "/offline/pages.json";
  var SUMMARY = "/offline/queue/summary/";
  var LOCK = "zhenwu-queue-send";
  var channel = scope.BroadcastChannel ? new BroadcastChannel("zhenwu-queue") : null;
  var sendingHere = false;

  function available() {
    return !!scope.indexedDB;
  }

  function request(req) {
    return new Promise(function (resolve, reject) {
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function open() {
    var req = scope.indexedDB.open(DB_NAME, 2);
    req.onupgradeneeded = function () {
      var db = req.result;
      if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "key" });
      if (!db.objectStoreNames.contains(KEYS)) db.createObjectStore(KEYS, { keyPath: "user" });
    };
    return request(req);
  }

  function withStore(mode, work, name) {
    name = name || STORE;
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(name, mode);
        var result;
        Promise.resolve(work(tx.objectStore(name))).then(function (value) { result = value; }, reject);
        tx.oncomplete = function () { db.close(); resolve(result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function announce(type, detail) {
    var message = Object.assign({ type: type }, detail || {});
    if (channel) channel.postMessage(message);
    if (scope.document) scope.document.dispatchEvent(new CustomEvent("queue:changed", { detail: message }));
  }

  // --- encryption at rest -----------------------------------------------------------------------
  var subtle = scope.crypto && scope.crypto.subtle;

  function canSeal() {
    return !!(subtle && scope.isSecureContext !== false && scope.TextEncoder);
  }

  // The user's key on this phone; with `create`, made (once, whichever tab comes first) if missing.
  function userKey(user, create) {
    var id = String(user == null ? "" : user);
    return withStore("readonly", function (store) { return request(store.get(id)); }, KEYS).then(function (row) {
      if (row) return row.key;
      if (!create) return null;
      return subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]).then(function (key) {
        return withStore("readwrite", function (store) { return request(store.add({ user: id, key: key })); }, KEYS)
          .then(function () { return key; }, function () { return userKey(user, false); });
      });
    });
  }

  function encrypt(key, data) {
    var iv = scope.crypto.getRandomValues(new Uint8Array(12));
    return subtle.encrypt({ name: "AES-GCM", iv: iv }, key, data).then(function (data) { return { iv: iv, data: data }; });
  }

  function decrypt(key, part) {
    return subtle.decrypt({ name: "AES-GCM", iv: part.iv }, key, part.data);
  }

  function seal(record) {
    if (!canSeal()) return Promise.resolve(record);
    var files = record.files || [];
    return userKey(record.user, true).then(function (key) {
      var inner = { fields: record.fields || [], files: files.map(function (f) {
        return { name: f.name, filename: f.filename, type: f.type };
      }) };
      var parts = [encrypt(key, new TextEncoder().encode(JSON.stringify(inner)))].concat(
        files.map(function (f) { return encrypt(key, f.data); }));
      return Promise.all(parts).then(function (sealed) {
        var out = Object.assign({}, record, { fields: [], files: [] });
        out.sealed = { inner: sealed[0], files: sealed.slice(1) };
        return out;
      });
    });
  }

  function unseal(row) {
    if (!row || !row.sealed) return Promise.resolve(row);
    var sealed = row.sealed;
    var out = Object.assign({}, row);
    delete out.sealed;
    return (subtle ? userKey(row.user, false) : Promise.resolve(null)).then(function (key) {
      if (!key) throw new Error("no key");
      return Promise.all([decrypt(key, sealed.inner)].concat(sealed.files.map(function (p) { return decrypt(key, p); })));
    }).then(function (parts) {
      var inner = JSON.parse(new TextDecoder().decode(parts[0]));
      out.fields = inner.fields;
      out.files = inner.files.map(function (f, i) { return Object.assign({}, f, { data: parts[i + 1] }); });
      return out;
    }).catch(function () {
      out.status = "invalid";
      out.message = "这条记录在本机已无法读取（加密密钥已随退出登录清除），不能发送。请删除后重新填写";
      return out;
    });
  }

  // Sign-out: the queue and the keys go together.
  function wipe() {
    if (!available()) return Promise.resolve();
    return new Promise(function (resolve) {
      var req = scope.indexedDB.deleteDatabase(DB_NAME);
      req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
    });
  }

  function put(record) {
    return seal(record).then(function (stored) {
      return withStore("readwrite", function (store) { return request(store.put(stored)); });
    }).then(function () {
      announce("saved", { key: record.key });
      return record;
    });
  }

  function get(key) {
    return withStore("readonly", function (store) { return request(store.get(key)); }).then(unseal);
  }

  // The user's records as stored, oldest first, still sealed: what counting, summing up and
  // choosing need (key, kind, target, status, title and times are kept in the clear).
  function list(user) {
    return withStore("readonly", function (store) { return request(store.getAll()); }).then(function (rows) {
      return rows.filter(function (r) { return user == null || String(r.user) === String(user); })
        .sort(function (a, b) { return a.recordedAt < b.recordedAt ? -1 : a.recordedAt > b.recordedAt ? 1 : 0; });
    });
  }

  // The same records opened (form values and photos decrypted): for the list that shows them.
  function all(user) {
    return list(user).then(function (rows) { return Promise.all(rows.map(unseal)); });
  }

  function remove(key) {
    return withStore("readwrite", function (store) { return request(store.delete(key)); }).then(function () {
      announce("removed", { key: key });
    });
  }

  function count(user) {
    return list(user).then(function (rows) { return rows.length; });
  }

  function body(record) {
    var data = new FormData();
    (record.fields || []).forEach(function (pair) { data.append(pair[0], pair[1]); });
    (record.files || []).forEach(function (file) {
      data.append(file.name, new Blob([file.data], { type: file.type }), file.filename);
    });
    data.set("key", record.key);
    data.set("kind", record.kind);
    data.set("target", record.target || "");
    data.set("base", record.base || "");
    data.set("confirmed", record.confirmed ? "1" : "");
    data.set("recorded_at", record.recordedAt || "");
    return data;
  }

  // One record; resolves "sent", "kept" (conflict or invalid: go on with the next) or "stop".
  function sendOne(record, csrf) {
    return fetch(ENDPOINT, {
      method: "POST", body: body(record), credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json", "X-Requested-With": "queue.js" },
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) {
          return remove(record.key).then(function () {
            announce("sent", { key: record.key, message: answer.message, url: answer.url, formUrl: record.formUrl });
            return "sent";
          });
        }
        if (response.status === 401 || response.status >= 500 || response.status === 429) return "stop";
        record.status = response.status === 409 ? "conflict" : "invalid";
        record.message = answer.message || "服务器未接受这条记录（" + response.status + "）";
        if (answer.base) record.newBase = answer.base;
        return put(record).then(function () { return "kept"; });
      });
    }, function () { return "stop"; });
  }

  function sendAll(only) {
    return fetch(PAGES, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; }, function () { return null; })
      .then(function (session) {
        if (!session || !session.enabled) return { sent: 0, stopped: true };
        return list(session.user).then(function (rows) {
          // Only the records about to be sent are opened.
          return Promise.all(rows.filter(function (r) { return only ? r.key === only : r.status === "waiting"; }).map(unseal));
        }).then(function (rows) {
          rows = rows.filter(function (r) { return only ? r.key === only : r.status === "waiting"; });
          var sent = 0;
          var chain = Promise.resolve("sent");
          rows.forEach(function (record) {
            chain = chain.then(function (last) {
              if (last === "stop") return "stop";
              return sendOne(record, session.csrf).then(function (result) {
                if (result === "sent") sent += 1;
                return result;
              });
            });
          });
          return chain.then(function (last) {
            var result = { sent: sent, stopped: last === "stop" };
            return report(session).then(function () { return result; }, function () { return result; });
          });
        });
      });
  }

  // Tell the server how many records still wait here and when the oldest was made (never their
  // content), so a secretary sees records stuck on a phone for more than a day. Only when that
  // changed, or at most every REPORT_MS while it stays the same.
  var REPORT_MS = 30 * 60 * 1000;
  var lastReport = null;
  function report(session) {
    return list(session.user).then(function (rows) {
      var summary = { count: rows.length, oldest: rows.length ? rows[0].recordedAt : null };
      var sig = session.user + ":" + summary.count + ":" + summary.oldest;
      if (lastReport && lastReport.sig === sig && Date.now() - lastReport.at < REPORT_MS) return;
      return fetch(SUMMARY, {
        method: "POST", body: JSON.stringify(summary), credentials: "same-origin",
        headers: { "X-CSRFToken": session.csrf, "Content-Type": "application/json", "X-Requested-With": "queue.js" },
      }).then(function (response) {
        if (response.ok) lastReport = { sig: sig, at: Date.now() };
      });
    });
  }

  // Send what waits (or only `only`). Resolves {sent, stopped} or {busy: true} when another tab or
  // the worker is sending.
  function flush(only) {
    if (!available()) return Promise.resolve({ sent: 0 });
    var locks = scope.navigator && scope.navigator.locks;
    if (locks && locks.request) {
      return locks.request(LOCK, { ifAvailable: true }, function (lock) {
        return lock ? sendAll(only) : { busy: true };
      });
    }
    if (sendingHere) return Promise.resolve({ busy: true });
    sendingHere = true;
    return sendAll(only).then(function (r) { sendingHere = false; return r; },
                              function (e) { sendingHere = false; throw e; });
  }

  // The user checked a record that came back: send it again (after a conflict, with the target's
  // state now, which tells the server the change was seen).
  function resend(key) {
    return get(key).then(function (record) {
      if (!record) return { sent: 0 };
      if (record.status === "conflict" && record.newBase) {
        record.base = record.newBase;
        record.confirmed = true;
      }
      record.status = "waiting";
      return put(record).then(function () { return flush(key); });
    });
  }

  // Ask the service worker to send when the connection returns, even with no page open.
  function requestSync() {
    var sw = scope.navigator && scope.navigator.serviceWorker;
    if (!sw || !sw.ready) return Promise.resolve(false);
    return sw.ready.then(function (reg) {
      return reg.sync ? reg.sync.register("zhenwu-queue").then(function () { return true; }) : false;
    }).catch(function () { return false; });
  }

  scope.ZhenwuQueue = {
    available: available, put: put, get: get, list: list, all: all, remove: remove, count: count, flush: flush,
    resend: resend, requestSync: requestSync, wipe: wipe, channel: channel,
  };
})(self);
