/* Registration at the door: search the village's households while typing, and print the card.
   Progressive enhancement only: without this file the "Tìm hộ" button does the search. */
(function () {
  "use strict";

  function text(el, key, fallback, values) {
    var template = (el && el.getAttribute("data-text-" + key)) || fallback;
    Object.keys(values || {}).forEach(function (name) {
      template = template.split("{" + name + "}").join(String(values[name]));
    });
    return template;
  }

  function initHouseholdSearch(form) {
    var api = form.getAttribute("data-api");
    var village = form.querySelector("select[name=village]");
    var query = form.querySelector("input[name=household_q]");
    var select = form.querySelector("select[name=household]");
    var fresh = form.querySelector("input[name=household_new]");
    var status = document.getElementById("household-status");
    if (!api || !query || !select) return;
    var timer = null;
    var seq = 0;

    function villageId() {
      if (village) return village.value;
      var hidden = form.querySelector("input[name=village]");
      return hidden ? hidden.value : "";
    }

    function fill(results) {
      var chosen = select.value;
      while (select.options.length) select.remove(0);
      select.add(new Option(text(form, "placeholder", "— Chưa chọn (ghi hộ mới ở dưới) —"), ""));
      results.forEach(function (item) { select.add(new Option(item.label, String(item.id))); });
      select.value = chosen;
      if (select.value !== chosen) select.value = "";
    }

    function search() {
      var id = villageId();
      if (!id) return;
      var mine = ++seq;
      var url = api + "?village=" + encodeURIComponent(id) + "&q=" + encodeURIComponent(query.value.trim());
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (data) {
          if (mine !== seq) return;
          fill(data.results);
          var n = data.results.length;
          if (!status) return;
          if (data.more) status.textContent = text(form, "more", "Có hơn {n} hộ khớp.", { n: n });
          else status.textContent = n ? text(form, "found", "Có {n} hộ khớp.", { n: n }) : text(form, "none", "Không có hộ nào khớp.");
        })
        .catch(function () { if (status && mine === seq) status.textContent = text(form, "failed", "Không tải được danh sách hộ."); });
    }

    query.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
    query.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); clearTimeout(timer); search(); } });
    if (village) village.addEventListener("change", function () { select.value = ""; search(); });
    // One household or the other: choosing an existing one empties "new", typing a new one unchooses.
    select.addEventListener("change", function () { if (select.value && fresh) fresh.value = ""; });
    if (fresh) fresh.addEventListener("input", function () { if (fresh.value.trim()) select.value = ""; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-household-search]"), initHouseholdSearch);
    Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
