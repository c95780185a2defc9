// Draws one marker per household that shared a location, coloured by its status. The refresh
// script (safety_refresh.js) puts new markers in data-markers and fires "kairan:markers".
(function () {
  var el = document.getElementById("map");
  if (!el || typeof L === "undefined") return;  // the table still lists everyone
  var map = L.map(el);
  L.tileLayer(el.dataset.tiles, {
    maxZoom: 18,
    attribution: '<a href="https://maps.gsi.go.jp/development/ichiran.html">国土地理院</a>'
  }).addTo(map);
  var layer = L.layerGroup().addTo(map);

  function draw(fit) {
    var markers = JSON.parse(el.dataset.markers || "[]");
    layer.clearLayers();
    var bounds = [];
    markers.forEach(function (m) {
      var p = [m.lat, m.lng];
      bounds.push(p);
      var popup = document.createElement("div");  // text only: comments come from residents
      popup.textContent = m.popup;  // worded by the server (handlers/messages/texts.py)
      L.circleMarker(p, { radius: 11, color: "#222", weight: 2, fillColor: m.colour, fillOpacity: 0.9 })
        .addTo(layer)
        .bindPopup(popup);
    });
    if (!fit) return;
    if (bounds.length) map.fitBounds(bounds, { maxZoom: 16, padding: [30, 30] });
    else map.setView([35.68, 139.77], 13);
  }

  draw(true);
  el.addEventListener("kairan:markers", function () { draw(false); });
})();
