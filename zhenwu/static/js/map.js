// Maps (Leaflet, vendored): the public board's map, the report form's pin, a project's place,
// 联户走访's households, the dashboard's 民情分布.
// Loaded with {% map_assets %}; the tile layer, if the deployment has one, comes from the JSON block
// {% map_tiles %} writes (zhenwu/lib/maps.py). Without one the map draws the town's boundaries
// (/org/boundaries.geojson), labelled, on a plain background, and asks no other server for anything.
//
//   <div data-map="board" data-points="…/board/map.json" data-boundaries="…" data-filters="#form-id"
//        data-detail="/concerns/board/REF/">
//   <div data-map="pin" data-boundaries="…" data-locate-url="/org/locate.json" data-status="…"
//        data-clear="…" data-suggest="…">   (inside the report form)
//
// Points are stored in WGS-84. On GCJ-02 tiles (Gaode-like servers) they are shifted for display
// here, and a pin dropped on such tiles is sent as it is, with coord_system=gcj02: the server
// converts (zhenwu/lib/coords.py, the reference for the formula below).
(function () {
  "use strict";

  var L = window.L;
  var CHINA = [35.0, 105.0];

  // --- coordinates ---------------------------------------------------------------------------

  var A = 6378245.0;
  var EE = 0.00669342162296594323;

  function outOfChina(lat, lng) {
    return lng < 72.004 || lng > 137.8347 || lat < 0.8293 || lat > 55.8271;
  }
  function tLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function tLng(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }
  function wgs84ToGcj02(lat, lng) {
    if (outOfChina(lat, lng)) { return [lat, lng]; }
    var dLat = tLat(lng - 105.0, lat - 35.0);
    var dLng = tLng(lng - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI;
    var magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
    dLng = (dLng * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lng + dLng];
  }

  // --- the shared base: tiles or a plain background, and the boundaries ---------------------

  function tileConfig() {
    var node = document.getElementById("map-tiles");
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var LEVEL_NAMES = { village: "村", community: "社区", grid: "网格" };

  // options.areaClass(properties): more classes for an outline (the dashboard's shading).
  function baseMap(container, options) {
    var areaClass = (options && options.areaClass) || function () { return ""; };
    var tiles = tileConfig();
    var crs = tiles ? tiles.crs : "wgs84";
    var map = L.map(container, {
      center: CHINA, zoom: 4, minZoom: 3, maxZoom: tiles ? tiles.maxZoom : 19,
      zoomControl: true, attributionControl: true, tapTolerance: 15,
    });
    map.attributionControl.setPrefix("Leaflet");
    if (tiles) {
      tiles.urls.forEach(function (url, i) {
        L.tileLayer(url, {
          subdomains: tiles.subdomains.length ? tiles.subdomains : "abc",
          maxZoom: tiles.maxZoom,
          attribution: i === 0 ? tiles.attribution : "",
        }).addTo(map);
      });
    } else {
      container.classList.add("map-plain");
    }

    // Stored WGS-84 → what the tiles are drawn in.
    function show(lat, lng) {
      var p = crs === "gcj02" ? wgs84ToGcj02(lat, lng) : [lat, lng];
      return L.latLng(p[0], p[1]);
    }

    function zoomClass() {
      container.classList.toggle("map-far", map.getZoom() < 14);
    }
    map.on("zoomend", zoomClass);
    zoomClass();

    var boundaries = null;
    var url = container.getAttribute("data-boundaries");
    var loaded = !url ? Promise.resolve(null) : fetch(url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .catch(function () { return null; })
      .then(function (data) {
        if (!data || !data.features || !data.features.length) { return null; }
        var illustrative = false;
        boundaries = L.geoJSON(data, {
          coordsToLatLng: function (c) { return show(c[1], c[0]); },
          style: function (feature) {
            var p = feature.properties || {};
            return { className: "map-area map-area-" + (p.kind || "area") + (p.illustrative ? " map-area-illustrative" : "") +
                       " " + areaClass(p),
                     weight: p.kind === "grid" ? 1 : 2, fill: true, fillOpacity: 0.04 };
          },
          onEachFeature: function (feature, layer) {
            var p = feature.properties || {};
            if (p.illustrative) { illustrative = true; }
            if (p.name) {
              layer.bindTooltip(el("span", "", p.name), {
                permanent: true, direction: "center", interactive: false,
                className: "map-label map-label-" + (p.kind || "area"),
              });
            }
          },
          interactive: false,
        }).addTo(map);
        if (illustrative) {
          var note = L.control({ position: "bottomleft" });
          note.onAdd = function () { return el("div", "map-note", "边界为示意，仅供参考"); };
          note.addTo(map);
        }
        return boundaries;
      });

    // A map in a closed <details> (the 长辈版 form) has no size until it opens.
    var base = { map: map, crs: crs, tiles: tiles, show: show, boundaries: loaded, container: container,
                 onShown: null };
    var details = container.closest("details");
    if (details) {
      details.addEventListener("toggle", function () {
        if (!details.open) { return; }
        map.invalidateSize();
        if (base.onShown) { base.onShown(); }
      });
    }
    maps.push({ container: container, map: map });
    return base;
  }

  function fitBoundaries(base, layer) {
    if (layer && layer.getBounds().isValid()) {
      base.map.fitBounds(layer.getBounds(), { padding: [8, 8] });
      return true;
    }
    return false;
  }

  // --- the public board's map ----------------------------------------------------------------

  var STATUS_LABELS = { processing: "办理中", overdue: "已超期", resolved: "已办结待回访", closed: "已关闭" };

  function dominant(statuses) {
    var best = "processing";
    var most = -1;
    Object.keys(STATUS_LABELS).forEach(function (key) {
      if ((statuses[key] || 0) > most) { most = statuses[key] || 0; best = key; }
    });
    return best;
  }

  function boardMap(container) {
    var base = baseMap(container);
    var map = base.map;
    var layer = L.layerGroup().addTo(map);
    var form = document.querySelector(container.getAttribute("data-filters"));
    var summary = document.getElementById(container.getAttribute("data-summary") || "");
    var detail = container.getAttribute("data-detail") || "";
    var pointsUrl = container.getAttribute("data-points");
    var controller = null;
    var placed = false;

    function filters() {
      var params = new URLSearchParams();
      if (form) {
        new FormData(form).forEach(function (value, key) {
          if (value && key !== "view" && key !== "page") { params.set(key, value); }
        });
      }
      return params;
    }

    function popup(cell) {
      var box = el("div", "map-popup");
      if (cell.ref) {
        var a = el("a", "", cell.title || cell.ref);
        a.href = detail.replace("REF", encodeURIComponent(cell.ref));
        box.appendChild(el("div", "map-popup-ref", cell.ref + " · " + (STATUS_LABELS[cell.bucket] || "")));
        box.appendChild(a);
        if (cell.coarse) { box.appendChild(el("div", "map-popup-note", "此类诉求位置仅显示大致范围")); }
        return box;
      }
      box.appendChild(el("strong", "", cell.n + "条诉求"));
      var list = el("ul", "map-popup-counts");
      Object.keys(STATUS_LABELS).forEach(function (key) {
        if (cell.s[key]) { list.appendChild(el("li", "map-dot-" + key, STATUS_LABELS[key] + " " + cell.s[key])); }
      });
      box.appendChild(list);
      box.appendChild(el("div", "map-popup-note", "放大地图查看每一条"));
      return box;
    }

    function draw(data) {
      layer.clearLayers();
      data.cells.forEach(function (cell) {
        var at = base.show(cell.lat, cell.lng);
        var bucket = cell.bucket || dominant(cell.s || {});
        cell.bucket = bucket;
        var marker;
        if (cell.n === 1) {
          marker = L.circleMarker(at, { radius: 9, weight: 2, className: "map-point map-point-" + bucket });
        } else {
          var size = cell.n < 10 ? 30 : cell.n < 100 ? 36 : cell.n < 1000 ? 42 : 50;
          marker = L.marker(at, {
            icon: L.divIcon({ html: String(cell.n), className: "map-cluster map-cluster-" + bucket,
                              iconSize: [size, size] }),
            keyboard: true, title: cell.n + "条诉求",
          });
        }
        marker.bindPopup(popup(cell));
        marker.addTo(layer);
      });
      if (summary) {
        summary.textContent = data.total ? "地图上显示" + data.total + "条标注了位置的诉求" +
          (data.coarse ? "（部分类别只显示大致位置）" : "") : "当前范围内没有标注了位置的诉求";
      }
      container.setAttribute("data-loaded", String(data.total));
    }

    function load(fit) {
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      var params = filters();
      params.set("zoom", String(map.getZoom()));
      if (!fit) {
        var b = map.getBounds();
        // GCJ-02 tiles: the shown points sit up to ~700 m from their stored place; ask a little wider.
        var pad = base.crs === "gcj02" ? 0.01 : 0;
        params.set("bbox", [b.getWest() - pad, b.getSouth() - pad, b.getEast() + pad, b.getNorth() + pad]
          .map(function (v) { return v.toFixed(5); }).join(","));
      }
      return fetch(pointsUrl + "?" + params.toString(), {
        credentials: "same-origin", signal: controller ? controller.signal : undefined,
      }).then(function (r) { return r.json(); }).then(function (data) {
        if (fit && data.bounds) {
          var sw = base.show(data.bounds[1], data.bounds[0]);
          var ne = base.show(data.bounds[3], data.bounds[2]);
          placed = true;
          map.fitBounds(L.latLngBounds(sw, ne), { padding: [24, 24], maxZoom: 16 });
          return;  // moveend asks again for this view
        }
        draw(data);
      }).catch(function (e) {
        if (e && e.name === "AbortError") { return; }
        if (summary) { summary.textContent = "地图数据暂时无法加载，请稍后重试"; }
      });
    }

    base.boundaries.then(function (boundaries) {
      placed = fitBoundaries(base, boundaries);
      map.on("moveend", function () { load(false); });
      if (placed) { load(false); } else { load(true); }
    });

    if (form) {
      form.addEventListener("change", function (event) {
        // Another town: its own outlines too, so the page is asked again.
        if (event.target && event.target.name === "town") { form.submit(); return; }
        load(false);
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var params = filters();
        params.set("view", "map");
        history.replaceState(null, "", "?" + params.toString());
        load(false);
      });
    }
  }

  // --- the report form's pin -----------------------------------------------------------------

  function pinMap(container) {
    var base = baseMap(container);
    var map = base.map;
    var form = container.closest("form");
    if (!form) { return; }
    var lat = form.querySelector("input[name=latitude]");
    var lng = form.querySelector("input[name=longitude]");
    // A hidden input on the report form; a select (坐标来源) where staff may also type degrees.
    var system = form.querySelector("[name=coord_system]");
    var status = document.getElementById(container.getAttribute("data-status"));
    var clear = document.getElementById(container.getAttribute("data-clear"));
    var suggest = document.getElementById(container.getAttribute("data-suggest"));
    var locateUrl = container.getAttribute("data-locate-url");
    var marker = null;
    var asked = 0;

    function say(text) { if (status) { status.textContent = text; } }

    function suggestPlace(value, crs) {
      if (!locateUrl) { return; }
      var ticket = ++asked;
      var params = new URLSearchParams({ lat: value[0].toFixed(6), lng: value[1].toFixed(6), coord_system: crs });
      fetch(locateUrl + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (found) {
          if (ticket !== asked || !suggest) { return; }
          if (!found || !found.area) {
            suggest.textContent = "没有找到这个位置所在的村（社区），请在上面选择。";
            return;
          }
          var select = form.querySelector("select[name=area]");
          var wanted = [found.grid && String(found.grid.id), String(found.area.id)];
          var name = found.area.name + (found.grid ? " · " + found.grid.name : "");
          var chosen = null;
          if (select) {
            chosen = wanted.filter(function (v) {
              return v && select.querySelector("option[value=\"" + v + "\"]");
            })[0] || null;
          }
          if (chosen && select.value !== chosen) {
            select.value = chosen;
            // concerns_public.js passes a change of the place on to the similar-concern panel
            // as "area-changed"; the kept draft saves it too.
            select.dispatchEvent(new Event("change", { bubbles: true }));
          }
          suggest.textContent = chosen ? "已按位置选择：" + name + "，如不对请修改。" : "这个位置在" + name + "。";
          suggest.setAttribute("data-area", found.area.id);
        })
        .catch(function () { /* the resident chooses the place themselves */ });
    }

    function drop(displayed) {
      if (!marker) {
        marker = L.marker(displayed, { draggable: true, autoPan: true, title: "反映问题的位置", keyboard: true })
          .addTo(map);
        marker.on("dragend", function () { pinned(marker.getLatLng()); });
      } else {
        marker.setLatLng(displayed);
      }
    }

    // A pin placed by the resident: its coordinates are in the tiles' system.
    function pinned(latlng) {
      drop(latlng);
      var value = [latlng.lat, latlng.lng];
      lat.value = value[0].toFixed(6);
      lng.value = value[1].toFixed(6);
      if (system) { system.value = base.crs; }
      if (clear) { clear.hidden = false; }
      say("已在地图上标出位置，可拖动图钉调整");
      suggestPlace(value, base.crs);
    }

    map.on("click", function (event) { pinned(event.latlng); });
    if (clear) {
      // locate.js clears the fields too where the phone offers its location.
      clear.addEventListener("click", function () {
        lat.value = ""; lng.value = "";
        if (marker) { map.removeLayer(marker); marker = null; }
        if (suggest) { suggest.textContent = ""; }
        say("已取消位置");
        clear.hidden = true;
      });
    }

    // "使用当前位置" and "取消位置" (locate.js) tell the map through location-changed.
    // Where a value in `crs` is drawn on these tiles; null for a system they cannot show (BD-09
    // degrees typed in: the server converts them when the form is saved).
    function displayed(value, crs) {
      if (isNaN(value[0]) || isNaN(value[1])) { return null; }
      if (crs === base.crs) { return L.latLng(value[0], value[1]); }
      return crs === "wgs84" ? base.show(value[0], value[1]) : null;
    }

    form.addEventListener("location-changed", function () {
      if (lat.value && lng.value) {
        var value = [parseFloat(lat.value), parseFloat(lng.value)];
        var crs = system && system.value ? system.value : "wgs84";
        var shown = displayed(value, crs);
        if (!shown) { return; }
        drop(shown);
        map.setView(shown, Math.max(map.getZoom(), 16));
        suggestPlace(value, crs);
      } else if (marker) {
        map.removeLayer(marker);
        marker = null;
        if (suggest) { suggest.textContent = ""; }
      }
    });

    base.boundaries.then(function (boundaries) {
      var hasMap = fitBoundaries(base, boundaries) || Boolean(base.tiles);
      if (!hasMap) {
        // Neither tiles nor boundaries: an empty background is no help in finding a spot.
        container.hidden = true;
        return;
      }
      container.classList.add("map-ready");
      base.onShown = function () { if (!marker) { fitBoundaries(base, boundaries); } };
      if (lat.value && lng.value) {
        // The form came back (an error elsewhere): show the pin where it was.
        var crs = system && system.value ? system.value : "wgs84";
        var shown = displayed([parseFloat(lat.value), parseFloat(lng.value)], crs);
        if (shown) {
          drop(shown);
          map.setView(shown, 16);
        }
      }
    });

    // Degrees typed in (staff pages show the fields): the pin follows.
    [lat, lng, system].forEach(function (input) {
      if (input && input.type !== "hidden") {
        input.addEventListener("change", function () { form.dispatchEvent(new Event("location-changed")); });
      }
    });
  }

  // --- 联户走访: households by their visit's due date (staff and members, their own scope) -------

  var DUE_LABELS = { overdue: "逾期未走访", soon: "7天内到期", ok: "按期", unlinked: "未联户" };

  function householdMap(container) {
    var base = baseMap(container);
    var map = base.map;
    var layer = L.layerGroup().addTo(map);
    var form = document.querySelector(container.getAttribute("data-filters"));
    var summary = document.getElementById(container.getAttribute("data-summary") || "");
    var url = container.getAttribute("data-points");

    function load() {
      var params = new URLSearchParams();
      if (form) {
        new FormData(form).forEach(function (value, key) { if (value && key !== "view") { params.set(key, value); } });
      }
      fetch(url + "?" + params.toString(), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          layer.clearLayers();
          var bounds = L.latLngBounds([]);
          data.points.forEach(function (p) {
            var at = base.show(p.lat, p.lng);
            bounds.extend(at);
            var box = el("div", "map-popup");
            var a = el("a", "", p.number);
            a.href = p.url;
            box.appendChild(a);
            box.appendChild(el("div", "map-popup-ref", DUE_LABELS[p.state] +
              (p.due ? "，应于" + p.due + "前走访" : "") + (p.last ? "（上次" + p.last + "）" : "")));
            L.circleMarker(at, { radius: 8, weight: 2, className: "map-point map-point-" + p.state })
              .bindPopup(box).addTo(layer);
          });
          if (bounds.isValid()) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 17 }); }
          if (summary) {
            var overdue = data.points.filter(function (p) { return p.state === "overdue"; }).length;
            summary.textContent = data.total ? "地图上显示" + data.shown + "户" +
              (data.shown < data.total ? "（共" + data.total + "户，请选择村或网格）" : "") +
              "，其中逾期未走访" + overdue + "户" : "没有标注了位置的住户";
          }
          container.setAttribute("data-loaded", String(data.shown));
        })
        .catch(function () { if (summary) { summary.textContent = "地图数据暂时无法加载，请稍后重试"; } });
    }

    base.boundaries.then(function (boundaries) {
      fitBoundaries(base, boundaries);
      load();
    });
    if (form) {
      form.addEventListener("change", load);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var params = new URLSearchParams(new FormData(form));
        history.replaceState(null, "", "?" + params.toString());
        load();
      });
    }
  }

  // --- the leader's dashboard: concerns by village, overdue ones, projects ----------------------

  function densityMap(container) {
    var source = document.getElementById(container.getAttribute("data-source"));
    var data = source ? JSON.parse(source.textContent) : null;
    if (!data) { return; }
    var most = 0;
    Object.keys(data.counts).forEach(function (k) { most = Math.max(most, data.counts[k]); });
    // Five shades, by the share of the busiest unit's count.
    function shade(p) {
      var n = data.counts[String(p.id)] || 0;
      if (!most || (p.kind === "grid")) { return ""; }
      return "map-density-" + Math.min(4, Math.floor(n / most * 5));
    }
    var base = baseMap(container, { areaClass: shade });
    var map = base.map;
    var bounds = L.latLngBounds([]);
    data.overdue.forEach(function (c) {
      var at = base.show(c.lat, c.lng);
      bounds.extend(at);
      var box = el("div", "map-popup");
      box.appendChild(el("div", "map-popup-ref", c.ref + " · 已超期"));
      var a = el("a", "", c.title);
      a.href = c.url;
      box.appendChild(a);
      L.circleMarker(at, { radius: 6, weight: 1, className: "map-point map-point-overdue" }).bindPopup(box).addTo(map);
    });
    data.projects.forEach(function (p) {
      var at = base.show(p.lat, p.lng);
      bounds.extend(at);
      var box = el("div", "map-popup");
      var a = el("a", "", p.name);
      a.href = p.url;
      box.appendChild(a);
      box.appendChild(el("div", "map-popup-ref", "当前阶段：" + p.stage));
      L.marker(at, { icon: L.divIcon({ className: "map-project", iconSize: [14, 14] }), title: p.name })
        .bindPopup(box).addTo(map);
    });
    base.boundaries.then(function (boundaries) {
      if (!fitBoundaries(base, boundaries) && bounds.isValid()) {
        map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
      } else if (!boundaries && !bounds.isValid() && !base.tiles) {
        container.hidden = true;  // nothing to draw
      }
    });
  }

  // --- one place: a project's works ----------------------------------------------------------

  function spotMap(container) {
    var base = baseMap(container);
    var lat = parseFloat(container.getAttribute("data-lat"));
    var lng = parseFloat(container.getAttribute("data-lng"));
    if (isNaN(lat) || isNaN(lng)) { container.hidden = true; return; }
    var at = base.show(lat, lng);
    L.marker(at, { title: container.getAttribute("data-label") || "", keyboard: false }).addTo(base.map);
    base.map.setView(at, 15);
    base.boundaries.then(function (boundaries) {
      // A pin on an empty background says nothing: without tiles or outlines, no map.
      if (!boundaries && !base.tiles) { container.hidden = true; }
    });
  }

  // The maps on the page (for tests and for the console): [{container, map}].
  var maps = [];
  window.ZhenwuMap = { wgs84ToGcj02: wgs84ToGcj02, maps: maps };

  document.addEventListener("DOMContentLoaded", function () {
    if (!L) { return; }
    document.querySelectorAll("[data-map=board]").forEach(boardMap);
    document.querySelectorAll("[data-map=pin]").forEach(pinMap);
    document.querySelectorAll("[data-map=spot]").forEach(spotMap);
    document.querySelectorAll("[data-map=households]").forEach(householdMap);
    document.querySelectorAll("[data-map=density]").forEach(densityMap);
  });
})();
