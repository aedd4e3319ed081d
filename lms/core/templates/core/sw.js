/* Học số cộng đồng service worker (served at /sw.js by lms/core/views.py).
   - The layout's CSS, JS and icons, and the offline page, are kept from the start (ASSETS);
     any other static file is kept the first time it is used. Static URLs carry their content
     hash, so a kept copy is never stale.
   - Course, module and lesson pages (and the home page and dashboard) are fetched from the
     network first; each one that arrives is kept (PAGES), so a page opened once, or saved
     with "save this module for offline", opens again without a connection, marked with the
     "offline" badge (the body gets the class is-offline).
   - Signing in or out, or deleting the account, empties PAGES: on a shared phone the next
     person does not read the previous one's pages.
   - Nothing else is touched: forms, quiz answers and every other page go to the network as usual. */
"use strict";

var VERSION = {{ version|tojson }};
var ASSETS = "lms-assets-" + VERSION;
var PAGES = "lms-pages-v1";
var PRECACHE = {{ precache|tojson }};
var OFFLINE_URL = {{ offline_url|tojson }};
var CLEARING = ["/login", "/logout", "/account/logout-everywhere", "/account/delete"];

function keptPage(url) {
  var path = url.pathname;
  if (path === "/" || path === "/dashboard" || path === "/courses") return true;
  var parts = path.split("/").filter(Boolean);
  // /courses/<course>[/<module>[/<lesson>]], not the quiz, the enrolment or a lesson's "done"
  return parts[0] === "courses" && parts.length >= 2 && parts.length <= 4 &&
    ["quiz", "enroll", "done"].indexOf(parts[parts.length - 1]) === -1;
}

function markOffline(response) {
  return response.text().then(function (html) {
    var headers = new Headers(response.headers);
    headers.delete("Content-Length");
    return new Response(html.replace("<body>", '<body class="is-offline">'), {
      status: response.status, statusText: response.statusText, headers: headers
    });
  });
}

function keep(cacheName, request, response) {
  if (response && response.ok && response.type === "basic" && !response.redirected) {
    var copy = response.clone();
    caches.open(cacheName).then(function (cache) { return cache.put(request, copy); });
  }
  return response;
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(ASSETS)
      .then(function (cache) { return cache.addAll(PRECACHE); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys()
      .then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf("lms-assets-") === 0 && name !== ASSETS;
        }).map(function (name) { return caches.delete(name); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  // A page opened before this worker controlled it: keep it now.
  if (data.type === "keep-page" && typeof data.url === "string") {
    var url = new URL(data.url, self.location.origin);
    if (url.origin === self.location.origin && keptPage(url)) {
      event.waitUntil(fetch(url.href, { credentials: "same-origin" }).then(function (response) {
        return keep(PAGES, url.href, response);
      }).catch(function () { /* offline: nothing to keep */ }));
    }
  }
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET") {
    if (CLEARING.indexOf(url.pathname) !== -1) event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/content/") === 0) {
    event.respondWith(caches.match(request, { ignoreVary: true }).then(function (found) {
      return found || fetch(request).then(function (response) {
        return keep(url.pathname.indexOf("/static/") === 0 ? ASSETS : PAGES, request, response);
      });
    }));
    return;
  }
  if (request.mode !== "navigate") return;
  event.respondWith(fetch(request).then(function (response) {
    return keptPage(url) ? keep(PAGES, request, response) : response;
  }).catch(function () {
    return caches.match(request, { cacheName: PAGES, ignoreVary: true }).then(function (found) {
      if (found) return markOffline(found);
      return caches.match(OFFLINE_URL, { cacheName: ASSETS, ignoreVary: true }).then(function (page) {
        return page ? markOffline(page) : Response.error();
      });
    });
  }));
});
