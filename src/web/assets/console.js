// grms console: small enhancements over server-rendered forms (everything also works without it,
// through the server's add/remove-row buttons). No inline scripts: the CSP allows 'self' only.
(function () {
  'use strict';

  function groupDigits(digits) {
    return digits.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  }

  // Numbers read the Indonesian way, as the server reads them (src/web/forms/numbers.ts): "."
  // only groups digits in threes, "," is the decimal mark. Null for what the server refuses.
  function readNumber(text) {
    var m = /^(\d+|[1-9]\d{0,2}(?:\.\d{3})+)(?:,(\d+))?$/.exec((text || '').trim().replace(/^Rp\.?\s*/i, ''));
    return m ? { whole: m[1].replace(/\./g, ''), decimals: (m[2] || '').replace(/0+$/, '') } : null;
  }

  function dots(text) {
    return (text.match(/\./g) || []).length;
  }

  // Rupiah typed as 1250000000 shows as 1.250.000.000, the caret staying after the same digit.
  // Only digits, or a grouping this script made with a digit typed or deleted, are regrouped: a
  // "." or "," the person typed (12.5) stays as typed, for the server to refuse with its reason
  // instead of a silent 125.
  function formatRupiahInput(input) {
    var value = input.value;
    var last = input.getAttribute('data-last') || '';
    var regroup = /^\d+$/.test(value) || (/^[\d.]+$/.test(value) && /^(\d*|[1-9]\d{0,2}(\.\d{3})+)$/.test(last) && dots(value) <= dots(last));
    input.setAttribute('data-last', value);
    if (!regroup) return;
    var before = value.slice(0, input.selectionStart || 0).replace(/\D/g, '').length;
    var digits = value.replace(/\D/g, '');
    var formatted = digits ? groupDigits(digits) : '';
    input.setAttribute('data-last', formatted);
    if (formatted === value) return;
    input.value = formatted;
    var pos = 0;
    var seen = 0;
    while (pos < formatted.length && seen < before) {
      if (/\d/.test(formatted[pos])) seen++;
      pos++;
    }
    if (document.activeElement === input) input.setSelectionRange(pos, pos);
  }

  // Whole rupiah, or null (empty, or something the server will refuse).
  function rupiahValue(input) {
    var n = readNumber(input && input.value);
    return n && !n.decimals ? BigInt(n.whole) : null;
  }

  // Volume in hundredths (at most 2 decimals): "12.500" is twelve thousand five hundred, "1,5" one and a half.
  function hundredths(text) {
    var n = readNumber(text);
    if (!n || n.decimals.length > 2) return null;
    return BigInt(n.whole) * 100n + BigInt((n.decimals + '00').slice(0, 2));
  }

  // A form's token (input _form) stays with its history entry, so that Back to a form the browser
  // fetches anew (console pages are not cached) sends the token it was shown with the first time:
  // the server then changes nothing again and shows what the first submission did
  // (src/web/form-token.ts). Forms are told apart by data-once (the action, and the record's
  // version where there is one), so a form for a record that has moved on gets a token of its own.
  function keepFormTokens() {
    var state = history.state && typeof history.state === 'object' ? history.state : {};
    var kept = Object.assign({}, state.grmsForms || {});
    var changed = false;
    document.querySelectorAll('form[data-once]').forEach(function (form) {
      var input = form.querySelector('input[name="_form"]');
      if (!input) return;
      var key = form.getAttribute('data-once');
      if (typeof kept[key] === 'string' && /^[A-Za-z0-9_-]{43}$/.test(kept[key])) {
        input.value = kept[key];
      } else {
        kept[key] = input.value;
        changed = true;
      }
    });
    if (changed) history.replaceState(Object.assign({}, state, { grmsForms: kept }), '');
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

  // A field the server refused loses its error once the user changes it: the message was about
  // what was sent, not what is typed now (the server checks again on sending).
  function clearError(t) {
    if (!t.getAttribute || t.getAttribute('aria-invalid') !== 'true' || !t.id) return;
    t.removeAttribute('aria-invalid');
    var message = document.getElementById(t.id + '-error');
    if (message) message.remove();
    var d = (t.getAttribute('aria-describedby') || '').split(' ').filter(function (x) { return x && x !== t.id + '-error'; });
    if (d.length) t.setAttribute('aria-describedby', d.join(' '));
    else t.removeAttribute('aria-describedby');
  }

  document.addEventListener('input', function (e) {
    var t = e.target;
    clearError(t);
    if (t.matches && t.matches('input[data-rupiah]')) formatRupiahInput(t);
    if (t.form) recompute(t.form);
  });
  document.addEventListener('change', function (e) { clearError(e.target); });

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
    keepFormTokens();
    document.querySelectorAll('input[data-rupiah]').forEach(function (input) {
      input.setAttribute('data-last', '');
      formatRupiahInput(input);
    });
    document.querySelectorAll('form').forEach(recompute);
    var firstError = document.querySelector('[aria-invalid="true"]');
    if (firstError) firstError.focus();
  });
})();
