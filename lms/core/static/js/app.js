/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  /* Texts come translated from the page (data-text-* attributes); the Vietnamese source
     text is the fallback. "{name}" marks where a value goes. */
  function text(el, key, fallback, values) {
    var template = (el && el.getAttribute("data-text-" + key)) || fallback;
    Object.keys(values || {}).forEach(function (name) {
      template = template.split("{" + name + "}").join(String(values[name]));
    });
    return template;
  }

  function initCommunePicker(root) {
    var box = root.querySelector(".picker-search");
    var input = root.querySelector("#commune-search");
    var list = root.querySelector("#commune-results");
    var status = root.querySelector("#commune-search-status");
    var province = root.querySelector("select[name=province]");
    var commune = root.querySelector("select[name=commune]");
    if (!box || !input || !province || !commune) return;
    box.hidden = false;
    var timer = null;
    var seq = 0;

    function choose(item) {
      province.value = item.province_code;
      // Rebuild the commune options for the chosen province with just this commune known.
      var exists = Array.prototype.some.call(commune.options, function (o) { return o.value === item.code; });
      if (!exists) {
        while (commune.options.length > 1) commune.remove(1);
        commune.add(new Option(item.name, item.code));
      }
      commune.value = item.code;
      list.textContent = "";
      status.textContent = text(root, "chosen", "Đã chọn: {place}", { place: item.name + ", " + item.province });
      commune.focus();
    }

    function search() {
      var q = input.value.trim();
      list.textContent = "";
      if (q.length < 2) { status.textContent = ""; return; }
      var mine = ++seq;
      fetch("/api/communes?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) {
          if (mine !== seq) return;
          var n = data.results.length;
          // The server stops at 20 and says whether there were more: then "20+", not "20".
          status.textContent = data.more
            ? text(root, "results-more", "{n}+ kết quả: bạn hãy gõ thêm để thu hẹp.", { n: n })
            : n
            ? text(root, n === 1 ? "results-one" : "results-many", "{n} kết quả", { n: n })
            : text(root, "none", "Không tìm thấy. Bạn hãy thử cách viết khác.");
          data.results.forEach(function (item) {
            var li = document.createElement("li");
            var b = document.createElement("button");
            b.type = "button";
            b.textContent = item.name + " — " + item.province;
            b.addEventListener("click", function () { choose(item); });
            li.appendChild(b);
            list.appendChild(li);
          });
        })
        .catch(function () { status.textContent = text(root, "failed", "Không tải được danh sách. Bạn hãy chọn tỉnh rồi chọn xã ở dưới."); });
    }

    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); search(); } });

    // Choosing a province without the search reloads its communes from the server.
    province.addEventListener("change", function () {
      var form = province.form;
      var pick = form.querySelector("[name=pick_province]");
      if (pick) { pick.click(); }
    });
  }

  function preventDoubleSubmit(form) {
    form.addEventListener("submit", function (e) {
      if (form.dataset.submitting === "1") { e.preventDefault(); return; }
      form.dataset.submitting = "1";
      setTimeout(function () { form.dataset.submitting = ""; }, 8000);
    });
  }

  /* Quiz autosave: every change is sent at once; while offline, answers wait in
     localStorage (per attempt) and are sent when the connection returns. */
  function initQuizAutosave(form) {
    var url = form.getAttribute("data-autosave");
    var storeKey = "lms-attempt-" + form.getAttribute("data-attempt");
    var notice = document.getElementById("offline-notice");
    var status = document.getElementById("quiz-status");
    var tokenInput = form.querySelector("input[name=csrf_token]");
    var sending = false;

    function pending() {
      try { return JSON.parse(localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
    }
    function keep(p) {
      try { localStorage.setItem(storeKey, JSON.stringify(p)); } catch (e) { /* storage full or disabled */ }
    }
    function chosen(versionId) {
      return Array.prototype.filter.call(form.querySelectorAll("input[name=q" + versionId + "]"), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    function countAnswered() {
      var sets = form.querySelectorAll("fieldset.question");
      var n = 0;
      Array.prototype.forEach.call(sets, function (f) { if (chosen(f.getAttribute("data-version")).length) n++; });
      if (status) status.textContent = text(form, "answered", "Đã trả lời {a}/{n} câu.", { a: n, n: sets.length });
    }
    function showOffline(on) { if (notice) notice.hidden = !on; }
    function flush() {
      var p = pending();
      if (sending || !Object.keys(p).length) return;
      sending = true;
      fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": tokenInput ? tokenInput.value : "" },
        body: JSON.stringify({ answers: p }),
        credentials: "same-origin"
      }).then(function (r) {
        sending = false;
        if (r.ok) {
          var now = pending();
          Object.keys(p).forEach(function (k) { if (JSON.stringify(now[k]) === JSON.stringify(p[k])) delete now[k]; });
          keep(now);
          showOffline(false);
          if (Object.keys(now).length) flush();
        } else if (r.status === 409 || r.status === 404) {
          keep({});  // attempt finished elsewhere: nothing left to send
        } else if (r.status === 400 || r.status === 403) {
          // Expired form or session: say so; the answers stay here and go on the reload.
          var failed = document.getElementById("autosave-failed");
          if (failed) failed.hidden = false;
        }
      }).catch(function () { sending = false; showOffline(true); });
    }

    // Restore answers kept while offline (the page may have been reloaded without a connection).
    var saved = pending();
    Object.keys(saved).forEach(function (versionId) {
      Array.prototype.forEach.call(form.querySelectorAll("input[name=q" + versionId + "]"), function (i) {
        i.checked = saved[versionId].indexOf(i.value) !== -1;
      });
    });
    countAnswered();

    form.addEventListener("change", function (e) {
      var field = e.target.closest("fieldset.question");
      if (!field) return;
      var p = pending();
      p[field.getAttribute("data-version")] = chosen(field.getAttribute("data-version"));
      keep(p);
      countAnswered();
      if (navigator.onLine === false) { showOffline(true); return; }
      flush();
    });
    form.addEventListener("submit", function (e) {
      if (navigator.onLine === false) {
        e.preventDefault();
        showOffline(true);
        return;
      }
      // The answers stay kept until the server has them: should this submission fail (an
      // expired form), the reloaded page still restores and sends them.
    });
    window.addEventListener("online", function () { showOffline(false); flush(); });
    window.addEventListener("offline", function () { showOffline(true); });
    flush();
  }

  /* Offline reading (the service worker is /sw.js, lms/core/templates/core/sw.js). PAGES is
     the worker's cache of pages; the two files must name the same one. */
  var PAGES = "lms-pages-v1";

  function initServiceWorker() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/sw.js").then(function () {
      if (navigator.serviceWorker.controller) return;
      // The first visit was not served by the worker: ask it to keep this page too.
      navigator.serviceWorker.ready.then(function (registration) {
        if (registration.active) registration.active.postMessage({ type: "keep-page", url: location.href });
      });
    }).catch(function () { /* no worker: pages simply need the network */ });
  }

  function showOfflineBadge(on) {
    document.body.classList.toggle("is-offline", on);
  }

  /* "Save this module for offline": fetch the module's pages (and their pictures) into the
     worker's page cache, with the progress in words. */
  function initSaveOffline(button) {
    if (!("serviceWorker" in navigator) || !window.caches) return;
    var status = document.getElementById(button.getAttribute("aria-controls"));
    var urls;
    try { urls = JSON.parse(button.getAttribute("data-urls") || "[]"); } catch (e) { return; }
    button.hidden = false;
    function say(key, fallback, values) { if (status) status.textContent = text(button, key, fallback, values); }
    button.addEventListener("click", function () {
      var done = 0;
      button.disabled = true;
      say("saving", "Đang lưu {done}/{total} trang…", { done: 0, total: urls.length });
      caches.open(PAGES).then(function (cache) {
        return urls.reduce(function (chain, url) {
          return chain.then(function () {
            return fetch(url, { credentials: "same-origin" }).then(function (response) {
              if (!response.ok) throw new Error(String(response.status));
              var copy = response.clone();
              return response.text().then(function (html) {
                var pictures = (html.match(/src="\/content\/[^"]+"/g) || []).map(function (m) { return m.slice(5, -1); });
                return cache.put(url, copy).then(function () { return cache.addAll(pictures); });
              });
            }).then(function () {
              done += 1;
              say("saving", "Đang lưu {done}/{total} trang…", { done: done, total: urls.length });
            });
          });
        }, Promise.resolve());
      }).then(function () {
        say("saved", "Đã lưu {total} trang. Bạn đọc được cả khi không có mạng.", { total: urls.length });
      }).catch(function () {
        say("failed", "Chưa lưu được ({done}/{total} trang). Bạn hãy thử lại khi có mạng.", { done: done, total: urls.length });
      }).then(function () { button.disabled = false; });
    });
  }

  initServiceWorker();
  window.addEventListener("offline", function () { showOfflineBadge(true); });
  window.addEventListener("online", function () { showOfflineBadge(false); });

  document.addEventListener("DOMContentLoaded", function () {
    if (navigator.onLine === false) showOfflineBadge(true);
    Array.prototype.forEach.call(document.querySelectorAll("[data-save-offline]"), initSaveOffline);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), initQuizAutosave);
    Array.prototype.forEach.call(document.querySelectorAll("[data-commune-picker]"), initCommunePicker);
    Array.prototype.forEach.call(document.querySelectorAll("form[method=post]"), preventDoubleSubmit);
  });
})();
