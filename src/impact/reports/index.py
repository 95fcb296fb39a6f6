"""The report index: one card per run, the real-data result first.

``index.html`` is what a policy team opens first. It shows, at the top, the
main result on real data (the estimation notebook run on the real source) in
words and numbers; then one card per run with its notebook, a badge « données
réelles » or « données de démonstration », the headline as a short list, a
thumbnail of its main figure linking to the report, and failures with their
message. Real-data runs come first. ``index.json`` holds the same runs as
data.

May import: :mod:`impact._io`; reads the run folders' ``provenance.json``.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from impact._io import atomic_path

logger = logging.getLogger(__name__)

#: French titles of the notebooks, by file stem.
NOTEBOOK_TITLES = {
    "01_build_panel": "Construction du panel",
    "02_map_ptce": "Cartes des PTCE",
    "03_estimate_impact": "Effet de la labellisation",
}
#: Figures tried, in order, as a run's thumbnail.
MAIN_FIGURES = ("event_study.png", "carte_ptce.png", "series_nationales.png")
#: French labels of the headline keys shown on a card (others are left out).
HEADLINE_LABELS = {
    "level_label": "niveau",
    "level": "niveau",
    "outcome_label": "indicateur",
    "outcome": "indicateur",
    "control": "groupe de comparaison",
    "n_territories": "territoires",
    "territories": "territoires",
    "n_treated": "territoires traités",
    "treated_territories": "territoires traités",
    "overall_att": "effet moyen (ATT)",
    "ci_low": "IC 95 % bas",
    "ci_high": "IC 95 % haut",
    "mde": "effet minimal détectable",
    "pretrend_p": "p pré-tendance",
    "ri_p": "p randomisation",
    "wild_p": "p bootstrap sauvage",
    "breakdown_m": "valeur de rupture (M̄)",
    "n_ptce": "PTCE cartographiés",
    "years": "années",
    "rows": "lignes du panel",
}
#: French words for the codes some headline values hold.
VALUE_LABELS = {"control": {"never": "jamais traités", "notyet": "pas encore traités"}}
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
background:#f5f6f8;color:#222}
header{background:#1f4e79;color:#fff;padding:1.2em 1.5em}header h1{margin:0;font-size:1.5em}
header p{margin:.3em 0 0;opacity:.9}main{padding:1em 1.5em;max-width:1200px;margin:auto}
.hero{background:#fff;border-left:6px solid #1f4e79;padding:1em 1.2em;margin:0 0 1.2em;
border-radius:4px}
.hero h2{margin:.1em 0 .4em;font-size:1.2em}.hero .big{font-size:1.6em;font-weight:600}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:1em}
.card{background:#fff;border-radius:6px;padding:1em;box-shadow:0 1px 3px rgba(0,0,0,.12)}
.card h3{margin:.2em 0 .5em;font-size:1.05em}
.card img{width:100%;border:1px solid #ddd;border-radius:3px}
.badge{display:inline-block;font-size:.75em;padding:.15em .5em;border-radius:1em;margin-right:.4em}
.real{background:#dff0d8;color:#2b5f1e}.demo{background:#fcf3cf;color:#7d6608}
.failed{border:2px solid #c0392b}
.err{color:#a00;font-family:monospace;white-space:pre-wrap;font-size:.85em}
dl{display:grid;grid-template-columns:auto 1fr;gap:.1em .8em;font-size:.9em;margin:.6em 0}
dt{color:#555}dd{margin:0}.links{font-size:.9em}.params{color:#666;font-size:.8em}
@media (max-width:600px){main{padding:.5em}.cards{grid-template-columns:1fr}}
"""


def _fr(x: Any, digits: int = 2) -> str:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return html.escape(str(x))
    if isinstance(x, int):
        return f"{x:,}".replace(",", "\u202f")
    return f"{x:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def is_real(run: Mapping[str, Any]) -> bool:
    """A run on real data: its headline says so, or its ``source`` parameter is not the demo.

    Examples
    --------
    >>> is_real({"parameters": {"source": "demo"}}), is_real({"headline": {"source": "insee"}})
    (False, True)
    >>> is_real({"parameters": {}})  # the notebooks' default source is real data
    True
    """
    source = run.get("headline", {}).get("source") or run.get("parameters", {}).get("source")
    if source is None:  # the notebooks' default source is real (INSEE) data
        return True
    return source != "demo"


def _order(run: Mapping[str, Any]) -> tuple:
    return (not is_real(run), Path(str(run.get("notebook", ""))).stem, run.get("run_id", ""))


def programme_of(run: Mapping[str, Any]) -> str | None:
    """The programme a run studies when it is not the PTCE (None for the PTCE).

    Read from the run's headline, else from its parameters.

    Examples
    --------
    >>> programme_of({"headline": {"programme": "Programme fictif"}})
    'Programme fictif'
    >>> programme_of({"parameters": {"programme": "PTCE"}}) is None
    True
    """
    name = (run.get("headline") or {}).get("programme") or (run.get("parameters") or {}).get(
        "programme")
    return None if not name or str(name) == "PTCE" else str(name)


def headline_sentence(headline: Mapping[str, Any]) -> str:
    """The estimation headline in one French sentence (HTML-escaped).

    Empty when the headline has no ATT and confidence interval.

    Examples
    --------
    >>> print(headline_sentence({"overall_att": 1.234, "ci_low": 0.4, "ci_high": 2.07,
    ...                          "outcome_label": "créations pour 10 000 hab.",
    ...                          "n_territories": 96, "level_label": "départements"}))
    ... # doctest: +NORMALIZE_WHITESPACE
    Effet moyen de la labellisation : <span class='big'>1,23</span> créations pour 10 000 hab.,
    IC à 95 % [0,40 ; 2,07] : significativement différent de zéro. 96 départements.
    >>> headline_sentence({"overall_att": 1.0})
    ''

    Another programme is named instead of the PTCE label:

    >>> headline_sentence({"overall_att": 0.36, "ci_low": -1.48, "ci_high": 2.21,
    ...                    "programme": "Programme fictif"})[:45]
    'Effet moyen du programme « Programme fictif »'
    """
    att, lo, hi = headline.get("overall_att"), headline.get("ci_low"), headline.get("ci_high")
    if att is None or lo is None or hi is None:
        return ""
    significant = lo > 0 or hi < 0
    programme = programme_of({"headline": headline})
    subject = (f"Effet moyen du programme « {html.escape(programme)} »" if programme
               else "Effet moyen de la labellisation")
    text = (
        f"{subject} : <span class='big'>{_fr(att)}</span> "
        f"{html.escape(str(headline.get('outcome_label', headline.get('outcome', ''))))}, "
        f"IC à 95 % [{_fr(lo)} ; {_fr(hi)}] : "
        + (
            "significativement différent de zéro."
            if significant
            else "pas statistiquement distinct de zéro."
        )
    )
    if headline.get("mde") is not None:
        text += f" Effet minimal détectable à 80 % de puissance : {_fr(headline['mde'])}."
    extra = []
    for key, label in (
        ("pretrend_p", "pré-tendance"),
        ("ri_p", "randomisation"),
        ("wild_p", "bootstrap sauvage"),
    ):
        if headline.get(key) is not None:
            extra.append(f"p {label} = {_fr(headline[key], 3)}")
    if headline.get("n_territories") is not None:
        extra.append(
            f"{_fr(headline['n_territories'])} "
            f"{html.escape(str(headline.get('level_label', 'territoires')))}"
        )
    return text + (" " + " ; ".join(extra) + "." if extra else "")


def _card(run: Mapping[str, Any], failures_html: Callable[[Mapping[str, Any]], str]) -> str:
    rid = html.escape(run.get("run_id", ""))
    stem = Path(str(run.get("notebook", "?"))).stem
    title = NOTEBOOK_TITLES.get(stem, stem)
    programme = programme_of(run)
    if programme and stem == "03_estimate_impact":
        title = f"Effet du programme « {programme} »"
    elif programme:
        title = f"{title} — {programme}"
    real = is_real(run)
    badge = (
        "<span class='badge real'>données réelles</span>"
        if real
        else "<span class='badge demo'>données de démonstration</span>"
    )
    status = run.get("status", "?")
    files = set(run.get("files", []))
    thumb = next((f for f in MAIN_FIGURES if f in files), None) or next(
        iter(sorted(run.get("figures", []))), None
    )
    img = (
        f"<a href='{rid}/report.html'><img src='{rid}/{html.escape(thumb)}' "
        f"alt='{html.escape(title)}' "
        f"loading='lazy'></a>"
        if thumb and status == "ok"
        else ""
    )
    head = run.get("headline", {}) or {}
    # A French label replaces the code it stands for (level_label for level, ...).
    shown = [k for k in HEADLINE_LABELS if k in head and f"{k}_label" not in head]
    rows = "".join(
        f"<dt>{html.escape(HEADLINE_LABELS[k])}</dt>"
        f"<dd>{_fr(VALUE_LABELS[k].get(head[k], head[k]) if k in VALUE_LABELS else head[k])}</dd>"
        for k in shown
    )
    links = [
        f"<a href='{rid}/report.html'>rapport</a>",
        f"<a href='{rid}/notebook.ipynb'>notebook</a>",
    ]
    links += [
        f"<a href='{rid}/{html.escape(f)}'>{html.escape(f)}</a>"
        for f in sorted(files)
        if f.endswith(".html") and f != "report.html"
    ]
    err = (
        f"<div class='err'>Échec : {html.escape(run.get('error', ''))}</div>"
        if status == "failed"
        else ""
    )
    params = html.escape(
        ", ".join(f"{k} = {v}" for k, v in run.get("parameters", {}).items())
        or "paramètres par défaut"
    )
    return (
        f"<article class='card {html.escape(status)}'>{badge}"
        f"<h3>{html.escape(title)}</h3><div class='params'>{params} · "
        f"{run.get('duration', 0):.0f} s</div>{img}<dl>{rows}</dl>{err}"
        f"{failures_html(run)}<div class='links'>{' · '.join(links)}</div></article>"
    )


def render_index(
    runs: Sequence[Mapping[str, Any]],
    failures_html: Callable[[Mapping[str, Any]], str] = lambda r: "",
) -> str:
    """The HTML page of :func:`write_index` for ``runs`` (provenance records).

    Real-data runs come first; the first successful real-data estimation is
    shown on top as the main result.

    Examples
    --------
    >>> runs = [
    ...     {"run_id": "03--source-demo", "notebook": "03_estimate_impact.ipynb",
    ...      "parameters": {"source": "demo"}, "status": "ok", "headline": {}},
    ...     {"run_id": "03--source-insee", "notebook": "03_estimate_impact.ipynb",
    ...      "parameters": {"source": "insee"}, "status": "ok",
    ...      "headline": {"overall_att": 0.8, "ci_low": -0.2, "ci_high": 1.8}},
    ... ]
    >>> page = render_index(runs)
    >>> page.index("03--source-insee") < page.index("03--source-demo")  # real data first
    True
    >>> "Résultat principal" in page and "pas statistiquement distinct de zéro" in page
    True
    """
    runs = sorted(runs, key=_order)
    hero = ""
    main = next(
        (
            r
            for r in runs
            if is_real(r) and r.get("status") == "ok" and "overall_att" in (r.get("headline") or {})
        ),
        None,
    )
    if main is not None:
        rid = html.escape(main.get("run_id", ""))
        hero = (
            f"<section class='hero'><span class='badge real'>données réelles</span>"
            f"<h2>Résultat principal</h2><p>{headline_sentence(main['headline'])}</p>"
            f"<p><a href='{rid}/report.html'>Lire le rapport complet</a></p></section>"
        )
    n_failed = sum(r.get("status") == "failed" for r in runs)
    n_real = sum(is_real(r) for r in runs)
    cards = "".join(_card(r, failures_html) for r in runs)
    programmes = {programme_of(r) for r in runs} or {None}
    if programmes == {None}:
        subject = "des PTCE"
    elif len(programmes) == 1:
        subject = f"du programme « {html.escape(str(next(iter(programmes))))} »"
    else:
        subject = "des programmes"
    return f"""<!doctype html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>impact — rapports</title>
<style>{_CSS}</style></head><body><header><h1>Effets territoriaux {subject} — rapports</h1>
<p>{len(runs)} exécution(s) : {n_real} sur données réelles, {len(runs) - n_real} sur données de
démonstration ; {n_failed} en échec.</p></header><main>{hero}<div class="cards">{cards}</div></main>
</body></html>"""


def write_index_page(
    output_dir: str | Path,
    runs: Sequence[Mapping[str, Any]],
    failures_html: Callable[[Mapping[str, Any]], str] = lambda r: "",
) -> Path:
    """Write ``index.json`` and ``index.html`` for ``runs`` into ``output_dir`` (atomically).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     page = write_index_page(folder, [{"run_id": "01_build_panel", "status": "ok"}])
    ...     print(page.name, sorted(p.name for p in Path(folder).iterdir()))
    index.html ['index.html', 'index.json']
    """
    output_dir = Path(output_dir)
    runs = sorted(runs, key=_order)
    with atomic_path(output_dir / "index.json", suffix=".json") as tmp:
        tmp.write_text(json.dumps(list(runs), indent=2, ensure_ascii=False, default=str))
    path = output_dir / "index.html"
    with atomic_path(path, suffix=".html") as tmp:
        tmp.write_text(render_index(runs, failures_html), encoding="utf-8")
    return path
