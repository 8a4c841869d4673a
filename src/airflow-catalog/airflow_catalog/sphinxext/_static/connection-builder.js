/* The connection builder: a form from a connection type's declared fields, and the connection it
 * describes as a URI, as JSON and as an AIRFLOW_CONN_<ID> environment variable.
 *
 * Everything is computed here, in the page: nothing typed is sent anywhere. The URI follows
 * Airflow 3's own writer, airflow.sdk.Connection.get_uri (percent-encoding, "_" to "-" in the scheme,
 * the protocol kept in a host such as "https://api", flat query parameters when every extra value
 * is a string, else the whole extra as JSON in "__extra__"), so that Connection(uri=...) reads back
 * what was typed. Where get_uri writes a URI that Airflow reads back differently and another URI
 * reads back right, this writes the other (see buildUri); where no URI can carry the fields, the
 * page says so beside the URI and points at the JSON form, which Airflow reads fully. The tests feed
 * these outputs to Airflow's parsers and compare every field.
 */
(function () {
  "use strict";

  // Python's urllib.parse.quote(text, safe=""): encodeURIComponent leaves !'()* alone, quote does not.
  function quote(text) {
    return encodeURIComponent(text).replace(/[!'()*]/g, function (c) {
      return "%" + c.charCodeAt(0).toString(16).toUpperCase();
    });
  }

  // Python's quote_plus, which urlencode uses: a space becomes "+".
  function quotePlus(text) {
    return quote(text).replace(/%20/g, "+");
  }

  function urlencode(pairs) {
    return Object.keys(pairs)
      .map(function (key) {
        return quotePlus(key) + "=" + quotePlus(String(pairs[key]));
      })
      .join("&");
  }

  // A port of airflow.sdk.definitions.connection.Connection._build_uri (Airflow 3.3), with two
  // departures where its URI reads back differently from what was typed and another one does not:
  // a port without host or login is written "scheme://:5432", not "scheme://@:5432" (whose "@"
  // reads back as an empty login, "" instead of none); an extra with a key "__extra__" travels as
  // JSON in "__extra__" (flat, Airflow would take its value for the whole extra).
  function buildUri(conn) {
    var uri = conn.conn_type ? conn.conn_type.toLowerCase().replace(/_/g, "-") + "://" : "//";
    var hostToUse = conn.host;
    var protocolToAdd = null;
    if (conn.host && conn.host.indexOf("://") !== -1) {
      var cut = conn.host.indexOf("://");
      var protocol = conn.host.slice(0, cut);
      if (protocol !== conn.conn_type) {
        hostToUse = conn.host.slice(cut + 3);
        protocolToAdd = protocol;
      }
    }
    if (protocolToAdd) uri += protocolToAdd + "://";
    var authority = "";
    if (conn.login !== null) authority += quote(conn.login);
    if (conn.password !== null) authority += ":" + quote(conn.password);
    if (authority) {
      authority += "@";
      uri += authority;
    }
    var hostBlock = "";
    if (hostToUse) hostBlock += quote(hostToUse);
    if (conn.port) hostBlock += ":" + conn.port;
    if (conn.schema) hostBlock += "/" + quote(conn.schema);
    uri += hostBlock;
    if (conn.extra) {
      var flat =
        !Object.prototype.hasOwnProperty.call(conn.extra, "__extra__") &&
        Object.keys(conn.extra).every(function (key) {
          return typeof conn.extra[key] === "string";
        });
      var query = flat ? urlencode(conn.extra) : urlencode({ __extra__: JSON.stringify(conn.extra) });
      uri += (conn.schema ? "?" : "/?") + query;
    }
    return uri;
  }

  // The JSON form Connection.from_json reads (and Connection.as_json writes): empty fields left out.
  function buildJson(conn) {
    var out = { conn_type: conn.conn_type };
    ["host", "schema", "login", "password", "port"].forEach(function (name) {
      if (conn[name] !== null) out[name] = conn[name];
    });
    if (conn.extra) out.extra = conn.extra;
    return JSON.stringify(out);
  }

  // One argument for a POSIX shell: single quotes, each ' written as '\''.
  function shellQuote(text) {
    return "'" + text.replace(/'/g, "'\\''") + "'";
  }

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function row(form, id, labelText, input, help) {
    var wrapper = element("div", { class: "ccb-row" });
    var label = element("label", { for: id }, labelText);
    input.id = id;
    input.setAttribute("autocomplete", "off");
    input.setAttribute("spellcheck", "false");
    wrapper.appendChild(label);
    var cell = element("div", { class: "ccb-input" });
    cell.appendChild(input);
    if (help) cell.appendChild(element("p", { class: "ccb-help" }, help));
    wrapper.appendChild(cell);
    form.appendChild(wrapper);
    return input;
  }

  function extraInput(field) {
    if (field.type === "boolean") {
      var select = element("select", { "data-extra": field.name });
      [["", "(not set)"], ["true", "true"], ["false", "false"]].forEach(function (option) {
        select.appendChild(element("option", { value: option[0] }, option[1]));
      });
      return select;
    }
    if (field.choices.length) {
      var choose = element("select", { "data-extra": field.name });
      choose.appendChild(element("option", { value: "" }, "(not set)"));
      field.choices.forEach(function (choice) {
        choose.appendChild(element("option", { value: choice }, choice));
      });
      return choose;
    }
    var input = element("input", {
      type: field.sensitive ? "password" : "text",
      "data-extra": field.name,
    });
    if (field.type === "integer" || field.type === "number") input.setAttribute("inputmode", "decimal");
    var hint = field.placeholder || (field.default !== null ? String(field.default) : "");
    if (hint) input.setAttribute("placeholder", hint);
    return input;
  }

  function extraValue(field, raw) {
    if (field.type === "boolean") return raw === "true";
    if (field.type === "integer") {
      if (!/^-?\d+$/.test(raw)) throw new Error(field.label + " must be a whole number, not \u201c" + raw + "\u201d");
      return parseInt(raw, 10);
    }
    if (field.type === "number") {
      var number = Number(raw);
      if (raw.trim() === "" || !isFinite(number)) {
        throw new Error(field.label + " must be a number, not \u201c" + raw + "\u201d");
      }
      return number;
    }
    return raw;
  }

  function setUp(container) {
    var data = JSON.parse(container.querySelector("script.catalog-connection-data").textContent);
    var prefix = "ccb-" + data.conn_type.replace(/[^A-Za-z0-9_-]/g, "_");
    var form = element("form", { class: "ccb-form", "aria-label": "Connection builder for " + data.conn_type });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    var connId = row(form, prefix + "-conn-id", "Connection id", element("input", { type: "text", "data-field": "conn_id" }));
    connId.value = data.conn_id;
    var inputs = {};
    data.standard.forEach(function (field) {
      if (field.hidden) return;
      var input =
        field.name === "extra"
          ? element("textarea", { "data-field": "extra", rows: "4" })
          : element("input", {
              type: field.name === "password" ? "password" : field.name === "port" ? "text" : "text",
              "data-field": field.name,
            });
      if (field.name === "port") input.setAttribute("inputmode", "numeric");
      if (field.placeholder) input.setAttribute("placeholder", field.placeholder);
      inputs[field.name] = row(form, prefix + "-" + field.name, field.label, input);
    });
    var extras = data.extra.map(function (field) {
      var label = field.label + (field.sensitive ? " (secret)" : "");
      return { field: field, input: row(form, prefix + "-x-" + field.name, label, extraInput(field), field.description) };
    });
    var reveal = element("label", { class: "ccb-reveal" });
    var revealBox = element("input", { type: "checkbox", "data-reveal": "" });
    reveal.appendChild(revealBox);
    reveal.appendChild(document.createTextNode(" show secrets"));
    // Only where something is hidden as a secret.
    if (form.querySelector('input[type="password"]')) form.appendChild(reveal);
    revealBox.addEventListener("change", function () {
      form.querySelectorAll('input[type="password"], input[data-secret]').forEach(function (input) {
        input.setAttribute("data-secret", "");
        input.type = revealBox.checked ? "text" : "password";
      });
    });

    var problems = element("ul", { class: "ccb-problems" });
    data.problems.forEach(function (text) {
      problems.appendChild(element("li", {}, text));
    });
    var error = element("p", { class: "ccb-error", role: "alert", "data-error": "" });
    var notes = element("ul", { class: "ccb-notes", "data-notes": "" });
    // Beside the URI: what it cannot carry.
    var uriNotes = element("ul", { class: "ccb-notes ccb-uri-notes", "data-uri-notes": "", role: "status" });
    var outputs = element("div", { class: "ccb-outputs" });
    var targets = {};
    var uriBlock = null;
    [
      ["uri", "URI"],
      ["json", "JSON"],
      ["env", "Environment variable"],
    ].forEach(function (pair) {
      var block = element("div", { class: "ccb-output" });
      var head = element("div", { class: "ccb-output-head" });
      head.appendChild(element("span", { class: "ccb-output-title" }, pair[1]));
      var copy = element("button", { type: "button", class: "ccb-copy" }, "Copy");
      head.appendChild(copy);
      block.appendChild(head);
      var pre = element("pre", {});
      var code = element("code", { "data-output": pair[0] });
      pre.appendChild(code);
      block.appendChild(pre);
      if (pair[0] === "uri") {
        block.appendChild(uriNotes);
        uriBlock = block;
      }
      copy.addEventListener("click", function () {
        // The clipboard API exists on https and 127.0.0.1 only; elsewhere the text is selected to copy by hand.
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(code.textContent).then(function () {
            copy.textContent = "Copied";
            setTimeout(function () {
              copy.textContent = "Copy";
            }, 1500);
          });
        } else {
          var range = document.createRange();
          range.selectNodeContents(code);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }
      });
      targets[pair[0]] = code;
      outputs.appendChild(block);
    });

    function value(name) {
      var input = inputs[name];
      return input && input.value !== "" ? input.value : null;
    }

    function connection() {
      var conn = {
        conn_type: data.conn_type,
        host: value("host"),
        schema: value("schema"),
        login: value("login"),
        password: value("password"),
        port: null,
        extra: null,
      };
      var port = value("port");
      if (port !== null) {
        if (!/^\d+$/.test(port.trim()) || +port < 1 || +port > 65535) {
          throw new Error("Port must be a whole number from 1 to 65535, not \u201c" + port + "\u201d");
        }
        conn.port = parseInt(port, 10);
      }
      var extra = {};
      var text = value("extra");
      if (text !== null && text.trim() !== "") {
        var parsed;
        try {
          parsed = JSON.parse(text);
        } catch (problem) {
          throw new Error("Extra is not valid JSON: " + problem.message);
        }
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
          throw new Error('Extra must be a JSON object, such as {"timeout": 30}');
        }
        extra = parsed;
      }
      extras.forEach(function (item) {
        if (item.input.value !== "") extra[item.field.name] = extraValue(item.field, item.input.value);
      });
      if (Object.keys(extra).length) conn.extra = extra;
      return conn;
    }

    // What a URI cannot carry, as Airflow reads it back (Connection(uri=...)); the JSON form and
    // the environment variable, which holds the JSON form, carry every field.
    function lostInUri(conn) {
      var found = [];
      var host = conn.host || "";
      var bare = host.indexOf("://") !== -1 && host.slice(0, host.indexOf("://")) !== conn.conn_type ? host.slice(host.indexOf("://") + 3) : host;
      if (bare && bare.indexOf("/") === -1 && bare !== bare.toLowerCase()) {
        found.push(
          "This URI loses the capitals of the host: Airflow reads \u201c" + host + "\u201d back as \u201c" +
            host.toLowerCase() + "\u201d. Use the JSON form or the environment variable, which keep it as typed."
        );
      }
      if (conn.login === null && conn.password !== null) {
        found.push(
          "This URI cannot carry a password without a login: Airflow reads the login back as empty (\u201c\u201d), " +
            "not as unset. Use the JSON form or the environment variable, which leave the login out."
        );
      }
      return found;
    }

    function update() {
      error.textContent = "";
      notes.textContent = "";
      uriNotes.textContent = "";
      uriBlock.classList.remove("ccb-lossy");
      try {
        var id = connId.value.trim();
        if (!id) throw new Error("Give the connection an id, such as " + data.conn_id);
        var conn = connection();
        targets.uri.textContent = buildUri(conn);
        targets.json.textContent = buildJson(conn);
        if (/^[A-Za-z0-9_]+$/.test(id)) {
          targets.env.textContent = "export AIRFLOW_CONN_" + id.toUpperCase() + "=" + shellQuote(buildJson(conn));
        } else {
          targets.env.textContent = "";
          notes.appendChild(
            element("li", {}, "An environment variable name holds letters, digits and underscores only: rename \u201c" + id + "\u201d to export it.")
          );
        }
        var lost = lostInUri(conn);
        lost.forEach(function (text) {
          uriNotes.appendChild(element("li", {}, text));
        });
        if (lost.length) uriBlock.classList.add("ccb-lossy");
      } catch (problem) {
        error.textContent = problem.message;
        Object.keys(targets).forEach(function (key) {
          targets[key].textContent = "";
        });
      }
    }

    form.addEventListener("input", update);
    form.addEventListener("change", update);
    if (data.problems.length) container.appendChild(problems);
    container.appendChild(form);
    container.appendChild(error);
    container.appendChild(outputs);
    container.appendChild(notes);
    update();
  }

  function start() {
    document.querySelectorAll("[data-connection-builder]").forEach(setUp);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
