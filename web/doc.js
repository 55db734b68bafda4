/* tessera serve - one indexed document (doc.html?id=ID[&b=BEGIN&e=END]):
   its fields and its text, the byte span [b, e) highlighted. */
'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var q = new URLSearchParams(location.search), id = q.get('id');
  var b = q.has('b') ? parseInt(q.get('b'), 10) : NaN, e = parseInt(q.get('e'), 10);
  function fail(msg) {
    var s = $('status');
    s.hidden = false;
    s.className = 'status err';
    s.textContent = msg;
  }
  if (!id) { fail('No document id given (doc.html?id=...).'); return; }
  $('docid').textContent = id;
  $('json').href = '/api/documents/' + encodeURIComponent(id);
  T.getDoc(id).then(function (d) {
    document.title = (d.title || d.id) + ' — tessera';
    $('title').textContent = d.title || 'Document';
    var info = $('info');
    [['id', d.id], ['title', d.title], ['date', d.date], ['series', d.series],
     ['number', String(d.docno)], ['size', new TextEncoder().encode(d.text).length + ' bytes'],
     ['other fields', d.meta ? JSON.stringify(d.meta) : null]].forEach(function (f) {
      if (f[1] == null) return;
      info.appendChild(T.el('dt', null, f[0]));
      info.appendChild(T.el('dd', null, f[1]));
    });
    var tb = new T.Bytes(d.text), doc = $('doc');
    if (isFinite(b) && isFinite(e) && e > b) {
      doc.appendChild(document.createTextNode(tb.str(0, b)));
      var m = T.el('mark', 'm sel', tb.str(b, e));
      doc.appendChild(m);
      doc.appendChild(document.createTextNode(tb.str(e, tb.n)));
      $('view').hidden = false;
      m.scrollIntoView({ block: 'center' });
    } else {
      doc.textContent = d.text;
      $('view').hidden = false;
    }
  }).catch(function (err) { fail('Could not load the document: ' + err.message); });
})();
