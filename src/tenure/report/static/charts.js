// Draws every chart of a page or report: each <div class="chart" data-spec="ID"> gets the
// Vega-Lite specification held in <script type="application/json" id="ID">, rendered as
// SVG by the vega bundles shipped with tenure (no network).
(function () {
  "use strict";
  var ZH_TIME = {
    dateTime: "%Y年%-m月%-d日 %H:%M:%S", date: "%Y/%-m/%-d", time: "%H:%M:%S",
    periods: ["上午", "下午"],
    days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
    months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月",
             "十一月", "十二月"],
    shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月",
                  "11月", "12月"]
  };
  function draw(root) {
    var holders = (root || document).querySelectorAll("div.chart[data-spec]");
    holders.forEach(function (holder) {
      if (holder.dataset.drawn) { return; }
      holder.dataset.drawn = "1";
      var source = document.getElementById(holder.dataset.spec);
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      var options = { actions: false, renderer: "svg" };
      if ((document.documentElement.lang || "").indexOf("zh") === 0) {
        options.timeFormatLocale = ZH_TIME;
      }
      window.vegaEmbed(holder, spec, options)
        .then(function () { holder.dataset.rendered = "1"; })
        .catch(function (error) {
          holder.dataset.failed = "1";
          holder.textContent = String(error);
        });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
