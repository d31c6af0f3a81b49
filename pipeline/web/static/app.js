// Veille web app: progressive enhancement only; every page works without this file.
(function () {
  "use strict";
  var lang = document.body.dataset.lang || "en";

  // Times: shown in the reader's own time zone.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) {
        el.title = el.textContent;
        el.textContent = when.toLocaleString(lang === "fr" ? "fr-FR" : "en-GB",
          { dateStyle: "short", timeStyle: "short" });
      }
    });
  }

  // Inbox: a live countdown to each reply deadline.
  function countdownText(seconds) {
    var s = Math.abs(Math.trunc(seconds)), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60), r = s % 60, two = function (n) { return (n < 10 ? "0" : "") + n; };
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + two(m) + "m";
    return m + "m " + two(r) + "s";
  }
  function tick() {
    document.querySelectorAll("[data-reply-by]").forEach(function (el) {
      var deadline = Date.parse(el.dataset.replyBy);
      if (isNaN(deadline)) return;
      var left = (deadline - Date.now()) / 1000;
      el.classList.toggle("overdue", left < 0);
      var label = left < 0 ? el.dataset.overdue : el.dataset.due;
      el.querySelector(".countdown").textContent = label + " " + countdownText(left);
    });
  }

  // Crisis page: server-sent events say when the alerts changed; the list is fetched again.
  function live() {
    var status = document.getElementById("live-status"), box = document.getElementById("alerts");
    if (!status || !box || !window.EventSource) return;
    var source = new EventSource(status.dataset.liveUrl), busy = false;
    source.addEventListener("alerts", function (event) {
      if (event.data === box.dataset.fingerprint || busy) return;
      if (box.contains(document.activeElement) && document.activeElement.tagName === "INPUT") return;
      busy = true;
      fetch(status.dataset.fragmentUrl, { credentials: "same-origin" }).then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      }).then(function (html) {
        box.innerHTML = html;
        box.dataset.fingerprint = event.data;
        localTimes(box);
        status.classList.remove("lost");
      }).catch(function () { status.classList.add("lost"); }).finally(function () { busy = false; });
    });
    source.onerror = function () { status.classList.add("lost"); };
    source.onopen = function () { status.classList.remove("lost"); };
  }

  // Crisis page: the name typed once is remembered for the other buttons.
  document.addEventListener("input", function (event) {
    if (event.target.classList && event.target.classList.contains("who-input")) {
      document.querySelectorAll(".who-input").forEach(function (el) {
        if (el !== event.target) el.value = event.target.value;
      });
    }
  });

  localTimes(document);
  tick();
  setInterval(tick, 1000);
  live();
})();
