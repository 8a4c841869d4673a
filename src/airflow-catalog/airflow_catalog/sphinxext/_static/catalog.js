/* The catalog's filterable index: plain JavaScript over the records embedded in the page.
 *
 * Rows are built once from the JSON records (as text nodes, so a docstring's HTML is shown, never
 * run); each keystroke filters an array of precomputed lower-case strings and only flips the
 * `hidden` flag of rows whose visibility changed. Works from file:// as well: nothing is fetched.
 */
(function () {
  "use strict";

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function buildRow(record) {
    var row = document.createElement("tr");
    var nameCell = document.createElement("td");
    var link = document.createElement("a");
    link.href = record.url;
    link.textContent = record.name;
    link.title = record.path;
    nameCell.appendChild(link);
    if (record.deprecated) {
      var flag = document.createElement("span");
      flag.className = "catalog-badge catalog-deprecated";
      flag.textContent = "deprecated";
      nameCell.appendChild(document.createTextNode(" "));
      nameCell.appendChild(flag);
    }
    row.appendChild(nameCell);
    cell(row, record.kind, "catalog-kind");
    cell(row, record.package, "catalog-package-cell");
    cell(row, record.summary, "catalog-summary");
    return row;
  }

  function fillSelect(select, values) {
    values.forEach(function (value) {
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      select.appendChild(option);
    });
  }

  function distinct(records, key) {
    var seen = Object.create(null);
    records.forEach(function (record) {
      var value = record[key];
      (Array.isArray(value) ? value : [value]).forEach(function (item) {
        if (item) seen[item] = true;
      });
    });
    return Object.keys(seen).sort();
  }

  function setUp(root) {
    var records = JSON.parse(root.querySelector("script.catalog-records").textContent);
    var tbody = root.querySelector("tbody");
    var query = root.querySelector("input[data-query]");
    var count = root.querySelector(".catalog-count");
    var selects = Array.prototype.slice.call(root.querySelectorAll("select[data-filter]"));
    var rows = [];
    var fragment = document.createDocumentFragment();
    records.forEach(function (record) {
      var row = buildRow(record);
      rows.push(row);
      fragment.appendChild(row);
      record.haystack = [record.name, record.path, record.summary, record.kind, record.package,
        record.integration, record.conn.join(" ")].join(" ").toLowerCase();
    });
    tbody.appendChild(fragment);
    selects.forEach(function (select) { fillSelect(select, distinct(records, select.dataset.filter)); });

    var visible = records.map(function () { return true; });

    function matches(record, words, filters) {
      for (var i = 0; i < words.length; i++) {
        if (record.haystack.indexOf(words[i]) === -1) return false;
      }
      for (var j = 0; j < filters.length; j++) {
        var value = record[filters[j].key];
        if (Array.isArray(value) ? value.indexOf(filters[j].value) === -1 : value !== filters[j].value) return false;
      }
      return true;
    }

    function apply() {
      var words = query.value.toLowerCase().split(/\s+/).filter(Boolean);
      var filters = selects.filter(function (s) { return s.value; })
        .map(function (s) { return { key: s.dataset.filter, value: s.value }; });
      var shown = 0;
      for (var i = 0; i < records.length; i++) {
        var show = matches(records[i], words, filters);
        if (show !== visible[i]) {
          rows[i].hidden = !show;
          visible[i] = show;
        }
        if (show) shown++;
      }
      count.textContent = shown === records.length
        ? records.length + " classes"
        : shown + " of " + records.length + " classes";
    }

    // Filters can be given in the address (?q=http&kind=operator): a shareable link to a view.
    var params = new URLSearchParams(window.location.search);
    if (params.get("q")) query.value = params.get("q");
    selects.forEach(function (select) {
      var wanted = params.get(select.dataset.filter);
      if (wanted) select.value = wanted;
    });
    query.addEventListener("input", apply);
    selects.forEach(function (select) { select.addEventListener("change", apply); });
    apply();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-catalog-finder]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
