// Small enhancements of the pages. Every page works without this script: it only fills in
// the phone's position on request, and sends a report again when its answer was lost.
(function () {
  "use strict";

  function say(status, key, extra) {
    if (status) {
      status.textContent = (status.getAttribute("data-" + key) || "") + (extra || "");
    }
  }

  // A button that asks the browser for the position: fills the form's lat/lon fields, or
  // (data-locate-to) opens that address with the position, to find the grid it lies in.
  function locate(button) {
    if (!navigator.geolocation) {
      return;
    }
    var status = button.parentNode.querySelector("[data-locate-status]");
    button.hidden = false;
    button.addEventListener("click", function () {
      say(status, "working");
      navigator.geolocation.getCurrentPosition(
        function (found) {
          var lat = found.coords.latitude.toFixed(6);
          var lon = found.coords.longitude.toFixed(6);
          var to = button.getAttribute("data-locate-to");
          if (to) {
            window.location.href = to + "?lat=" + lat + "&lon=" + lon;
            return;
          }
          button.form.elements.lat.value = lat;
          button.form.elements.lon.value = lon;
          say(status, "done", " " + lat + ", " + lon);
        },
        function () {
          say(status, "failed");
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // A form sent with fetch: when the network drops the answer, the very same body — and so
  // the same idempotency key — is sent again, up to five times, and the server answers the
  // repeat with the first result instead of writing twice.
  function retrying(form) {
    if (!window.fetch || !window.FormData) {
      return;
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = new FormData(form);
      var button = form.querySelector("button[type=submit]");
      var status = form.querySelector("[data-retry-status]");
      var attempt = 0;
      if (button) {
        button.disabled = true;
      }
      function send() {
        attempt += 1;
        window
          .fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
          .then(function (response) {
            if (response.redirected) {
              window.location.href = response.url;
              return undefined;
            }
            return response.text().then(function (html) {
              document.open();
              document.write(html);
              document.close();
            });
          })
          .catch(function () {
            if (attempt >= 5) {
              if (button) {
                button.disabled = false;
              }
              say(status, "failed");
              return;
            }
            say(status, "sending");
            window.setTimeout(send, Math.min(8000, 1000 * Math.pow(2, attempt - 1)));
          });
      }
      send();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-locate], [data-locate-to]").forEach(locate);
    document.querySelectorAll("form[data-retry]").forEach(retrying);
  });
})();
