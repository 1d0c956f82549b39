// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:responseError", function (evt) {
  var box = document.getElementById("htmx-error");
  if (!box) {
    box = document.createElement("p");
    box.id = "htmx-error";
    box.className = "msg msg-error";
    box.setAttribute("role", "alert");
    document.querySelector("main").prepend(box);
  }
  box.textContent = evt.detail.xhr.status === 403 ? "没有权限执行此操作" : "操作未成功，请稍后重试";
});

// On a phone the menu scrolls sideways: keep the current entry in view.
document.addEventListener("DOMContentLoaded", function () {
  var current = document.querySelector('.mainnav a[aria-current="page"]');
  if (current && current.scrollIntoView) {
    current.scrollIntoView({ block: "nearest", inline: "center" });
  }
});

// A form that asks before it is sent: <form data-confirm="…"> (no inline handlers: see the CSP).
document.addEventListener("submit", function (evt) {
  var question = evt.target.getAttribute && evt.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    evt.preventDefault();
  }
});

// A choice list tied to a select (a session's items of its campaign): only the choices of the
// selected value are shown, and hidden ones are unticked. Without this file every choice shows
// and the server refuses a mismatched one.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-filters]").forEach(function (select) {
    var box = document.getElementById(select.dataset.filters);
    if (!box) return;
    function apply() {
      box.querySelectorAll("input[data-group]").forEach(function (input) {
        var show = input.dataset.group === select.value;
        (input.closest("label") || input).style.display = show ? "" : "none";
        if (!show) input.checked = false;
      });
    }
    select.addEventListener("change", apply);
    apply();
  });
});

// A several-rows search picker (zhenwu/lib/pickers.SearchMultiPicker): a ticked match moves up to
// the chosen rows, so the next search does not wipe it. Without this file a ticked match is still
// posted, as long as the user does not search again before sending.
document.addEventListener("change", function (evt) {
  var input = evt.target;
  if (!input.matches || !input.matches("[data-picker-multi] .picker-results input[type=checkbox]")) return;
  if (!input.checked) return;
  var picker = input.closest("[data-picker-multi]");
  var chosen = picker.querySelector(".picker-chosen");
  var label = input.closest("label");
  label.classList.add("chip");
  chosen.appendChild(label);
});
