// NestCMS pages: the few things that need a script. Everything works without it; this only
// adds the instalment editor's running sum as the person types. Loaded from our own origin
// (the content security policy allows no inline script).
"use strict";

(function () {
  // Decimal text to minor units with `exp` decimals, as integers (never floats); null when
  // the text is not an amount.
  function minor(text, exp) {
    var t = text.trim();
    if (t === "") return 0;
    var m = /^(\d+)(?:\.(\d*))?$/.exec(t);
    if (!m || (m[2] || "").length > exp) return null;
    var frac = (m[2] || "").padEnd(exp, "0");
    return BigInt(m[1] + frac);
  }

  function text(v, exp) {
    var s = v.toString().padStart(exp + 1, "0");
    return exp === 0 ? s : s.slice(0, -exp) + "." + s.slice(-exp);
  }

  function wire(form) {
    var exp = parseInt(form.dataset.exponent, 10);
    var total = minor(form.dataset.total, exp);
    var out = form.querySelector("#running-sum");
    function update() {
      var sum = BigInt(0);
      var bad = false;
      form.querySelectorAll('input[name="amount"]').forEach(function (i) {
        var v = minor(i.value, exp);
        if (v === null) { bad = true; i.setAttribute("aria-invalid", "true"); }
        else { i.removeAttribute("aria-invalid"); sum += BigInt(v); }
      });
      out.textContent = bad ? "?" : text(sum, exp);
      out.classList.toggle("mismatch", bad || sum !== total);
      out.classList.toggle("match", !bad && sum === total);
    }
    form.addEventListener("input", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.instalments").forEach(wire);
  });
})();
