/* Version switcher and outdated-version banner of a published, versioned site (airflow_catalog).
 *
 * The published tree holds one folder per version, the aliases stable/ and latest/, and versions.json
 * at its root. This script reads versions.json at run time, so an old version lists the versions
 * published after it without being rebuilt. It adds a <select> to sphinx-rtd-theme's sidebar header
 * (the markup the theme styles for Read the Docs' own selector), keeps the reader on the same page
 * when that page exists in the chosen version (a HEAD request) and otherwise opens that version's
 * index, and shows a banner on every version that is not the stable release.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var builtAs = script ? script.getAttribute("data-catalog-version") : "";
  var contentRoot = document.documentElement.getAttribute("data-content_root") || "./";
  var versionRoot = new URL(contentRoot, location.href);
  var siteRoot = new URL("../", versionRoot);
  var pagePath = location.pathname.slice(versionRoot.pathname.length);
  var folder = decodeURIComponent(versionRoot.pathname.slice(siteRoot.pathname.length).replace(/\/$/, ""));

  // An unpublished build (served from its own folder, or opened as a file) has no versions.json:
  // ask for it only from a folder named after this build's version or an alias.
  if (location.protocol === "file:" || !folder || (folder !== builtAs && folder !== "stable" && folder !== "latest")) {
    return;
  }

  function aliasesOf(entry) {
    return entry.aliases || [];
  }

  function pageIn(name) {
    return new URL(name + "/" + pagePath, siteRoot).href;
  }

  function go(name) {
    var target = pageIn(name);
    var index = new URL(name + "/", siteRoot).href;
    fetch(target, { method: "HEAD", cache: "no-cache" })
      .then(
        function (response) { return response.ok; },
        function () { return false; }
      )
      .then(function (exists) {
        location.href = exists ? target + location.hash : index;
      });
  }

  function describe(entry) {
    if (entry.version === "dev") return "the development version (" + entry.title + ")";
    if (entry.prerelease) return entry.title + ", a pre-release";
    return entry.title + ", an older release";
  }

  function addSwitcher(entries, current) {
    var header = document.querySelector(".wy-side-nav-search");
    if (!header) return;
    var menus = header.querySelector(".switch-menus");
    if (!menus) {
      menus = document.createElement("div");
      menus.className = "switch-menus";
      header.insertBefore(menus, header.querySelector("[role=search]"));
    }
    var box = document.createElement("div");
    box.className = "version-switch";
    var select = document.createElement("select");
    select.id = "catalog-version-switch";
    select.setAttribute("aria-label", "Version");
    entries.forEach(function (entry) {
      var option = document.createElement("option");
      var notes = aliasesOf(entry).slice();
      if (entry.version !== "dev" && entry.prerelease) notes.push("pre-release");
      option.value = entry.version;
      option.textContent = entry.title + (notes.length ? " (" + notes.join(", ") + ")" : "");
      option.selected = entry === current;
      select.appendChild(option);
    });
    select.addEventListener("change", function () {
      go(select.value);
    });
    box.appendChild(select);
    menus.appendChild(box);
  }

  function addBanner(current, stable) {
    var main = document.querySelector('div[role="main"]');
    if (!main) return;
    var banner = document.createElement("div");
    banner.className = "admonition warning catalog-version-banner";
    banner.setAttribute("role", "note");
    var title = document.createElement("p");
    title.className = "admonition-title";
    title.textContent = "Version";
    var text = document.createElement("p");
    text.appendChild(document.createTextNode("You are reading " + describe(current) + "; "));
    if (stable) {
      var link = document.createElement("a");
      link.href = pageIn("stable");
      link.textContent = stable.title;
      link.addEventListener("click", function (event) {
        event.preventDefault();
        go("stable");
      });
      text.appendChild(document.createTextNode("the stable release is "));
      text.appendChild(link);
      text.appendChild(document.createTextNode("."));
    } else {
      text.appendChild(document.createTextNode("there is no stable release yet."));
    }
    banner.appendChild(title);
    banner.appendChild(text);
    main.insertBefore(banner, main.firstChild);
  }

  fetch(new URL("versions.json", siteRoot).href, { cache: "no-cache" })
    .then(function (response) {
      return response.ok ? response.json() : [];
    })
    .then(function (entries) {
      var current = entries.find(function (entry) {
        return entry.version === folder || aliasesOf(entry).indexOf(folder) >= 0;
      });
      var stable = entries.find(function (entry) {
        return aliasesOf(entry).indexOf("stable") >= 0;
      });
      if (!current) return;
      addSwitcher(entries, current);
      if (current !== stable) addBanner(current, stable);
    })
    .catch(function () {
      // Without versions.json the page is still a complete page of its own version.
    });
})();
