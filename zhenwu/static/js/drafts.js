// drafts.js — forms that survive a dropped connection (visits in the field, residents' reports).
//
// Contract (a form opts in; nothing else on the page is touched):
//   <form method="post" action="/x/" data-draft="visit-123" [data-draft-key="idempotency_key"]>
//     <input type="hidden" name="idempotency_key">      (the key field; name set by data-draft-key)
//     <p data-draft-status role="status"></p>           (optional: where status text is shown)
//   - data-draft: the name the draft is kept under in localStorage ("zhenwu-draft:" + name); one
//     name per form and record (e.g. "visit-<household id>").
//   - data-draft-keep-key (optional, no value): a new draft keeps the key the page rendered in the
//     key field (for forms whose server checks the key's shape or issues it); otherwise, and when
//     the field is empty, a UUID (36 characters: letters, digits and hyphens) is made on the phone.
//   - Each draft gets its key when it starts; the server MUST treat a repeated key
//     as the same submission (answer with the first result, create nothing new). A draft keeps its
//     key until it has been sent, so every retry carries the same key.
//   - Every change is saved (text, textarea, select, checkbox, radio; never files, never the CSRF
//     token). Opening the page again restores the draft.
//   - Submitting sends the form with fetch (same-origin cookies, the form's own CSRF token):
//       redirect or 2xx  → sent: the draft is removed; the answer (after redirects) replaces this
//                          page's <main> and the address bar shows its URL;
//       a redirect to the login page → kept; the user is sent to log in and comes back here;
//       4xx (form errors) → the answer's <main> replaces this page's <main>, the draft is kept;
//       5xx              → kept, with a message to try again later;
//       network failure  → kept and marked pending: sent again on the window's `online` event,
//                          every 20 s while the page is open, and on the next load of the page.
//   - Chosen files live in memory only: a retry on the same page sends them; after a reload they
//     must be chosen again (the status line says so).
//   - Events dispatched on the form: draft:saved, draft:pending, draft:sent, draft:queued (detail: {key}).
//
// The offline queue (phone roles, where base.html loads queue.js): a form that also names
//   data-offline-kind="visit" data-offline-target="<id>" data-offline-base="<state>" data-offline-title="…"
//   is not left pending in localStorage when the network fails (or the phone is offline): it goes
//   into the IndexedDB queue (ZhenwuQueue) with its key and its photos (resized on the phone: at
//   most MAX_SIDE px, JPEG), survives closing the browser, and is sent by the queue when the
//   connection returns; the page then moves on to the record's page if it is still open. Opened
//   as <form page>#queued=<key>, the form shows that queued record to be corrected and sent again.
(function () {
  "use strict";
  var PREFIX = "zhenwu-draft:";
  var RETRY_MS = 20000;
  var SKIP = { csrfmiddlewaretoken: true };
  var MAX_SIDE = 1600;
  var JPEG_QUALITY = 0.82;

  function uuid() {
    if (window.crypto && crypto.randomUUID) {
      try { return crypto.randomUUID(); } catch (e) { /* insecure context: fall through */ }
    }
    var b = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function load(name) {
    try { return JSON.parse(localStorage.getItem(PREFIX + name) || "null"); } catch (e) { return null; }
  }

  function store(name, draft) {
    try { localStorage.setItem(PREFIX + name, JSON.stringify(draft)); } catch (e) { /* full or private mode */ }
  }

  function drop(name) {
    try { localStorage.removeItem(PREFIX + name); } catch (e) { /* ignore */ }
  }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && !SKIP[el.name] && el.type !== "file" && el.type !== "submit" && el.type !== "button";
    });
  }

  function collect(form) {
    var values = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox") {
        values[el.name] = values[el.name] || [];
        if (el.checked) values[el.name].push(el.value);
      } else if (el.type === "radio") {
        if (el.checked) values[el.name] = el.value;
      } else if (el.tagName === "SELECT" && el.multiple) {
        values[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function restore(form, values) {
    fields(form).forEach(function (el) {
      if (!(el.name in values)) return;
      var v = values[el.name];
      if (el.type === "checkbox") {
        el.checked = Array.isArray(v) && v.indexOf(el.value) !== -1;
      } else if (el.type === "radio") {
        el.checked = v === el.value;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = Array.isArray(v) && v.indexOf(o.value) !== -1; });
      } else if (typeof v === "string") {
        el.value = v;
      }
    });
  }

  function status(form, text) {
    var box = form.querySelector("[data-draft-status]");
    if (box) {
      box.textContent = text;
      box.hidden = !text;
    }
  }

  function emit(form, type, key) {
    form.dispatchEvent(new CustomEvent(type, { bubbles: true, detail: { key: key } }));
  }

  function isLoginPage(url) {
    try { return new URL(url, location.href).pathname.indexOf("/accounts/login") === 0; } catch (e) { return false; }
  }

  function queue() {
    return window.ZhenwuQueue && window.ZhenwuQueue.available() ? window.ZhenwuQueue : null;
  }

  // A photo as the queue keeps it: scaled down on the phone to MAX_SIDE px as a JPEG (a phone's
  // 4,000 px photo is 3–6 MB; this is 200–400 KB); the file itself where the browser cannot.
  function shrink(file) {
    var raw = function () {
      return file.arrayBuffer().then(function (data) { return { data: data, type: file.type, filename: file.name }; });
    };
    if (!/^image\//.test(file.type) || !window.createImageBitmap) return raw();
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", JPEG_QUALITY); });
    }).then(function (blob) {
      if (!blob) return raw();
      return blob.arrayBuffer().then(function (data) {
        return { data: data, type: "image/jpeg", filename: file.name.replace(/\.[^.]*$/, "") + ".jpg" };
      });
    }, raw);
  }

  function Draft(form) {
    this.form = form;
    this.name = form.getAttribute("data-draft");
    this.keyField = form.elements[form.getAttribute("data-draft-key") || "idempotency_key"];
    this.sending = false;
    this.timer = null;
    this.kind = form.getAttribute("data-offline-kind");
    this.editing = null;  // the queued record being corrected (#queued=<key>)
    var saved = load(this.name);
    if (saved && saved.values) {
      restore(form, saved.values);
      if (saved.pending) status(form, "有一份未送达的记录，联网后将自动提交" + (saved.hadFiles ? "（照片需重新选择）" : ""));
      else if (saved.touched) status(form, "已恢复上次未提交的内容");
    }
    if (this.keyField) {
      var rendered = form.hasAttribute("data-draft-keep-key") ? this.keyField.value : "";
      this.keyField.value = (saved && saved.key) || rendered || uuid();
    }
    this.pending = !!(saved && saved.pending);
    this.touched = !!(saved && saved.touched);
    this.hadFiles = !!(saved && saved.hadFiles);
    this.save();
    var self = this;
    var edited = function () { self.touched = true; self.save(); };
    form.addEventListener("input", edited);
    form.addEventListener("change", edited);
    form.addEventListener("submit", function (evt) {
      evt.preventDefault();
      self.send();
    });
    window.addEventListener("online", function () { if (self.pending) self.send(); });
    if (this.pending && navigator.onLine !== false) this.send();
    document.addEventListener("queue:changed", function (evt) { self.queueChanged(evt.detail || {}); });
    var q = this.queueable() && queue();
    if (q && q.channel) q.channel.addEventListener("message", function (evt) { self.queueChanged(evt.data || {}); });
    var match = /^#queued=([0-9a-fA-F-]{32,64})$/.exec(location.hash);
    if (q && match) this.openQueued(match[1]);
  }

  Draft.prototype.queueable = function () {
    return !!(this.kind && queue());
  };

  Draft.prototype.openQueued = function (key) {
    var self = this;
    queue().get(key).then(function (record) {
      if (!record) {
        status(self.form, "这条记录已不在本机（可能已经送达）");
        return;
      }
      self.editing = record;
      var values = {};
      record.fields.forEach(function (pair) {
        var el = self.form.elements[pair[0]];
        var multi = el && (el.type === "checkbox" || (el.length && el[0] && el[0].type === "checkbox") || el.multiple);
        if (multi) (values[pair[0]] = values[pair[0]] || []).push(pair[1]);
        else values[pair[0]] = pair[1];
      });
      restore(self.form, values);
      if (self.keyField) self.keyField.value = record.key;
      self.save();
      status(self.form, "正在修改待发送的记录" + (record.message ? "：" + record.message : "") +
             (record.files && record.files.length ? "（已保存的照片会一起发送，重新选择则替换）" : ""));
    });
  };

  // Into the queue: the form's values, its photos (shrunk) and its key; the draft is done.
  Draft.prototype.enqueue = function () {
    var form = this.form, self = this, q = queue();
    var fieldsOut = [];
    var files = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.disabled || el.type === "submit" || el.type === "button") return;
      if (el.type === "file") {
        Array.prototype.forEach.call(el.files || [], function (file) { files.push({ name: el.name, file: file }); });
      } else if ((el.type === "checkbox" || el.type === "radio") && !el.checked) {
        return;
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.selectedOptions, function (o) { fieldsOut.push([el.name, o.value]); });
      } else {
        fieldsOut.push([el.name, el.value]);
      }
    });
    var before = this.editing;
    return Promise.all(files.map(function (f) {
      return shrink(f.file).then(function (kept) { kept.name = f.name; return kept; });
    })).then(function (shrunk) {
      var record = {
        key: self.key() || uuid(),
        user: document.body.getAttribute("data-offline-user"),
        kind: self.kind,
        target: form.getAttribute("data-offline-target") || "",
        base: before ? (before.newBase || before.base) : (form.getAttribute("data-offline-base") || ""),
        confirmed: before ? (before.confirmed || before.status === "conflict") : false,
        title: form.getAttribute("data-offline-title") || document.title,
        url: form.action,
        formUrl: location.pathname,
        fields: fieldsOut,
        files: shrunk.length ? shrunk : (before ? before.files : []),
        recordedAt: before ? before.recordedAt : new Date().toISOString(),
        status: "waiting",
        message: "",
      };
      return q.put(record);
    }).then(function (record) {
      self.finish();
      drop(self.name);
      self.queuedKey = record.key;
      self.editing = null;
      if (location.hash) history.replaceState(null, "", location.pathname + location.search);
      emit(form, "draft:queued", record.key);
      return q.count(document.body.getAttribute("data-offline-user")).then(function (n) {
        status(form, "已保存在本机，联网后自动发送（本机待发送" + n + "条）");
        // A fresh form for the next record; this one waits in the queue under its own key.
        form.reset();
        if (self.keyField) self.keyField.value = uuid();
        self.touched = false;
        self.pending = false;
        self.save();
        q.requestSync();
        // offline.js's flush looks again when another page still holds the sending lock.
        if (navigator.onLine !== false) (window.ZhenwuOffline || q).flush();
      });
    });
  };

  // The queue sent the record this page just queued: go where the form would have gone.
  Draft.prototype.queueChanged = function (detail) {
    if (detail.type === "sent" && detail.key === this.queuedKey && detail.url) {
      status(this.form, "已发送：" + (detail.message || ""));
      location.assign(detail.url);
    }
  };

  Draft.prototype.key = function () { return this.keyField ? this.keyField.value : null; };

  Draft.prototype.hasFiles = function () {
    return Array.prototype.some.call(this.form.querySelectorAll('input[type="file"]'), function (el) {
      return el.files && el.files.length > 0;
    });
  };

  Draft.prototype.save = function () {
    store(this.name, { key: this.key(), values: collect(this.form), pending: this.pending, touched: this.touched,
                       hadFiles: this.pending && (this.hadFiles || this.hasFiles()), savedAt: Date.now() });
    emit(this.form, "draft:saved", this.key());
  };

  Draft.prototype.markPending = function () {
    this.pending = true;
    this.save();
    status(this.form, "网络不可用，记录已保存在本机，联网后将自动提交");
    emit(this.form, "draft:pending", this.key());
    var self = this;
    if (!this.timer) this.timer = setInterval(function () { if (self.pending && navigator.onLine !== false) self.send(); }, RETRY_MS);
  };

  Draft.prototype.finish = function () {
    this.pending = false;
    if (this.timer) { clearInterval(this.timer); this.timer = null; }
  };

  Draft.prototype.send = function () {
    if (this.sending) return;
    var form = this.form, self = this;
    if (this.queueable() && (this.editing || navigator.onLine === false)) {
      this.enqueue();
      return;
    }
    this.sending = true;
    var buttons = form.querySelectorAll('button[type="submit"], input[type="submit"]');
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
    status(form, "正在提交…");
    var done = function () {
      self.sending = false;
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
    };
    fetch(form.action || location.href, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "drafts.js" },
    }).then(function (response) {
      if (response.redirected && isLoginPage(response.url)) {
        done();
        self.save();
        status(form, "登录已过期，请重新登录后再提交（内容已保存）");
        location.assign("/accounts/login/?next=" + encodeURIComponent(location.pathname));
        return;
      }
      if (response.ok) {
        self.finish();
        drop(self.name);
        emit(form, "draft:sent", self.key());
        // The answer already is the next page (fetch followed the redirect, and one-time
        // messages were spent on it): show it rather than asking for it again.
        return response.text().then(function (html) {
          done();
          if (response.redirected) history.replaceState(null, "", response.url);
          swapMain(html);
          window.scrollTo(0, 0);
        });
      }
      if (response.status >= 500) {
        done();
        self.finish();
        self.save();
        status(form, "服务器暂时无法处理，内容已保存，请稍后再试");
        return;
      }
      return response.text().then(function (html) {
        done();
        self.finish();
        self.save();
        swapMain(html);
      });
    }).catch(function () {
      done();
      if (self.queueable()) self.enqueue();
      else self.markPending();
    });
  };

  function swapMain(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var next = doc.querySelector("main");
    var here = document.querySelector("main");
    if (doc.title) document.title = doc.title;
    if (!next || !here) {
      document.documentElement.innerHTML = doc.documentElement.innerHTML;
      return;
    }
    here.innerHTML = next.innerHTML;
    init(here);
    var error = here.querySelector(".has-error, [role=alert]");
    if (error && error.scrollIntoView) error.scrollIntoView({ block: "center" });
  }

  function init(root) {
    Array.prototype.forEach.call((root || document).querySelectorAll("form[data-draft]"), function (form) {
      if (!form._draft) form._draft = new Draft(form);
    });
  }

  window.ZhenwuDrafts = { init: init, uuid: uuid };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();
})();
