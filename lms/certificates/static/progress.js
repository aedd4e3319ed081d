/* Bulk page: poll the rendering progress and update the bar (the page also works without it). */
(function () {
  "use strict";
  var box = document.getElementById("bulk");
  var bar = document.getElementById("bulk-progress");
  var status = document.getElementById("bulk-status");
  if (!box || !bar || !status || !window.fetch) return;
  var url = box.getAttribute("data-progress-url");
  var rounds = 0;
  /* Texts come translated from the page (data-text-* on #bulk); Vietnamese is the fallback. */
  function text(key, fallback, values) {
    var template = box.getAttribute("data-text-" + key) || fallback;
    Object.keys(values || {}).forEach(function (name) {
      template = template.split("{" + name + "}").join(String(values[name]));
    });
    return template;
  }
  function tick() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        bar.max = data.total;
        bar.value = data.ready;
        status.textContent = text("status", "Đã có tệp PDF: {ready}/{total}", { ready: data.ready, total: data.total }) +
          (data.done ? " — " + text("done", "đã đủ, bạn có thể tải.") : "");
        if (!data.done && ++rounds < 900) setTimeout(tick, 2000);
      })
      .catch(function () { if (++rounds < 900) setTimeout(tick, 5000); });
  }
  if (Number(bar.value) < Number(bar.max)) setTimeout(tick, 1500);
})();
