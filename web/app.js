/* tessera serve - the page: paste or upload a text, POST /api/check, show
   the text with every reused passage in its source's colour, the sources
   with coverage bars, and, for a clicked passage, its source beside the
   text (GET /api/documents/{id}).  Text is put in the page with
   textContent only, never as HTML. */
'use strict';
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var el = T.el;
  var res = null, tb = null, srcIdx = new Map(), marksOf = [], sel = -1, dimmed = null;

  /* ---- input ---------------------------------------------------------- */
  var ta = $('text');
  function count() {
    var s = ta.value, w = (s.match(/[\p{L}\p{N}]+/gu) || []).length;
    $('count').textContent = s ? w + ' words · ' + new TextEncoder().encode(s).length + ' bytes' : '';
  }
  ta.addEventListener('input', count);
  ta.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); check(); }
  });
  function readFile(f) {
    if (!f) return;
    var r = new FileReader();
    r.onload = function () { ta.value = r.result; count(); check(); };
    r.onerror = function () { status('Could not read ' + f.name + '.', true); };
    r.readAsText(f, 'utf-8');
  }
  $('file').addEventListener('change', function () { readFile(this.files[0]); this.value = ''; });
  ta.addEventListener('dragover', function (e) { e.preventDefault(); ta.classList.add('drop'); });
  ta.addEventListener('dragleave', function () { ta.classList.remove('drop'); });
  ta.addEventListener('drop', function (e) {
    e.preventDefault(); ta.classList.remove('drop');
    if (e.dataTransfer.files.length) readFile(e.dataTransfer.files[0]);
  });
  $('clear').addEventListener('click', function () {
    ta.value = ''; count(); $('result').hidden = true; status(''); ta.focus();
  });
  $('check').addEventListener('click', check);
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') unselect(); });

  function status(msg, err) {
    var s = $('status');
    s.hidden = !msg;
    s.textContent = msg || '';
    s.className = 'status' + (err ? ' err' : '');
  }

  T.json('/api/stats').then(function (s) {
    $('ixname').textContent = s.documents.toLocaleString('en') + ' documents indexed';
  }).catch(function () {});

  function check() {
    var text = ta.value;
    if (!/\S/.test(text)) { status('Paste a text first.', true); return; }
    var btn = $('check');
    btn.disabled = true;
    status('Checking…');
    T.json('/api/check', { method: 'POST', headers: { 'Content-Type': 'text/plain; charset=utf-8' },
                           body: text })
      .then(function (r) { status(''); show(text, r); })
      .catch(function (e) { status('The check failed: ' + e.message, true); })
      .then(function () { btn.disabled = false; });
  }

  /* ---- result --------------------------------------------------------- */
  function colour(k) { return k % T.PALETTE; }

  function show(text, r) {
    /* a Map, not an object: ids such as "__proto__" or "constructor" are
       ids like any other */
    res = r; tb = new T.Bytes(text); srcIdx = new Map(); sel = -1; dimmed = null;
    r.sources.forEach(function (s, k) { srcIdx.set(s.id, k); });
    $('result').hidden = false;
    unselect();
    cards(r);
    sources(r);
    renderText(r);
    $('result').scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  function card(v, k, main) {
    var c = el('div', 'card' + (main ? ' main' : ''));
    c.appendChild(el('div', 'v', v));
    c.appendChild(el('div', 'k', k));
    return c;
  }
  function plural(n, w) { return n + ' ' + w + (n === 1 ? '' : 's'); }

  function cards(r) {
    var box = $('cards');
    box.textContent = '';
    var main = card(T.pct(r.coverage), 'of the text reused (' + r.bytes_reused + ' of ' + r.bytes + ' bytes)', true);
    var meter = el('div', 'meter'), i = el('i');
    i.style.width = T.pct(r.coverage);
    meter.appendChild(i); main.appendChild(meter);
    box.appendChild(main);
    box.appendChild(card(String(r.passages.length), r.passages.length === 1 ? 'passage' : 'passages'));
    box.appendChild(card(String(r.sources.length), r.sources.length === 1 ? 'source' : 'sources'));
    box.appendChild(card(String(r.repeats.length), 'repeat' + (r.repeats.length === 1 ? '' : 's') + ' inside the text'));
    box.appendChild(card(String(r.boilerplate.length), 'boilerplate span' + (r.boilerplate.length === 1 ? '' : 's')));
    box.appendChild(card(String(r.words), 'words checked'));
  }

  function sources(r) {
    var box = $('sources');
    box.textContent = '';
    box.appendChild(el('h2', null, 'Sources'));
    if (!r.sources.length)
      box.appendChild(el('div', 'na', 'No source shares a passage with this text.'));
    r.sources.forEach(function (s, k) {
      var d = el('div', 'src s' + colour(k));
      d.setAttribute('data-s', k);
      d.title = "Click to show only this source's passages";
      var sh = el('div', 'sh');
      sh.appendChild(el('span', 'sw'));
      sh.appendChild(el('span', 'id', s.id));
      var a = el('a', null, 'open ↗');
      a.href = T.docLink(s.id);
      a.target = '_blank';
      a.rel = 'noopener';
      a.title = 'The source document';
      sh.appendChild(a);
      d.appendChild(sh);
      var sub = [];
      if (s.title && s.title !== s.id) sub.push('“' + s.title + '”');
      if (s.date) sub.push(s.date);
      if (s.series) sub.push(s.series);
      if (sub.length) d.appendChild(el('div', 'sub', sub.join(' · ')));
      var bar = el('div', 'bar'), tr = el('span', 'tr'), i = el('i');
      i.style.width = T.pct(s.coverage);
      tr.appendChild(i);
      bar.appendChild(tr);
      bar.appendChild(el('span', 'pc', T.pct(s.coverage) + ' · ' + plural(s.passages, 'passage')));
      d.appendChild(bar);
      d.addEventListener('click', function (e) {
        if (e.target.closest('a')) return;
        dimmed = dimmed === k ? null : k;
        box.querySelectorAll('.src').forEach(function (x) {
          x.classList.toggle('on', +x.getAttribute('data-s') === dimmed);
        });
        $('doc').querySelectorAll('mark.m').forEach(function (m) {
          m.classList.toggle('dim', dimmed !== null &&
            m.getAttribute('data-src').split(' ').indexOf(String(dimmed)) < 0);
        });
      });
      box.appendChild(d);
    });
  }

  /* The text cut at every span boundary into segments, each written as
     one flat element styled by the spans that cover it (as in the HTML
     report): the first non-boilerplate passage gives the colour, a second
     source adds stripes, boilerplate alone is grey, repeats underlined. */
  function renderText(r) {
    var doc = $('doc');
    doc.textContent = '';
    marksOf = r.passages.map(function () { return []; });
    var cuts = [0, tb.n], spans = [];
    r.passages.forEach(function (p, i) {
      spans.push({ b: tb.fix(p.begin), e: tb.fix(p.end), p: i, bp: p.boilerplate });
    });
    r.boilerplate.forEach(function (s) { spans.push({ b: tb.fix(s.begin), e: tb.fix(s.end), bp: true }); });
    r.repeats.forEach(function (s) { spans.push({ b: tb.fix(s.begin), e: tb.fix(s.end), rep: true }); });
    spans.forEach(function (s) { cuts.push(s.b, s.e); });
    cuts = cuts.filter(function (x, i, a) { return a.indexOf(x) === i; }).sort(function (a, b) { return a - b; });
    for (var c = 0; c + 1 < cuts.length; c++) {
      var x = cuts[c], y = cuts[c + 1], ps = [], bp = false, rep = false, bps = [];
      spans.forEach(function (s) {
        if (s.b > x || s.e < y) return;
        if (s.rep) rep = true;
        else if (s.p != null && !s.bp) ps.push(s.p);
        else { bp = true; if (s.p != null) bps.push(s.p); }
      });
      var str = tb.str(x, y), node;
      if (ps.length) {
        var srcs = [];
        ps.forEach(function (i) {
          var k = srcIdx.get(r.passages[i].source.id);
          if (srcs.indexOf(k) < 0) srcs.push(k);
        });
        node = el('mark', 'm s' + colour(srcs[0]), str);
        if (srcs.length > 1) node.className += ' x x' + colour(srcs[1]);
        node.setAttribute('data-p', ps.join(' '));
        node.setAttribute('data-src', srcs.join(' '));
        node.title = ps.map(function (i) {
          var p = r.passages[i];
          return '#' + (i + 1) + ' ' + p.source.id + ' · ' + Math.round(p.similarity * 100) + '% similar';
        }).slice(0, 6).join('\n');
        ps.forEach(function (i) { marksOf[i].push(node); });
      } else if (bp) {
        node = el('mark', 'bp', str);
        if (bps.length) {
          node.setAttribute('data-p', bps.join(' '));
          bps.forEach(function (i) { marksOf[i].push(node); });
        }
        node.title = 'boilerplate';
      } else if (rep) {
        node = el('span', null, str);
      } else {
        node = document.createTextNode(str);
      }
      if (rep && node.nodeType === 1) node.classList.add('rep');
      doc.appendChild(node);
    }
  }

  $('doc').addEventListener('click', function (e) {
    var m = e.target.closest('[data-p]');
    if (!m) return;
    var ps = m.getAttribute('data-p').split(' ').map(Number);
    var k = +(m.getAttribute('data-k') || 0);
    m.setAttribute('data-k', k + 1);
    select(ps[k % ps.length]);
  });
  $('doc').addEventListener('mouseover', function (e) {
    var m = e.target.closest('[data-p]');
    document.querySelectorAll('#doc mark.hl').forEach(function (x) { x.classList.remove('hl'); });
    if (!m) return;
    (marksOf[+m.getAttribute('data-p').split(' ')[0]] || []).forEach(function (x) { x.classList.add('hl'); });
  });

  /* ---- a passage beside its source ------------------------------------ */
  function unselect() {
    sel = -1;
    $('pair').hidden = true;
    $('layout').classList.remove('split');
    document.querySelectorAll('#doc mark.sel').forEach(function (x) { x.classList.remove('sel'); });
  }

  function select(i) {
    var p = res.passages[i];
    if (!p) return;
    sel = i;
    var k = srcIdx.get(p.source.id), c = colour(k);
    document.querySelectorAll('#doc mark.sel').forEach(function (x) { x.classList.remove('sel'); });
    marksOf[i].forEach(function (x) { x.classList.add('sel'); });
    $('layout').classList.add('split');
    var pair = $('pair');
    pair.hidden = false;
    pair.className = 'panel pair s' + c;
    pair.textContent = '';
    pair.setAttribute('data-passage', i);

    var ph = el('div', 'ph');
    ph.appendChild(el('span', 'no', '#' + (i + 1)));
    ph.appendChild(el('span', 'sw'));
    var b = el('b'), a = el('a', null, p.source.id);
    a.href = T.docLink(p.source.id, p.source.begin, p.source.end);
    a.target = '_blank';
    a.rel = 'noopener';
    a.title = 'Open the source document';
    b.appendChild(a);
    ph.appendChild(b);
    if (p.source.date) ph.appendChild(el('span', 'meta', p.source.date));
    if (p.kind) ph.appendChild(el('span', 'meta', p.kind));
    ph.appendChild(el('span', 'sim', Math.round(p.similarity * 100) + '% similar'));
    ph.appendChild(el('span', 'meta', p.matches + ' identical of ' + p.words + ' / ' + p.source_words + ' words'));
    if (typeof p.evalue === 'number') {
      var ev = el('span', 'meta', 'E-value ' + p.evalue.toPrecision(2));
      ev.title = 'passages this strong expected by chance in the search';
      ph.appendChild(ev);
    }
    var close = el('button', 'close', '✕');
    close.type = 'button';
    close.title = 'Close (Esc)';
    close.addEventListener('click', unselect);
    ph.appendChild(close);
    pair.appendChild(ph);

    var nav = el('div', 'nav');
    var prev = el('button', null, '← previous'), next = el('button', null, 'next →');
    prev.type = next.type = 'button';
    prev.disabled = i === 0;
    next.disabled = i + 1 >= res.passages.length;
    prev.addEventListener('click', function () { select(i - 1); scrollToSel(); });
    next.addEventListener('click', function () { select(i + 1); scrollToSel(); });
    nav.appendChild(prev);
    nav.appendChild(next);
    nav.appendChild(el('span', null, 'passage ' + (i + 1) + ' of ' + res.passages.length));
    pair.appendChild(nav);

    var mine = tb.str(p.begin, p.end);
    var labA = el('div', 'lab');
    labA.appendChild(el('span', null, 'Checked text'));
    labA.appendChild(el('span', null, 'bytes ' + p.begin + '–' + p.end));
    pair.appendChild(labA);
    var exA = el('div', 'ex mine');
    pair.appendChild(exA);

    var labB = el('div', 'lab');
    labB.appendChild(el('span', null, 'Source'));
    labB.appendChild(el('span', null, 'bytes ' + p.source.begin + '–' + p.source.end));
    pair.appendChild(labB);
    var exB = el('div', 'ex src-text', 'Loading the source…');
    exB.classList.add('na');
    pair.appendChild(exB);

    var pasA = el('span', 'pas');
    T.appendMarked(pasA, mine, [], 'd');
    exA.appendChild(pasA);

    T.getDoc(p.source.id).then(function (d) {
      if (sel !== i) return;
      var sb = new T.Bytes(d.text);
      var theirs = sb.str(p.source.begin, p.source.end);
      var diff = T.wordDiff(mine, theirs);
      pasA.textContent = '';
      T.appendMarked(pasA, mine, diff[0], 'd');
      exB.textContent = '';
      exB.classList.remove('na');
      exB.appendChild(el('span', 'ctx', sb.str(0, p.source.begin)));
      var pasB = el('span', 'pas');
      T.appendMarked(pasB, theirs, diff[1], 'd');
      exB.appendChild(pasB);
      exB.appendChild(el('span', 'ctx', sb.str(p.source.end, sb.n)));
      exB.scrollTop = Math.max(0, pasB.offsetTop - exB.offsetTop - 40);
    }).catch(function (e) {
      if (sel !== i) return;
      exB.textContent = 'The source text is not available: ' + e.message;
    });
  }

  function scrollToSel() {
    var m = marksOf[sel] && marksOf[sel][0];
    if (m) {
      m.scrollIntoView({ behavior: 'smooth', block: 'center' });
      m.classList.remove('flash'); void m.offsetWidth; m.classList.add('flash');
    }
  }

  count();
})();
