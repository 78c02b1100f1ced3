// grms console: small enhancements over server-rendered forms (everything also works without it,
// through the server's add/remove-row buttons). No inline scripts: the CSP allows 'self' only.
(function () {
  'use strict';

  function groupDigits(digits) {
    return digits.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  }

  // Integer rupiah typed as 1250000000 shows as 1.250.000.000, the caret staying after the same digit.
  function formatRupiahInput(input) {
    var before = input.value.slice(0, input.selectionStart || 0).replace(/\D/g, '').length;
    var digits = input.value.replace(/\D/g, '');
    var formatted = digits ? groupDigits(digits) : '';
    if (formatted === input.value) return;
    input.value = formatted;
    var pos = 0;
    var seen = 0;
    while (pos < formatted.length && seen < before) {
      if (/\d/.test(formatted[pos])) seen++;
      pos++;
    }
    if (document.activeElement === input) input.setSelectionRange(pos, pos);
  }

  function rupiahValue(input) {
    var digits = (input && input.value || '').replace(/\D/g, '');
    return digits ? BigInt(digits) : null;
  }

  // Volume in hundredths (at most 2 decimals; "1,5" and "1.5" both mean one and a half).
  function hundredths(text) {
    var m = /^\s*(\d+)(?:[.,](\d{1,2}))?\s*$/.exec(text || '');
    if (!m) return null;
    return BigInt(m[1]) * 100n + BigInt(((m[2] || '') + '00').slice(0, 2));
  }

  function formatRp(n) {
    return 'Rp ' + groupDigits(n.toString());
  }

  // Same rule as the server (src/engine/money.ts): volume x unit price, half up to whole rupiah.
  function recompute(form) {
    form.querySelectorAll('[data-array]').forEach(function (array) {
      var total = 0n;
      var complete = true;
      array.querySelectorAll(':scope > [data-row]').forEach(function (row) {
        var out = row.querySelector('output[data-line-amount]');
        if (!out) return;
        var vol = hundredths((row.querySelector('[data-field="volume"]') || {}).value);
        var price = rupiahValue(row.querySelector('[data-field="unitPrice"]'));
        if (vol === null || price === null) {
          out.value = '—';
          complete = false;
          return;
        }
        var amount = (vol * price + 50n) / 100n;
        out.value = formatRp(amount);
        total += amount;
      });
      var totalOut = form.querySelector('output[data-total-of="' + array.getAttribute('data-array') + '"]');
      if (totalOut) totalOut.value = complete ? formatRp(total) : formatRp(total) + ' …';
    });
  }

  function escapeRe(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }

  // After a removal, rows are numbered 0..n-1 again so that the server's error paths match names.
  function renumber(array) {
    var base = array.getAttribute('data-array');
    var idBase = 'f' + base.replace(/\//g, '-');
    var nameRe = new RegExp('^' + escapeRe(base) + '/\\d+');
    var idRe = new RegExp('^' + escapeRe(idBase) + '-\\d+');
    array.querySelectorAll(':scope > [data-row]').forEach(function (row, i) {
      row.querySelectorAll('[name],[id],[for],[aria-describedby],[data-remove-row]').forEach(function (el) {
        if (el.name && nameRe.test(el.name)) el.name = el.name.replace(nameRe, base + '/' + i);
        if (el.id && idRe.test(el.id)) el.id = el.id.replace(idRe, idBase + '-' + i);
        var f = el.getAttribute('for');
        if (f && idRe.test(f)) el.setAttribute('for', f.replace(idRe, idBase + '-' + i));
        var d = el.getAttribute('aria-describedby');
        if (d) el.setAttribute('aria-describedby', d.split(' ').map(function (x) { return x.replace(idRe, idBase + '-' + i); }).join(' '));
        if (el.hasAttribute('data-remove-row')) el.value = 'remove:' + base + '/' + i;
      });
      var label = row.querySelector('[data-row-label]');
      if (label) label.textContent = label.getAttribute('data-row-label').replace('{n}', String(i + 1));
    });
  }

  document.addEventListener('input', function (e) {
    var t = e.target;
    if (t.matches && t.matches('input[data-rupiah]')) formatRupiahInput(t);
    if (t.form) recompute(t.form);
  });

  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('button[data-add-row],button[data-remove-row]');
    if (!button) return;
    var array = button.closest('[data-array]') || document.querySelector('[data-array="' + button.getAttribute('data-add-row') + '"]');
    if (!array) return;
    e.preventDefault();
    if (button.hasAttribute('data-add-row')) {
      var template = array.querySelector(':scope > template');
      var index = array.querySelectorAll(':scope > [data-row]').length;
      var html = template.innerHTML.replace(/__i__/g, String(index));
      template.insertAdjacentHTML('beforebegin', html);
      renumber(array);
      var rows = array.querySelectorAll(':scope > [data-row]');
      var first = rows[rows.length - 1].querySelector('input,select,textarea');
      if (first) first.focus();
    } else {
      var row = button.closest('[data-row]');
      var next = row.nextElementSibling && row.nextElementSibling.matches('[data-row]') ? row.nextElementSibling : row.previousElementSibling;
      row.remove();
      renumber(array);
      var focusable = next && next.querySelector && next.querySelector('input,select,textarea');
      (focusable || array.parentElement.querySelector('button[data-add-row]') || document.body).focus();
    }
    recompute(array.closest('form'));
  });

  document.addEventListener('DOMContentLoaded', function () {
    document.querySelectorAll('input[data-rupiah]').forEach(formatRupiahInput);
    document.querySelectorAll('form').forEach(recompute);
    var firstError = document.querySelector('[aria-invalid="true"]');
    if (firstError) firstError.focus();
  });
})();
