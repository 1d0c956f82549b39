// "使用当前位置": the phone's position into a form's latitude/longitude (WGS-84, what browsers'
// geolocation gives), for the resident's report and the staff's place editor alike. Loaded with the
// maps ({% map_assets %}); works without them. The form's map (map.js) moves its pin and suggests
// the village on the form's "location-changed" event.
//   <button type="button" data-locate data-status="ID" [data-clear="ID"] [data-done="已取得当前位置"]
//           [data-done-hint="，请核对后保存"] [data-fallback="请在地图上点选"] hidden>使用当前位置</button>
(function () {
  "use strict";

  function locate(button) {
    var form = button.form || document;
    var lat = form.querySelector("[name=latitude]");
    var lng = form.querySelector("[name=longitude]");
    var system = form.querySelector("[name=coord_system]");
    var status = document.getElementById(button.getAttribute("data-status"));
    var clear = document.getElementById(button.getAttribute("data-clear"));
    var done = button.getAttribute("data-done") || "已附上当前位置";
    var doneHint = button.getAttribute("data-done-hint") || "";
    var fallback = button.getAttribute("data-fallback") || "可以不附位置直接提交";
    if (!lat || !lng || !navigator.geolocation) { return; }
    button.hidden = false;

    function show(text, attached) {
      if (status) { status.textContent = text; }
      if (clear) { clear.hidden = !attached; }
    }
    function changed() { form.dispatchEvent(new Event("location-changed")); }
    if (clear && lat.value && lng.value) { show("已附上位置", true); }

    button.addEventListener("click", function () {
      show("正在获取位置…", false);
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        if (system) { system.value = "wgs84"; }
        button.disabled = false;
        show(done + "（精度约" + Math.round(pos.coords.accuracy) + "米）" + doneHint, true);
        changed();
      }, function (err) {
        button.disabled = false;
        show((err.code === 1 ? "未获得定位权限，" : "暂时无法获取位置，") + fallback, false);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
    if (clear) {
      clear.addEventListener("click", function () {
        lat.value = ""; lng.value = "";
        show("已取消位置", false);
        changed();
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-locate]").forEach(locate);
  });
})();
