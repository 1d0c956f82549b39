// 镇务通 service worker (docs/offline.md). Rendered by zhenwu.offline.views.service_worker.
//   - the app shell (SHELL: the pages' own CSS and scripts) is kept when the worker installs;
//   - pages are fetched from the network first; a page answered while online is kept (the
//     user's own pages: every page this worker sees was answered to this user's session), and
//     shown from the phone when the network fails; a page never kept shows the 待发送 page;
//   - a session's sign-in QR opened without signal shows the 待发送 page, which queues it;
//   - sign-out wipes it all (the logout answer's Clear-Site-Data, and the "wipe" message).
//   - records queued on the phone (queue.js, IndexedDB) are sent on Background Sync, where the
//     browser has it, even with no page open.
"use strict";
importScripts("{{ queue_js }}");
var VERSION = "{{ version }}";
var SHELL_CACHE = "zhenwu-shell-" + VERSION;
var PAGES_CACHE = "zhenwu-pages";
var SHELL = {{ shell_json|safe }};
var FALLBACK = "{{ queue_url }}";
// Never kept: signing in and out, the admin, the APIs, downloads of files.
var NEVER = [/^\/accounts\//, /^\/admin\//, /^\/api\//, /^\/open311\//, /^\/sw\.js$/, /^\/offline\/pages\.json$/,
             /\/photo\/?$/, /\/export\/?$/, /^\/jobs\//];
var SCAN = /^\/study\/s\/\d+\/[0-9]+-[0-9a-f]+\/$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL_CACHE).then(function (cache) {
    return cache.addAll(SHELL.map(function (url) { return new Request(url, { credentials: "same-origin" }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf("zhenwu-shell-") === 0 && key !== SHELL_CACHE;
    }).map(function (key) { return caches.delete(key); }));
  }).then(function () { return self.clients.claim(); }));
});

function kept(url) {
  return !NEVER.some(function (re) { return re.test(url.pathname); });
}

function isLogin(response) {
  try { return new URL(response.url).pathname.indexOf("/accounts/login") === 0; } catch (e) { return false; }
}

function fromNetwork(request, url) {
  return fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && !isLogin(response) && kept(url)) {
      var copy = response.clone();
      caches.open(PAGES_CACHE).then(function (cache) { return cache.put(url.pathname + url.search, copy); });
    }
    return response;
  });
}

function fromPhone(url) {
  return caches.open(PAGES_CACHE).then(function (cache) {
    return cache.match(url.pathname + url.search);
  }).then(function (hit) {
    if (hit) return hit;
    return caches.match(FALLBACK);
  }).then(function (hit) {
    return hit || new Response("<!doctype html><meta charset=utf-8><title>离线</title><p>网络不可用，此页面未保存在本机。</p>",
                               { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (SHELL.indexOf(url.pathname) !== -1 && url.pathname !== FALLBACK) {
    event.respondWith(caches.match(url.pathname).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  if (request.mode === "navigate" && SCAN.test(url.pathname)) {
    // A session's sign-in QR: never kept (each code lives half a minute); without signal the
    // 待发送 page opens at this address and offline.js queues the sign-in (离线扫码).
    event.respondWith(fetch(request).catch(function () { return fromPhone(new URL(FALLBACK, url)); }));
    return;
  }
  if (request.mode !== "navigate" || !kept(url)) return;
  event.respondWith(fromNetwork(request, url).catch(function () { return fromPhone(url); }));
});

self.addEventListener("sync", function (event) {
  if (event.tag === "zhenwu-queue") event.waitUntil(self.ZhenwuQueue.flush());
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "wipe") {
    event.waitUntil(Promise.all([caches.keys().then(function (keys) {
      return Promise.all(keys.map(function (key) { return caches.delete(key); }));
    }), self.ZhenwuQueue.wipe()]));
  }
});
