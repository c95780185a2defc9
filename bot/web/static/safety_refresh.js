// Keeps the live safety page current without reloading it: every N seconds a conditional GET of
// this same URL (If-None-Match: the page's ETag). 304 = nothing changed, nothing is drawn again;
// 200 = the counts, the table and the map's markers are swapped in place (the map keeps its view).
// Signed out or not found: the page is loaded again, so the officer reads what the server says.
(function () {
  var first = document.getElementById("live-counts");
  if (!first || !first.dataset.refresh || !window.fetch || !window.DOMParser) return;
  var seconds = Number(first.dataset.refresh) || 30;
  var etag = '"' + first.dataset.etag + '"';
  var stale = document.getElementById("stale");

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("live-counts");
    if (!fresh || !fresh.dataset.refresh) {  // disaster mode ended, or another page came back
      location.reload();
      return;
    }
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var next = doc.getElementById(el.id);
      if (next) el.replaceWith(document.importNode(next, true));
    });
    var map = document.getElementById("map"), nextMap = doc.getElementById("map");
    if (map && nextMap) {
      map.dataset.markers = nextMap.dataset.markers;
      map.dispatchEvent(new CustomEvent("kairan:markers"));
    }
  }

  function tick() {
    fetch(location.href, { headers: { "If-None-Match": etag }, cache: "no-store", credentials: "same-origin" })
      .then(function (resp) {
        if (resp.status === 304) {
          stale.hidden = true;
          return;
        }
        if (resp.status >= 500) throw new Error("HTTP " + resp.status);
        if (resp.status !== 200) {
          location.reload();
          return;
        }
        etag = resp.headers.get("ETag") || etag;
        return resp.text().then(function (html) {
          swap(html);
          stale.hidden = true;
        });
      })
      .catch(function () { stale.hidden = false; })
      .then(function () { setTimeout(tick, seconds * 1000); });
  }
  setTimeout(tick, seconds * 1000);
})();
