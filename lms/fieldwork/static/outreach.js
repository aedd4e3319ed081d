/* Outreach log on a phone: every entry goes into a queue in localStorage first, with the id the
   phone made for it, and the queue is sent one entry at a time (now, when the connection
   returns, and when the page opens again). The server stores an id once, so a queue sent twice
   (a lost answer, two tabs) stores each entry once. Texts come from the form's data-text-*
   attributes (translated by the server); no inline script. */
(function () {
  "use strict";

  function text(el, key, fallback, values) {
    var template = el.getAttribute("data-text-" + key) || fallback;
    Object.keys(values || {}).forEach(function (name) {
      template = template.split("{" + name + "}").join(String(values[name]));
    });
    return template;
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function init(form) {
    var api = form.getAttribute("data-api");
    // One queue per account: on a shared phone, the next member never sends someone else's entries.
    var storeKey = "lms-outreach-queue-" + (form.getAttribute("data-owner") || "");
    var status = document.getElementById("outreach-status");
    var refusedList = document.getElementById("outreach-refused");
    var sending = false;

    function queue() {
      try { return JSON.parse(localStorage.getItem(storeKey) || "[]"); } catch (e) { return []; }
    }
    function keep(q) {
      try { localStorage.setItem(storeKey, JSON.stringify(q)); } catch (e) { /* storage full or disabled */ }
    }
    function say(message) { if (status) status.textContent = message; }
    function sayPending() {
      var n = queue().length;
      if (n) say(text(form, "pending", "Đang chờ gửi: {n} mục.", { n: n }));
    }
    function refused(entry, message) {
      if (!refusedList) return;
      var li = document.createElement("li");
      li.className = "error";
      li.textContent = text(form, "refused", "Không ghi được mục của hộ “{household}”: {message}",
        { household: entry.household_label || "", message: message });
      refusedList.appendChild(li);
    }
    function drop(clientId) {
      keep(queue().filter(function (e) { return e.client_id !== clientId; }));
    }
    function token() {
      var input = form.querySelector("input[name=csrf_token]");
      return input ? input.value : "";
    }

    function flush(sentBefore) {
      var sent = sentBefore || 0;
      var q = queue();
      if (sending) return;
      if (!q.length) {
        if (sent === 1) say(text(form, "saved", "Đã ghi lại."));
        else if (sent) say(text(form, "sent", "Đã gửi {n} mục đang chờ.", { n: sent }));
        return;
      }
      sending = true;
      var entry = q[0];
      fetch(api, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token() },
        body: JSON.stringify(entry),
        credentials: "same-origin"
      }).then(function (r) {
        sending = false;
        if (r.ok) {
          drop(entry.client_id);
          flush(sent + 1);
        } else if (r.status === 409 || r.status === 422) {
          // Refused for good (a duplicate visit, a household outside the village...): say why.
          return r.json().catch(function () { return {}; }).then(function (body) {
            drop(entry.client_id);
            refused(entry, body.message || "");
            flush(sent);
          });
        } else if (r.status === 400 || r.status === 401 || r.status === 403) {
          say(text(form, "login", "Phiên đăng nhập đã hết: bạn hãy đăng nhập lại."));
        } else {
          sayPending();  // server busy (429, 5xx): the entry waits for the next try
        }
      }).catch(function () {
        sending = false;
        say(text(form, "queued", "Chưa có mạng: mục ghi được giữ trên máy."));
      });
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var data = new FormData(form);
      var household = form.querySelector("select[name=household]");
      var entry = {
        client_id: data.get("client_id") || newId(),
        date: data.get("date") || "",
        household: data.get("household") || "",
        household_label: household && household.selectedIndex > 0 ? household.options[household.selectedIndex].text : "",
        task: data.get("task") || "",
        item: data.get("item") || "",
        outcome: data.get("outcome") || "done",
        people: data.get("people") || "1",
        note: data.get("note") || ""
      };
      if (!entry.date || !entry.household || !entry.task) {
        say(text(form, "missing", "Bạn hãy chọn ngày, hộ và nhiệm vụ."));
        return;
      }
      var q = queue();
      if (!q.some(function (x) { return x.client_id === entry.client_id; })) q.push(entry);
      keep(q);
      // The next entry gets its own id; the date stays (a round of visits is on one day).
      form.querySelector("input[name=client_id]").value = newId();
      ["household", "item"].forEach(function (name) { form.querySelector("[name=" + name + "]").selectedIndex = 0; });
      form.querySelector("[name=note]").value = "";
      form.querySelector("[name=people]").value = "1";
      if (navigator.onLine === false) {
        say(text(form, "queued", "Chưa có mạng: mục ghi được giữ trên máy."));
        return;
      }
      flush();
    });
    window.addEventListener("online", function () { flush(); });
    window.addEventListener("offline", function () { sayPending(); });
    sayPending();
    flush();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-outreach-queue]"), init);
  });
})();
