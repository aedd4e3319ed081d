/* Roster import page: poll the progress while a file is checked or written, then show the
   outcome (the page also works without it: reloading it shows the progress). */
(function () {
  "use strict";
  var box = document.getElementById("roster-progress");
  var bar = document.getElementById("roster-bar");
  var status = document.getElementById("roster-status");
  if (!box || !bar || !status || !window.fetch) return;
  var url = box.getAttribute("data-progress-url");
  var rounds = 0;
  /* Texts come translated from the page (data-text-* on #roster-progress). */
  function text(key, values) {
    var template = box.getAttribute("data-text-" + key) || "";
    Object.keys(values || {}).forEach(function (name) {
      template = template.split("{" + name + "}").join(String(values[name]));
    });
    return template;
  }
  function show(data) {
    if (data.total) {
      bar.max = data.total;
      bar.value = Math.min(data.processed || 0, data.total);
    }
    if (data.finished) {
      status.textContent = text("finished");
      window.location.reload();
      return false;
    }
    if (data.status === "queued") status.textContent = text("queued");
    else if (data.phase === "check") status.textContent = text("checking", { processed: data.processed || 0 });
    else status.textContent = text("writing", { processed: data.processed || 0, total: data.total || 0 });
    return true;
  }
  function tick() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && !show(data)) return;
        if (++rounds < 3600) setTimeout(tick, rounds < 20 ? 1000 : 2000);
      })
      .catch(function () { if (++rounds < 3600) setTimeout(tick, 5000); });
  }
  setTimeout(tick, 800);
})();
