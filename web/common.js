/* tessera serve - helpers shared by the page (app.js) and the document
   view (doc.js).  The API speaks in UTF-8 byte offsets; JavaScript strings
   are UTF-16, so texts are kept as bytes and cut with these helpers. */
'use strict';
var T = (function () {
  var enc = new TextEncoder(), dec = new TextDecoder('utf-8');

  /* A text as bytes, with a way to cut it at byte offsets. */
  function Bytes(str) {
    this.b = enc.encode(str);
    this.n = this.b.length;
  }
  /* The first character boundary at or after byte i, within [0, n]. */
  Bytes.prototype.fix = function (i) {
    i = Math.max(0, Math.min(this.n, i | 0));
    while (i < this.n && (this.b[i] & 0xC0) === 0x80) i++;
    return i;
  };
  Bytes.prototype.str = function (b, e) {
    b = this.fix(b); e = this.fix(e);
    return e > b ? dec.decode(this.b.subarray(b, e)) : '';
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  /* fetch and parse JSON; throws an Error carrying the server's message. */
  function json(url, opts) {
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (t) {
        var v = null;
        try { v = t ? JSON.parse(t) : null; } catch (e) { v = null; }
        if (!r.ok) {
          var m = v && v.error ? v.error : 'HTTP ' + r.status;
          var err = new Error(m);
          err.status = r.status;
          throw err;
        }
        if (v === null) throw new Error('the server sent no JSON');
        return v;
      });
    });
  }

  var docs = new Map();   /* not an object: any id is a key, "__proto__" too */
  /* A document of the index, fetched once. */
  function getDoc(id) {
    if (!docs.has(id))
      docs.set(id, json('/api/documents/' + encodeURIComponent(id)).catch(function (e) {
        docs.delete(id);
        throw e;
      }));
    return docs.get(id);
  }

  function docLink(id, b, e) {
    var q = '/doc.html?id=' + encodeURIComponent(id);
    if (b != null) q += '&b=' + b + '&e=' + e;
    return q;
  }

  /* Words of s as [begin, end, normalized] in UTF-16 indexes. */
  var WORD = /[\p{L}\p{N}\p{M}]+/gu;
  function words(s) {
    var out = [], m;
    WORD.lastIndex = 0;
    while ((m = WORD.exec(s)))
      out.push([m.index, m.index + m[0].length,
                m[0].normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()]);
    return out;
  }

  /* Words that differ between a and b: a longest common subsequence over
     their words (case and accents do not count), as in the HTML report.
     Returns [rangesA, rangesB] of [begin, end) UTF-16 indexes; nothing when
     the spans are too long for the quadratic table. */
  function wordDiff(a, b) {
    var wa = words(a), wb = words(b), n = wa.length, m = wb.length;
    if (!n || !m || n * m > 4e6) return [[], []];
    var w = m + 1, L = new Uint16Array((n + 1) * w);
    for (var i = n - 1; i >= 0; i--)
      for (var j = m - 1; j >= 0; j--)
        L[i * w + j] = wa[i][2] === wb[j][2] ? L[(i + 1) * w + j + 1] + 1
                     : Math.max(L[(i + 1) * w + j], L[i * w + j + 1]);
    var da = [], db = [];
    i = 0; j = 0;
    while (i < n && j < m) {
      if (wa[i][2] === wb[j][2]) { i++; j++; }
      else if (L[(i + 1) * w + j] >= L[i * w + j + 1]) { da.push(wa[i]); i++; }
      else { db.push(wb[j]); j++; }
    }
    for (; i < n; i++) da.push(wa[i]);
    for (; j < m; j++) db.push(wb[j]);
    return [da, db];
  }

  /* Append s to parent with the ranges (sorted, UTF-16) wrapped in
     <span class=cls>. */
  function appendMarked(parent, s, ranges, cls) {
    var at = 0;
    ranges.forEach(function (r) {
      if (r[0] < at) return;
      if (r[0] > at) parent.appendChild(document.createTextNode(s.slice(at, r[0])));
      parent.appendChild(el('span', cls, s.slice(r[0], r[1])));
      at = r[1];
    });
    if (at < s.length) parent.appendChild(document.createTextNode(s.slice(at)));
  }

  function pct(x) { return (Math.max(0, Math.min(1, x)) * 100).toFixed(1) + '%'; }

  return { Bytes: Bytes, el: el, json: json, getDoc: getDoc, docLink: docLink,
           wordDiff: wordDiff, appendMarked: appendMarked, pct: pct, PALETTE: 12 };
})();
