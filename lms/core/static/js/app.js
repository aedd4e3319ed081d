/* Progressive enhancement only: every page works without this file. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

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
      status.textContent = "Đã chọn: " + item.name + ", " + item.province;
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
          status.textContent = data.results.length ? data.results.length + " kết quả" : "Không tìm thấy. Bạn hãy thử cách viết khác.";
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
        .catch(function () { status.textContent = "Không tải được danh sách. Bạn hãy chọn tỉnh rồi chọn xã ở dưới."; });
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

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-commune-picker]"), initCommunePicker);
    Array.prototype.forEach.call(document.querySelectorAll("form[method=post]"), preventDoubleSubmit);
  });
})();
