// The unread count in the header grows as notifications arrive on this user's group, live.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var link = document.querySelector(".notifications-link");
    if (!link || !window.Watchkeeper || !window.Watchkeeper.realtime) return;
    var rt = window.Watchkeeper.realtime();
    if (!rt) return;
    var badge = link.querySelector(".unread-count");
    rt.subscribe("user." + link.dataset.userId, function (event) {
      if (event.type !== "notification") return;
      var count = (parseInt(badge.textContent, 10) || 0) + 1;
      badge.textContent = String(count);
      badge.hidden = false;
    });
  });
})();
