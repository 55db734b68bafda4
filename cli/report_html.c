/*
 * report_html.c - a tessera result as one self-contained HTML5 page.
 *
 * The page has no external resources (inline CSS, a little inline script,
 * system fonts) so that it can be mailed or archived as one file.  It
 * shows a summary, one coverage bar per source, the checked text in full
 * with every passage highlighted in its source's colour, and each passage
 * side by side with the span of the source it matches, words that differ
 * between the two sides marked.  Output is deterministic: the same input
 * gives the same bytes (no dates, no random ids), so it can be diffed.
 *
 * Highlighting overlapping spans.  Passages may overlap each other, and
 * boilerplate lines and repeats overlap passages.  HTML elements must
 * nest, so the text is cut at every span boundary into segments, each
 * covered by a fixed set of spans, and every segment is written as one
 * flat element styled by its set: the lowest-numbered non-boilerplate
 * passage gives the colour, a second source adds stripes, boilerplate
 * alone is grey, repeats are underlined.  A sweep over the sorted span
 * ends keeps the set of open spans, so the cost is the number of
 * segments times the overlap depth, not the number of spans squared.
 *
 * Word differences in the side-by-side view come from a longest common
 * subsequence over the words of both spans (html_word_diff, HTML_DIFF_LCS);
 * spans too long for the quadratic table are shown without them.  The
 * escaping, the excerpts and the page frame are shared with the discover
 * report (html.c).
 */
#include "report.h"
#include "html.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Palette and page constants
 * --------------------------------------------------------------------- */

/* Twelve colours that stay apart from each other and from the boilerplate
 * grey, dark enough for bars on white; highlights use their tints. */
static const unsigned palette[] = {
    0x2f6fdf, 0xe8710a, 0x1e9e5a, 0xd93b3b, 0x8e4ec6, 0x00a3b4,
    0xc2185b, 0x8d6e3f, 0x9e9d24, 0x3949ab, 0xf2b705, 0x00897b,
};
#define N_PALETTE (sizeof palette / sizeof palette[0])

#define MAX_TITLE_PASSAGES 6    /* passages named in a highlight's tooltip */

/* Element text shows bidirectional controls as visible chips (class cc);
 * attribute values and the title get U+FFFD (flags 0). */
#define ESC_TEXT HTML_BIDI_VISIBLE

/* Each side of a pair: 160 bytes of context within the passage's lines,
 * kept even where it has no space to start at; passages over 2600 bytes
 * cut to their first 1600 and last 700. */
static const html_excerpt excerpt = {
    .context = 160, .long_span = 2600, .head = 1600, .tail = 700, .tint = 40,
    .flags = ESC_TEXT | HTML_CTX_LINES | HTML_CTX_RAGGED,
};

/* ------------------------------------------------------------------------
 * Small helpers
 * --------------------------------------------------------------------- */

static unsigned tint(unsigned rgb, double keep)
{
    unsigned out = 0;

    for (int sh = 16; sh >= 0; sh -= 8) {
        double c = (double)((rgb >> sh) & 0xFF);
        unsigned v = (unsigned)(c * keep + 255.0 * (1.0 - keep) + 0.5);
        out |= (v > 255 ? 255 : v) << sh;
    }
    return out;
}

static size_t colour_of(size_t source) { return source % N_PALETTE; }

static const char *display_name(const char *name)
{
    if (!name || strcmp(name, "-") == 0)
        return "standard input";
    return name;
}

/* ------------------------------------------------------------------------
 * Segments of the checked text
 * --------------------------------------------------------------------- */

enum { K_PASSAGE, K_BOILER, K_REPEAT, K_FIRST };  /* span kinds */

typedef struct event {
    size_t pos;
    int end;        /* 0 = span opens here, 1 = closes */
    int kind;
    size_t idx;
} event;

typedef struct open_span {
    int kind;
    size_t idx;
} open_span;

static int event_cmp(const void *x, const void *y)
{
    const event *a = x, *b = y;

    if (a->pos != b->pos) return a->pos < b->pos ? -1 : 1;
    if (a->end != b->end) return b->end - a->end;   /* closes first */
    if (a->kind != b->kind) return a->kind - b->kind;
    if (a->idx != b->idx) return a->idx < b->idx ? -1 : 1;
    return 0;
}

static int size_cmp(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return a < b ? -1 : a > b;
}

typedef struct hctx {
    FILE *f;
    const report_input *in;
    const rpt_lines *la;
    size_t *tmp;        /* scratch: passages of one segment */
} hctx;

/* Write the segment t[b..e) covered by open[0..nopen). */
static void emit_segment(const hctx *h, size_t b, size_t e,
                         const open_span *open, size_t nopen)
{
    const tsr_result *r = h->in->r;
    FILE *f = h->f;
    size_t np = 0, rep = SIZE_MAX, first = SIZE_MAX;
    size_t prim = SIZE_MAX, second = SIZE_MAX;
    int boiler = 0;

    for (size_t i = 0; i < nopen; i++) {
        switch (open[i].kind) {
        case K_PASSAGE: h->tmp[np++] = open[i].idx; break;
        case K_BOILER: boiler = 1; break;
        case K_REPEAT: if (open[i].idx < rep) rep = open[i].idx; break;
        case K_FIRST: if (open[i].idx < first) first = open[i].idx; break;
        }
    }
    qsort(h->tmp, np, sizeof *h->tmp, size_cmp);
    for (size_t i = 0; i < np; i++) {
        const tsr_passage *p = &r->passages[h->tmp[i]];
        if (p->boilerplate) { boiler = 1; continue; }
        if (prim == SIZE_MAX) prim = h->tmp[i];
        else if (second == SIZE_MAX &&
                 p->source != r->passages[prim].source)
            second = h->tmp[i];
    }

    if (np == 0 && !boiler && rep == SIZE_MAX && first == SIZE_MAX) {
        html_esc(f, h->in->text + b, e - b, ESC_TEXT);
        return;
    }
    if (np > 0 || boiler) {
        fputs("<mark class=\"", f);
        if (prim != SIZE_MAX) {
            fprintf(f, "m s%zu", colour_of(r->passages[prim].source));
            if (second != SIZE_MAX)
                fprintf(f, " x x%zu", colour_of(r->passages[second].source));
        } else {
            fputs("bp", f);
        }
    } else {
        fputs("<span class=\"", f);
    }
    if (rep != SIZE_MAX) fputs(" rep", f);
    if (first != SIZE_MAX) fputs(" rep1", f);
    fputc('"', f);
    if (np > 0) {
        fputs(" data-p=\"", f);
        for (size_t i = 0; i < np; i++)
            fprintf(f, i ? " %zu" : "%zu", h->tmp[i] + 1);
        fputc('"', f);
    }
    if (prim != SIZE_MAX) {
        /* Sources of the segment, for the "only this source" filter. */
        int any = 0;
        fputs(" data-src=\"", f);
        for (size_t i = 0; i < np; i++) {
            const tsr_passage *p = &r->passages[h->tmp[i]];
            int seen = 0;
            if (p->boilerplate)
                continue;
            for (size_t k = 0; k < i && !seen; k++)
                seen = !r->passages[h->tmp[k]].boilerplate &&
                       r->passages[h->tmp[k]].source == p->source;
            if (!seen) {
                fprintf(f, any ? " %zu" : "%zu", p->source + 1);
                any = 1;
            }
        }
        fputc('"', f);
    }
    if (rep != SIZE_MAX)
        fprintf(f, " data-r=\"%zu\"", rep + 1);
    else if (first != SIZE_MAX)
        fprintf(f, " data-r=\"%zu\"", first + 1);

    fputs(" title=\"", f);
    for (size_t i = 0; i < np && i < MAX_TITLE_PASSAGES; i++) {
        const tsr_passage *p = &r->passages[h->tmp[i]];
        const tsr_source *s = p->source < r->n_sources ? &r->sources[p->source] : NULL;
        fprintf(f, "%sPassage %zu \xC2\xB7 ", i ? "&#10;" : "", h->tmp[i] + 1);
        if (s && s->id) html_esc_str(f, s->id, 0);
        else fprintf(f, "source %zu", p->source + 1);
        fprintf(f, " \xC2\xB7 %.0f%% similar%s", p->similarity * 100.0,
                p->boilerplate ? " \xC2\xB7 boilerplate" : "");
    }
    if (np > MAX_TITLE_PASSAGES)
        fprintf(f, "&#10;and %zu more", np - MAX_TITLE_PASSAGES);
    if (boiler && prim == SIZE_MAX && np == 0)
        fputs("Boilerplate", f);
    if (rep != SIZE_MAX) {
        size_t line, col;
        rpt_lines_pos(h->la, r->repeats[rep].first_begin, &line, &col);
        fprintf(f, "%sRepeats the text at line %zu", np || boiler ? "&#10;" : "",
                line);
    } else if (first != SIZE_MAX) {
        size_t line, col;
        rpt_lines_pos(h->la, r->repeats[first].begin, &line, &col);
        fprintf(f, "%sRepeated later, at line %zu", np || boiler ? "&#10;" : "",
                line);
    }
    fputs("\">", f);
    html_esc(f, h->in->text + b, e - b, ESC_TEXT);
    fputs(np > 0 || boiler ? "</mark>" : "</span>", f);
}

static int add_event(event *ev, size_t *n, const char *t, size_t len,
                     size_t b, size_t e, int kind, size_t idx)
{
    rpt_clamp_span(t, len, &b, &e);
    if (b >= e)
        return 0;
    ev[(*n)++] = (event){ b, 0, kind, idx };
    ev[(*n)++] = (event){ e, 1, kind, idx };
    return 1;
}

/* The checked text with its highlights. */
static int emit_text(const hctx *h)
{
    const report_input *in = h->in;
    const tsr_result *r = in->r;
    size_t cap = 2 * (r->n_passages + r->n_boilerplate + 2 * r->n_repeats);
    event *ev = malloc((cap ? cap : 1) * sizeof *ev);
    open_span *open = malloc((cap ? cap : 1) * sizeof *open);
    size_t nev = 0, nopen = 0, at = 0;

    if (!ev || !open) {
        free(ev);
        free(open);
        return -1;
    }
    for (size_t i = 0; i < r->n_passages; i++)
        add_event(ev, &nev, in->text, in->len, r->passages[i].a_begin,
                  r->passages[i].a_end, K_PASSAGE, i);
    for (size_t i = 0; i < r->n_boilerplate; i++)
        add_event(ev, &nev, in->text, in->len, r->boilerplate[i].begin,
                  r->boilerplate[i].end, K_BOILER, i);
    for (size_t i = 0; i < r->n_repeats; i++) {
        add_event(ev, &nev, in->text, in->len, r->repeats[i].begin,
                  r->repeats[i].end, K_REPEAT, i);
        add_event(ev, &nev, in->text, in->len, r->repeats[i].first_begin,
                  r->repeats[i].first_end, K_FIRST, i);
    }
    qsort(ev, nev, sizeof *ev, event_cmp);

    for (size_t i = 0; i < nev; i++) {
        const event *v = &ev[i];

        if (v->pos > at) {
            emit_segment(h, at, v->pos, open, nopen);
            at = v->pos;
        }
        if (v->end) {
            for (size_t k = 0; k < nopen; k++)
                if (open[k].kind == v->kind && open[k].idx == v->idx) {
                    open[k] = open[--nopen];
                    break;
                }
        } else {
            open[nopen++] = (open_span){ v->kind, v->idx };
            if (v->kind == K_PASSAGE)
                fprintf(h->f, "<span class=\"anc\" id=\"t%zu\"></span>", v->idx + 1);
            else if (v->kind == K_REPEAT)
                fprintf(h->f, "<span class=\"anc\" id=\"rt%zu\"></span>", v->idx + 1);
            else if (v->kind == K_FIRST)
                fprintf(h->f, "<span class=\"anc\" id=\"rf%zu\"></span>", v->idx + 1);
        }
    }
    if (at < in->len)
        html_esc(h->f, in->text + at, in->len - at, ESC_TEXT);
    free(ev);
    free(open);
    return 0;
}

/* ------------------------------------------------------------------------
 * Page parts
 * --------------------------------------------------------------------- */

/* The style sheet: css, the excerpt rules, css_end, the palette. */
static const char css[] =
":root{color-scheme:light;--ink:#1d2330;--muted:#6b7280;--line:#e5e7eb;"
"--bg:#f6f7f9;--card:#fff;--bp:#e3e5e8;--bpline:#9aa0a8;--rep:#6d28d9;"
"--diff:#ffe08a}\n"
"*{box-sizing:border-box}\n"
"html{-webkit-text-size-adjust:100%}\n"
"body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 "
"system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\n"
".wrap{max-width:1240px;margin:0 auto;padding:28px 24px 64px}\n"
"header.top{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 16px;"
"border-bottom:1px solid var(--line);padding-bottom:14px;margin-bottom:20px}\n"
"header.top h1{font-size:22px;margin:0;font-weight:650;letter-spacing:-.01em}\n"
"header.top .name{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
"font-size:14px;color:var(--muted);word-break:break-all}\n"
"header.top .brand{margin-left:auto;font-size:12px;color:var(--muted)}\n"
"h2{font-size:13px;text-transform:uppercase;letter-spacing:.08em;color:var(--muted);"
"margin:0 0 12px;font-weight:650}\n"
".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));"
"gap:12px;margin-bottom:22px}\n"
".card{background:var(--card);border:1px solid var(--line);border-radius:10px;"
"padding:12px 16px}\n"
".card .v{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums;"
"line-height:1.2}\n"
".card .k{font-size:12px;color:var(--muted)}\n"
".card.main .v{color:#b42318}\n"
".meter{height:6px;border-radius:3px;background:var(--line);margin-top:8px;"
"overflow:hidden}\n"
".meter i{display:block;height:100%;background:#b42318}\n"
".layout{display:grid;grid-template-columns:minmax(0,1fr) 340px;gap:22px;"
"align-items:start}\n"
".panel{background:var(--card);border:1px solid var(--line);border-radius:10px;"
"padding:18px 20px}\n"
"aside{position:sticky;top:16px;max-height:calc(100vh - 32px);overflow:auto}\n"
"aside .panel+.panel{margin-top:16px}\n"
".src{display:block;padding:9px 8px 10px;margin:0 -8px;border-radius:8px;"
"cursor:pointer;border-top:1px solid var(--line)}\n"
".src:first-of-type{border-top:0}\n"
".src:hover{background:#f3f4f6}\n"
".src.on{background:color-mix(in srgb,var(--t) 45%,#fff)}\n"
".src .sh{display:flex;gap:8px;align-items:baseline}\n"
".src .id{font-weight:600;word-break:break-word}\n"
".src .sub{font-size:12.5px;color:var(--muted);margin:1px 0 0 18px;"
"word-break:break-word}\n"
".sw{flex:none;display:inline-block;width:10px;height:10px;border-radius:3px;"
"background:var(--c);position:relative;top:1px}\n"
".bar{display:flex;align-items:center;gap:8px;margin:6px 0 0 18px}\n"
".bar .tr{flex:1;height:8px;background:#eef0f3;border-radius:4px;overflow:hidden}\n"
".bar .tr i{display:block;height:100%;background:var(--c);border-radius:4px;"
"min-width:2px}\n"
".bar .pc{font-size:12.5px;font-variant-numeric:tabular-nums;min-width:88px;"
"text-align:right;color:var(--muted)}\n"
".legend{display:grid;gap:7px;font-size:13px}\n"
".legend div{display:flex;gap:9px;align-items:center}\n"
".legend .chip{flex:none;width:46px;text-align:center;font-size:12px;"
"line-height:1.5;border-radius:2px}\n"
".doc{font-family:'Iowan Old Style','Palatino Linotype',Palatino,Georgia,"
"'Times New Roman',serif;font-size:17px;line-height:1.75;white-space:pre-wrap;"
"overflow-wrap:anywhere;margin:0}\n"
"mark{color:inherit;padding:0;border-radius:2px}\n"
".cc{font:600 10px/1 ui-monospace,monospace;color:#b42318;border:1px solid #f3b3ad;"
"border-radius:3px;padding:0 2px;margin:0 1px;background:#fff5f4;"
"vertical-align:1px}\n"
"mark.m{background:var(--t);box-shadow:inset 0 -2px 0 var(--c);cursor:pointer}\n"
"mark.m.x{background:repeating-linear-gradient(135deg,var(--t) 0 7px,"
"var(--t2) 7px 14px)}\n"
"mark.bp{background:var(--bp);box-shadow:inset 0 -2px 0 var(--bpline);color:#4b5160}\n"
"mark.bp[data-p]{cursor:pointer}\n"
".rep{text-decoration:underline dotted var(--rep) 2px;text-underline-offset:4px;"
"cursor:pointer}\n"
".rep1{text-decoration:underline dashed #c4b5fd 1.5px;text-underline-offset:4px}\n"
".rep.rep1{text-decoration:underline dotted var(--rep) 2px}\n"
".doc .dim{background:transparent;box-shadow:none}\n"
"mark.hl{outline:2px solid var(--c,#777);outline-offset:0}\n"
"@keyframes fl{0%{outline:3px solid var(--c,#6d28d9);outline-offset:3px}"
"100%{outline:3px solid transparent;outline-offset:3px}}\n"
".flash{animation:fl 1.6s ease-out}\n"
".anc{scroll-margin-top:120px}\n"
"section.pairs{margin-top:28px}\n"
".pair{background:var(--card);border:1px solid var(--line);border-left:4px solid "
"var(--c);border-radius:10px;margin-bottom:14px;scroll-margin-top:16px}\n"
".pair:target{box-shadow:0 0 0 3px var(--t)}\n"
".pair .ph{display:flex;flex-wrap:wrap;gap:4px 14px;align-items:baseline;"
"padding:10px 16px;border-bottom:1px solid var(--line);font-size:13.5px}\n"
".pair .no{font-weight:700;font-variant-numeric:tabular-nums}\n"
".pair .sim{font-weight:650;color:var(--c)}\n"
".pair .meta{color:var(--muted);font-variant-numeric:tabular-nums}\n"
".pair .ph a{margin-left:auto;color:var(--muted);text-decoration:none;font-size:13px}\n"
".pair .ph a:hover{color:var(--ink);text-decoration:underline}\n"
".pair .tag{font-size:11px;text-transform:uppercase;letter-spacing:.06em;"
"background:var(--bp);color:#4b5160;border-radius:4px;padding:1px 6px}\n"
".cols{display:grid;grid-template-columns:1fr 1fr}\n"
".col{padding:12px 16px 14px;min-width:0}\n"
".col+.col{border-left:1px solid var(--line)}\n"
".col .lab{font-size:11.5px;text-transform:uppercase;letter-spacing:.07em;"
"color:var(--muted);margin-bottom:6px;display:flex;justify-content:space-between;"
"gap:8px}\n"
".col .lab span:last-child{text-transform:none;letter-spacing:0;"
"font-variant-numeric:tabular-nums}\n";

/* Between css and css_end go the excerpt rules (.ex, html_excerpt_css). */

static const char css_end[] =
".na{color:var(--muted);font-style:italic}\n"
"table.list{width:100%;border-collapse:collapse;font-size:14px}\n"
"table.list th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;"
"border-bottom:1px solid var(--line);padding:6px 10px}\n"
"table.list td{border-bottom:1px solid var(--line);padding:7px 10px;vertical-align:top}\n"
"table.list td.n{font-variant-numeric:tabular-nums;white-space:nowrap}\n"
"table.list td.q{font-family:Georgia,serif;color:#374151}\n"
"table.list a{color:var(--rep)}\n"
"section.more{margin-top:28px}\n"
".empty{padding:18px;color:var(--muted)}\n"
"footer{margin-top:36px;font-size:12px;color:var(--muted);text-align:center}\n"
"@media (max-width:980px){.layout{grid-template-columns:1fr}"
"aside{position:static;max-height:none;order:-1}}\n"
"@media (max-width:700px){.wrap{padding:16px 12px 40px}.cols{grid-template-columns:1fr}"
".col+.col{border-left:0;border-top:1px solid var(--line)}.doc{font-size:16px}}\n"
"@media print{aside{position:static;max-height:none}.layout{grid-template-columns:1fr}"
".ex{max-height:none}.pair{break-inside:avoid}}\n";

static const char script[] =
"(function(){\n"
"var doc=document.getElementById('doc');if(!doc)return;\n"
"function flash(el){el.classList.remove('flash');void el.offsetWidth;"
"el.classList.add('flash');}\n"
"function go(id){var el=document.getElementById(id);if(!el)return;"
"el.scrollIntoView({behavior:'smooth',block:'start'});"
"if(history.replaceState)history.replaceState(null,'','#'+id);flash(el);}\n"
"function parts(n){return doc.querySelectorAll('[data-p~=\"'+n+'\"]');}\n"
"var lit=[];function unlit(){lit.forEach(function(x){x.classList.remove('hl');});lit=[];}\n"
"doc.addEventListener('click',function(e){var m=e.target.closest('[data-p],[data-r]');"
"if(!m)return;var ps=(m.getAttribute('data-p')||'').split(' ').filter(Boolean);"
"if(ps.length){var k=+(m.getAttribute('data-k')||0);m.setAttribute('data-k',k+1);"
"go('p'+ps[k%ps.length]);return;}var r=m.getAttribute('data-r');if(r)go('r'+r);});\n"
"doc.addEventListener('mouseover',function(e){var m=e.target.closest('[data-p]');"
"unlit();if(!m)return;parts(m.getAttribute('data-p').split(' ')[0]).forEach("
"function(x){x.classList.add('hl');lit.push(x);});});\n"
"doc.addEventListener('mouseleave',unlit);\n"
"document.querySelectorAll('a[data-show]').forEach(function(a){"
"a.addEventListener('click',function(e){e.preventDefault();var n=a.getAttribute('data-show');"
"var t=document.getElementById(a.getAttribute('href').slice(1));"
"if(t)t.scrollIntoView({behavior:'smooth',block:'center'});"
"if(n)parts(n).forEach(flash);else if(t&&t.nextSibling&&t.nextSibling.nodeType===1)"
"flash(t.nextSibling);});});\n"
"var cur=null;document.querySelectorAll('.src[data-s]').forEach(function(s){"
"s.addEventListener('click',function(){var k=s.getAttribute('data-s');cur=cur===k?null:k;"
"document.querySelectorAll('.src[data-s]').forEach(function(x){"
"x.classList.toggle('on',x.getAttribute('data-s')===cur);});"
"doc.querySelectorAll('mark.m').forEach(function(m){"
"m.classList.toggle('dim',cur!==null&&m.getAttribute('data-src').split(' ').indexOf(cur)<0);});"
"});});\n"
"})();\n";

static void emit_palette_css(FILE *f)
{
    for (size_t i = 0; i < N_PALETTE; i++) {
        fprintf(f, ".s%zu{--c:#%06x;--t:#%06x}.x%zu{--t2:#%06x}\n", i, palette[i],
                tint(palette[i], 0.30), i, tint(palette[i], 0.55));
    }
}

static void emit_head(FILE *f, const report_input *in)
{
    html_page_open(f, "Text reuse: ", display_name(in->name));
    fputs(css, f);
    html_excerpt_css(f, &excerpt);
    fputs(css_end, f);
    emit_palette_css(f);
    html_page_header(f, "Text reuse report", display_name(in->name), ESC_TEXT);
}

static void emit_cards(FILE *f, const tsr_result *r)
{
    double cov = r->coverage * 100.0;

    if (cov < 0) cov = 0;
    if (cov > 100) cov = 100;
    fprintf(f, "<div class=\"cards\">\n<div class=\"card main\"><div class=\"v\">"
            "%.1f%%</div><div class=\"k\">of the text reused (%zu of %zu bytes)"
            "</div><div class=\"meter\"><i style=\"width:%.2f%%\"></i></div></div>\n",
            cov, r->bytes_reused, r->text_bytes, cov);
    fprintf(f, "<div class=\"card\"><div class=\"v\">%zu</div><div class=\"k\">"
            "passage%s</div></div>\n", r->n_passages, r->n_passages == 1 ? "" : "s");
    fprintf(f, "<div class=\"card\"><div class=\"v\">%zu</div><div class=\"k\">"
            "source%s</div></div>\n", r->n_sources, r->n_sources == 1 ? "" : "s");
    fprintf(f, "<div class=\"card\"><div class=\"v\">%zu</div><div class=\"k\">"
            "repeat%s inside the text</div></div>\n", r->n_repeats,
            r->n_repeats == 1 ? "" : "s");
    fprintf(f, "<div class=\"card\"><div class=\"v\">%zu</div><div class=\"k\">"
            "boilerplate span%s</div></div>\n", r->n_boilerplate,
            r->n_boilerplate == 1 ? "" : "s");
    fprintf(f, "<div class=\"card\"><div class=\"v\">%zu</div><div class=\"k\">"
            "words checked</div></div>\n</div>\n", r->text_words);
}

static void emit_sources(FILE *f, const tsr_result *r, const size_t *npass)
{
    fputs("<div class=\"panel\"><h2>Sources</h2>\n", f);
    if (r->n_sources == 0)
        fputs("<div class=\"na\">No source shares a passage with this text.</div>\n", f);
    for (size_t i = 0; i < r->n_sources; i++) {
        const tsr_source *s = &r->sources[i];
        double cov = s->coverage * 100.0;

        if (cov < 0) cov = 0;
        if (cov > 100) cov = 100;
        fprintf(f, "<div class=\"src s%zu\" id=\"s%zu\" data-s=\"%zu\" "
                "title=\"Click to show only this source's passages\">"
                "<div class=\"sh\"><span class=\"sw\"></span><span class=\"id\">",
                colour_of(i), i + 1, i + 1);
        if (s->id) html_esc_str(f, s->id, ESC_TEXT);
        else fprintf(f, "Source %zu", i + 1);
        fputs("</span></div>", f);
        if ((s->title && (!s->id || strcmp(s->title, s->id) != 0)) || s->date ||
            s->series) {
            int sep = 0;
            fputs("<div class=\"sub\">", f);
            if (s->title && (!s->id || strcmp(s->title, s->id) != 0)) {
                fputs("\xE2\x80\x9C", f);
                html_esc_cut(f, s->title, strlen(s->title), 140, ESC_TEXT);
                fputs("\xE2\x80\x9D", f);
                sep = 1;
            }
            if (s->date) {
                fputs(sep ? " \xC2\xB7 " : "", f);
                html_esc_str(f, s->date, ESC_TEXT);
                sep = 1;
            }
            if (s->series) {
                fputs(sep ? " \xC2\xB7 " : "", f);
                html_esc_str(f, s->series, ESC_TEXT);
            }
            fputs("</div>", f);
        }
        /* a re-filing: the same passages as an earlier source (tsr_source.group) */
        size_t first = i;
        for (size_t k = 0; k < i && first == i; k++)
            if (r->sources[k].group == s->group) first = k;
        fprintf(f, "<div class=\"bar\"><span class=\"tr\"><i style=\"width:%.2f%%\">"
                "</i></span><span class=\"pc\">%.1f%% \xC2\xB7 %zu passage%s", cov, cov,
                npass[i], npass[i] == 1 ? "" : "s");
        if (first < i)
            fprintf(f, " \xC2\xB7 the same text as source %zu", first + 1);
        fputs("</span></div></div>\n", f);
    }
    fputs("</div>\n", f);
}

static void emit_legend(FILE *f)
{
    fputs("<div class=\"panel\"><h2>Legend</h2><div class=\"legend\">\n", f);
    fputs("<div><mark class=\"m s0 chip\">text</mark>reused from a source "
          "(its colour); click to see the pair</div>\n", f);
    fputs("<div><mark class=\"m s0 x x1 chip\">text</mark>reused from two or more "
          "sources</div>\n", f);
    fputs("<div><mark class=\"bp chip\">text</mark>boilerplate</div>\n", f);
    fputs("<div><span class=\"rep chip\">text</span>repeats an earlier part of the "
          "text</div>\n", f);
    fputs("<div><span class=\"rep1 chip\">text</span>repeated later in the text</div>\n", f);
    fputs("<div><span class=\"chip\" style=\"background:var(--diff);"
          "box-shadow:inset 0 -1.5px 0 #d97706\">word</span>differs between the "
          "two sides of a pair</div>\n", f);
    fputs("</div></div>\n", f);
}

/* Line index of source `k`'s text, built on first use (NULL when out of
 * memory).  cache[k].start is NULL until then. */
static const rpt_lines *source_lines(rpt_lines *cache, const report_input *in,
                                     size_t k)
{
    if (!cache[k].start &&
        rpt_lines_init(&cache[k], in->src_text[k], in->src_len[k]) != 0)
        return NULL;
    return &cache[k];
}

static void emit_pair(FILE *f, const report_input *in, const rpt_lines *la,
                      rpt_lines *src_lines, size_t i, html_spans *da,
                      html_spans *db)
{
    const tsr_result *r = in->r;
    const tsr_passage *p = &r->passages[i];
    const tsr_source *s = p->source < r->n_sources ? &r->sources[p->source] : NULL;
    const char *st = NULL;
    size_t sl = 0, ab = p->a_begin, ae = p->a_end, bb = p->b_begin, be = p->b_end;
    size_t line, col;

    if (s && in->src_text && in->src_text[p->source]) {
        st = in->src_text[p->source];
        sl = in->src_len[p->source];
        rpt_clamp_span(st, sl, &bb, &be);
    }
    rpt_clamp_span(in->text, in->len, &ab, &ae);
    da->n = db->n = 0;
    if (st)
        html_word_diff(in->text, ab, ae, st, bb, be, HTML_DIFF_LCS, da, db);

    fprintf(f, "<div class=\"pair s%zu\" id=\"p%zu\"><div class=\"ph\">"
            "<span class=\"no\">#%zu</span><span class=\"sw\"></span><b>",
            colour_of(p->source), i + 1, i + 1);
    if (s && s->id) html_esc_str(f, s->id, ESC_TEXT);
    else fprintf(f, "Source %zu", p->source + 1);
    fputs("</b>", f);
    if (s && s->date) {
        fputs("<span class=\"meta\">", f);
        html_esc_str(f, s->date, ESC_TEXT);
        fputs("</span>", f);
    }
    fprintf(f, "<span class=\"tag\">%s</span><span class=\"sim\">%.0f%% similar</span>"
            "<span class=\"meta\">%zu identical of %zu / %zu words</span><span class=\"meta\""
            " title=\"passages this strong expected by chance in the search\">E-value %.2g"
            "</span>", tsr_kind_name(p->kind), p->similarity * 100.0, p->matches, p->a_words,
            p->b_words, p->evalue);
    if (p->boilerplate)
        fputs("<span class=\"tag\">boilerplate</span>", f);
    fprintf(f, "<a href=\"#t%zu\" data-show=\"%zu\">show in text \xE2\x86\x91</a>"
            "</div>\n<div class=\"cols\"><div class=\"col\"><div class=\"lab\">"
            "<span>Checked text</span>", i + 1, i + 1);
    rpt_lines_pos(la, ab, &line, &col);
    fprintf(f, "<span>line %zu \xC2\xB7 bytes %zu\xE2\x80\x93%zu</span></div>",
            line, ab, ae);
    html_side(f, &excerpt, in->text, in->len, ab, ae, da);
    fputs("</div><div class=\"col\"><div class=\"lab\"><span>Source</span>", f);
    if (st) {
        const rpt_lines *ls = source_lines(src_lines, in, p->source);
        if (ls) {
            rpt_lines_pos(ls, bb, &line, &col);
            fprintf(f, "<span>line %zu \xC2\xB7 bytes %zu\xE2\x80\x93%zu</span>",
                    line, bb, be);
        }
        fputs("</div>", f);
        html_side(f, &excerpt, st, sl, bb, be, db);
    } else {
        fprintf(f, "<span>bytes %zu\xE2\x80\x93%zu</span></div>"
                "<div class=\"ex na\">Source text not available.</div>", bb, be);
    }
    fputs("</div></div></div>\n", f);
}

static void emit_repeats(FILE *f, const report_input *in, const rpt_lines *la)
{
    const tsr_result *r = in->r;

    if (!r->n_repeats)
        return;
    fprintf(f, "<section class=\"more\"><h2>Repeated inside the text (%zu)</h2>"
            "<div class=\"panel\"><table class=\"list\"><thead><tr><th>#</th>"
            "<th>Repeat</th><th>Of</th><th>Similarity</th><th>Text</th></tr></thead>"
            "<tbody>\n", r->n_repeats);
    for (size_t i = 0; i < r->n_repeats; i++) {
        const tsr_repeat *t = &r->repeats[i];
        size_t b = t->begin, e = t->end, fb = t->first_begin, fe = t->first_end;
        size_t l1, c1, l2, c2;

        rpt_clamp_span(in->text, in->len, &b, &e);
        rpt_clamp_span(in->text, in->len, &fb, &fe);
        rpt_lines_pos(la, b, &l1, &c1);
        rpt_lines_pos(la, fb, &l2, &c2);
        fprintf(f, "<tr id=\"r%zu\"><td class=\"n\">%zu</td><td class=\"n\">"
                "<a href=\"#rt%zu\" data-show=\"\">line %zu:%zu</a></td>"
                "<td class=\"n\"><a href=\"#rf%zu\" data-show=\"\">line %zu:%zu</a></td>"
                "<td class=\"n\">%.0f%%</td><td class=\"q\">", i + 1, i + 1, i + 1,
                l1, c1, i + 1, l2, c2, t->similarity * 100.0);
        html_esc_cut(f, in->text + b, e - b, 160, ESC_TEXT);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div></section>\n", f);
}

static void emit_boilerplate(FILE *f, const report_input *in, const rpt_lines *la)
{
    const tsr_result *r = in->r;

    if (!r->n_boilerplate)
        return;
    fprintf(f, "<section class=\"more\"><h2>Boilerplate (%zu)</h2><div class=\"panel\">"
            "<table class=\"list\"><thead><tr><th>Where</th><th>Bytes</th>"
            "<th>Text</th></tr></thead><tbody>\n", r->n_boilerplate);
    for (size_t i = 0; i < r->n_boilerplate; i++) {
        size_t b = r->boilerplate[i].begin, e = r->boilerplate[i].end, l, c;

        rpt_clamp_span(in->text, in->len, &b, &e);
        rpt_lines_pos(la, b, &l, &c);
        fprintf(f, "<tr><td class=\"n\">line %zu:%zu</td><td class=\"n\">"
                "%zu\xE2\x80\x93%zu</td><td class=\"q\">", l, c, b, e);
        html_esc_cut(f, in->text + b, e - b, 160, ESC_TEXT);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div></section>\n", f);
}

/* ------------------------------------------------------------------------
 * API
 * --------------------------------------------------------------------- */

int report_html(FILE *f, const report_input *in0)
{
    report_input in1;          /* in0 with a NULL text made empty */
    const report_input *in = &in1;
    const tsr_result *r = in0->r;
    rpt_lines la;
    size_t *npass = NULL, *tmp = NULL;
    rpt_lines *src_lines = NULL;
    html_spans da = { 0 }, db = { 0 };
    hctx h;
    int rc = 0;

    if (rpt_start(&in1, &la, in0) != 0)
        return -1;
    tmp = malloc((r->n_passages ? r->n_passages : 1) * sizeof *tmp);
    src_lines = calloc(r->n_sources ? r->n_sources : 1, sizeof *src_lines);
    if (!tmp || !src_lines ||
        (r->n_sources && !(npass = rpt_count_passages(r)))) {
        rc = -1;
        goto done;
    }
    h = (hctx){ f, in, &la, tmp };

    emit_head(f, in);
    emit_cards(f, r);
    fputs("<div class=\"layout\">\n<main class=\"panel\"><h2>Checked text</h2>"
          "<div class=\"doc\" id=\"doc\">", f);
    if (emit_text(&h) != 0) {
        rc = -1;
        goto done;
    }
    fputs("</div></main>\n<aside>\n", f);
    emit_sources(f, r, npass);
    emit_legend(f);
    fputs("</aside>\n</div>\n", f);

    fprintf(f, "<section class=\"pairs\"><h2>Passages side by side (%zu)</h2>\n",
            r->n_passages);
    if (r->n_passages == 0)
        fputs("<div class=\"panel empty\">No reused passage was found.</div>\n", f);
    for (size_t i = 0; i < r->n_passages; i++)
        emit_pair(f, in, &la, src_lines, i, &da, &db);
    fputs("</section>\n", f);
    emit_repeats(f, in, &la);
    emit_boilerplate(f, in, &la);
    html_page_close(f, ". Offsets are UTF-8 byte offsets; lines and columns count "
                    "from 1.", script);

done:
    if (src_lines)
        for (size_t k = 0; k < r->n_sources; k++)
            rpt_lines_free(&src_lines[k]);
    free(src_lines);
    html_spans_free(&da);
    html_spans_free(&db);
    free(tmp);
    free(npass);
    rpt_lines_free(&la);
    if (fflush(f) != 0 || ferror(f))
        rc = -1;
    return rc;
}
