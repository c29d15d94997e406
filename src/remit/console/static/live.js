// The live view: swap in the panel each time the server sends a new one (server-sent events).
// Without this script the page still shows the panel as it was when loaded.
(function () {
  "use strict";
  var panel = document.getElementById("live-panel");
  var status = document.getElementById("live-status");
  if (!panel || !status || !window.EventSource) { return; }
  var source = new EventSource("/live/events");
  source.addEventListener("open", function () {
    status.textContent = status.dataset.connected;
  });
  source.addEventListener("roster", function (event) {
    panel.innerHTML = event.data;
    panel.dataset.updates = String(Number(panel.dataset.updates || "0") + 1);
    // UTC, with the zone shown, as every other time in the console.
    status.textContent = status.dataset.updated + " " +
      new Date().toISOString().slice(11, 19) + " UTC";
  });
  source.addEventListener("signedout", function () {
    source.close();
    window.location.assign("/signin?next=/live");
  });
  source.addEventListener("error", function () {
    status.textContent = status.dataset.lost;
  });
})();
