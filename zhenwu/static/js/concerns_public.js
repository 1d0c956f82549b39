// Residents' pages: the phone's location, copying the private link, checks on chosen photos.
// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  function locate(button) {
    var form = button.form || document;
    var lat = form.querySelector("input[name=latitude]");
    var lng = form.querySelector("input[name=longitude]");
    var status = document.getElementById(button.getAttribute("data-status"));
    var clear = document.getElementById(button.getAttribute("data-clear"));
    if (!lat || !lng || !navigator.geolocation) { return; }
    button.hidden = false;

    function show(text, attached) {
      if (status) { status.textContent = text; }
      if (clear) { clear.hidden = !attached; }
    }
    if (lat.value && lng.value) { show("已附上位置", true); }

    button.addEventListener("click", function () {
      show("正在获取位置…", false);
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lng.value = pos.coords.longitude.toFixed(6);
        button.disabled = false;
        show("已附上当前位置（精度约" + Math.round(pos.coords.accuracy) + "米）", true);
      }, function (err) {
        button.disabled = false;
        show(err.code === 1 ? "未获得定位权限，可以不附位置直接提交" : "暂时无法获取位置，可以不附位置直接提交", false);
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
    if (clear) {
      clear.addEventListener("click", function () {
        lat.value = ""; lng.value = "";
        show("已取消位置", false);
      });
    }
  }

  function copier(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      function done(ok) {
        button.textContent = ok ? "已复制" : "请长按链接复制";
        setTimeout(function () { button.textContent = "复制链接"; }, 2500);
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(function () { done(true); }, function () { done(false); });
        return;
      }
      input.focus();
      input.select();
      input.setSelectionRange(0, input.value.length);
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    });
  }

  function photoCheck(input) {
    var hint = document.getElementById(input.getAttribute("data-hint"));
    var max = parseInt(input.getAttribute("data-max-count"), 10) || 9;
    var maxBytes = parseInt(input.getAttribute("data-max-bytes"), 10) || 0;
    if (!hint) { return; }
    input.addEventListener("change", function () {
      var files = input.files || [];
      var big = [];
      for (var i = 0; i < files.length; i++) {
        if (maxBytes && files[i].size > maxBytes) { big.push(files[i].name); }
      }
      if (files.length > max) {
        hint.textContent = "最多" + max + "张，您选择了" + files.length + "张，请重新选择";
      } else if (big.length) {
        hint.textContent = "以下照片太大，请压缩后再选：" + big.join("、");
      } else {
        hint.textContent = files.length ? "已选择" + files.length + "张照片" : "";
      }
    });
  }

  function counter(textarea) {
    var out = document.getElementById(textarea.getAttribute("data-counter"));
    var max = textarea.getAttribute("maxlength");
    if (!out) { return; }
    function update() { out.textContent = textarea.value.length + (max ? " / " + max : "") + " 字"; }
    textarea.addEventListener("input", update);
    update();
  }

  // A "跟进这一条" button (in the similar-concerns box) submits the report form elsewhere: the text
  // goes with the resident to the follow page, and the report is not being sent.
  function carries(event) {
    return Boolean(event.submitter && event.submitter.name === "carry");
  }

  // Feedback while photos upload on a slow connection; the form's one-time key already makes a
  // second tap harmless. Re-enabled when the page comes back from the browser's history.
  function submitOnce(form) {
    var button = form.querySelector("button[type=submit]");
    if (!button) { return; }
    var label = button.textContent;
    form.addEventListener("submit", function (event) {
      if (carries(event)) { return; }
      setTimeout(function () { button.disabled = true; button.textContent = "正在提交…"; }, 0);
    });
    window.addEventListener("pageshow", function () { button.disabled = false; button.textContent = label; });
  }

  // What the resident typed survives leaving the page for "跟进这一条" (or any link) and coming
  // back in the same tab: kept in sessionStorage, put back into an empty form, cleared on submit.
  var KEPT = "zhenwu-report-typed";
  var KEPT_FIELDS = ["text", "category", "town", "area"];

  function keepTyped(form) {
    var saved = null;
    try { saved = JSON.parse(sessionStorage.getItem(KEPT) || "null"); } catch (e) { saved = null; }
    var text = form.elements.text;
    if (saved && text && !text.value) {
      KEPT_FIELDS.forEach(function (name) {
        var el = form.elements[name];
        if (el && saved[name]) { el.value = saved[name]; }
      });
      text.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function save() {
      var data = {};
      KEPT_FIELDS.forEach(function (name) {
        var el = form.elements[name];
        if (el && el.value) { data[name] = el.value; }
      });
      try { sessionStorage.setItem(KEPT, JSON.stringify(data)); } catch (e) { /* private mode */ }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function (event) {
      if (carries(event)) { return; }  // off to follow another concern: keep it for coming back
      try { sessionStorage.removeItem(KEPT); } catch (e) { /* ignore */ }
    });
  }

  // The similar-concern panel refreshes when the place changes. The place select is swapped when
  // the town changes, and htmx's trigger filters need eval (forbidden by the CSP), so a change of
  // any field named "area" is passed on as one event, "area-changed", on the panel.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.name === "area" && window.htmx) {
      var panel = document.getElementById("similar");
      if (panel) { window.htmx.trigger(panel, "area-changed"); }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-keep-typed]").forEach(keepTyped);
    document.querySelectorAll("form[data-submit-once]").forEach(submitOnce);
    document.querySelectorAll("[data-locate]").forEach(locate);
    document.querySelectorAll("[data-copy]").forEach(copier);
    document.querySelectorAll("input[type=file][data-hint]").forEach(photoCheck);
    document.querySelectorAll("textarea[data-counter]").forEach(counter);
  });
})();
