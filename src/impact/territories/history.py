"""INSEE's commune history: from a commune code of any year to the communes of COG 2025.

INSEE publishes, with every Code officiel géographique, the table of every
event that changed a commune since 1943 (``v_mvt_commune_2025``: mergers,
communes nouvelles, rétablissements, changes of département, creations…). The
package ships that table and the list of communes on 1 January 2025
(``impact/data/cog_2025/``, provenance in its README). From them this module
builds, once per process, a **table of passage**: for every commune code valid
on 1 January of any year from 1943 to 2025, the COG 2025 commune(s) that cover
its territory today — what the R package COGugaison does.

How the table is built
----------------------
Start from the 34,875 communes of 2025 (each maps to itself) and walk the
events backwards, one effective date at a time. Only the rows where a
*commune* (``TYPECOM = COM``) becomes a commune matter: communes déléguées and
associées are parts of a commune and carry no counts of their own. Undoing the
events of one date, each code ``a`` valid before it receives the 2025 communes
of the code(s) ``t`` it became:

- a merger (MOD 31, 32, 33; ``a → t``) gives ``a`` the 2025 communes of ``t``,
  *except* that a former commune restored later under its own code
  (rétablissement, MOD 21) resolves to itself: L'Oie (85165), merged into
  Essarts-en-Bocage (85084) in 2016 and restored in 2024, maps to 85165 for the
  years before 2016; and the other members of the merger no longer claim it;
- a split (one ``a`` becoming several ``t``: rétablissement, creation of a
  commune from parts of others (MOD 20), suppression with the territory shared
  among neighbours (MOD 30)) gives ``a`` the union of the 2025 communes of the
  pieces: Essarts-en-Bocage (85084) of 2016–2023 maps to 85084, 85165 and
  85212;
- a change of code (change of département, MOD 41; Corsica's ``20xxx`` →
  ``2A``/``2B`` on 1 January 1976) passes the 2025 communes on unchanged.

One date can hold a chain: Pont-Farcy (14513) moved to the Manche as 50649 and,
the same day, merged into Tessy-Bocage (50592) on 1 January 2018. Within a date
the changes of département are therefore undone last (they happened first).

Weights
-------
A code that maps to several 2025 communes is a *split*. Its ``weight`` on each
piece is the piece's share of the pieces' 2025 population (population municipale
of the territory layer, :func:`impact.territories.communes`); when a piece has
no population (Mayotte, a commune created in 2025), the pieces get equal
shares. Weights of one code and vintage sum to 1; a code that maps to one
commune has weight 1.

Representation
--------------
:func:`passage_table` stores the table compactly, one row per code, interval of
vintages with the same destination, and 2025 commune: ``code, first_year,
last_year, code_2025, weight, n_pieces``. :func:`passage` gives the slice of one
vintage (``vintage_year, code, code_2025, weight``), or of each code's latest
vintage. The municipal arrondissements of Paris, Lyon and Marseille are not
communes and are not in the table; :func:`impact.territories.harmonize` maps
them as before.
"""

from __future__ import annotations

import functools
import importlib.resources
import logging
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from impact.errors import InputError

logger = logging.getLogger(__name__)

#: Vintage of the shipped COG: every code lands on the communes of 1 January 2025.
COG_YEAR = 2025
#: First vintage of the table: the events table starts on 19 February 1943.
FIRST_VINTAGE = 1943
#: Files shipped in ``impact/data/cog_2025/`` (INSEE, via COGiter; see the README there).
EVENTS_FILE = "v_mvt_commune_2025.csv.xz"
COMMUNES_FILE = "v_commune_2025.csv.xz"

#: INSEE's event codes (``MOD``).
EVENT_TYPES: dict[str, str] = {
    "10": "changement de nom",
    "20": "création",
    "21": "rétablissement",
    "30": "suppression",
    "31": "fusion simple",
    "32": "création de commune nouvelle",
    "33": "fusion association",
    "34": "transformation de fusion association en fusion simple",
    "35": "suppression de commune déléguée",
    "41": "changement de code dû à un changement de département",
    "50": "changement de code dû à un transfert de chef-lieu",
    "70": "transformation de commune associée en commune déléguée",
    "71": "transformation de commune déléguée en commune associée",
}

_PASSAGE_COLUMNS = ["code", "first_year", "last_year", "code_2025", "weight", "n_pieces"]


def data_path(name: str) -> Path:
    """Path of a file shipped in ``impact/data/cog_2025/``.

    Examples
    --------
    >>> data_path(EVENTS_FILE).name
    'v_mvt_commune_2025.csv.xz'
    """
    path = Path(str(importlib.resources.files("impact") / "data" / "cog_2025" / name))
    if not path.exists():  # pragma: no cover - a broken installation
        raise FileNotFoundError(f"package data {path} is missing; reinstall impact")
    return path


@functools.cache
def events() -> pd.DataFrame:
    """INSEE's table of commune events since 1943 (COG 2025), as shipped: every column a string.

    Examples
    --------
    >>> ev = events()
    >>> ev.loc[(ev["COM_AV"] == "01172") & (ev["COM_AP"] != "01172"), ["MOD", "DATE_EFF", "COM_AP"]]
         MOD    DATE_EFF COM_AP
    321   35  2023-01-01  01095
    2280  32  2017-01-01  01095
    """
    return pd.read_csv(data_path(EVENTS_FILE), dtype=str, keep_default_na=False)


@functools.cache
def cog_communes() -> pd.DataFrame:
    """INSEE's communes on 1 January 2025 (COM, COMD, COMA, ARM), as shipped.

    Examples
    --------
    >>> cog = cog_communes()
    >>> cog["TYPECOM"].value_counts().sort_index().to_dict()
    {'ARM': 45, 'COM': 34875, 'COMA': 476, 'COMD': 2152}
    """
    return pd.read_csv(data_path(COMMUNES_FILE), dtype=str, keep_default_na=False)


def _commune_edges() -> dict[str, list[list[tuple[str, str]]]]:
    """Commune-to-commune rows of the events table, by date, in the order to undo them.

    Returns ``{date: [stage, ...]}`` where each stage is a list of ``(before, after)``
    codes; stages are undone in order (the last change of the day first).
    """
    ev = events()
    cc = ev[(ev["TYPECOM_AV"] == "COM") & (ev["TYPECOM_AP"] == "COM")]
    cc = cc[["MOD", "DATE_EFF", "COM_AV", "COM_AP"]].drop_duplicates()
    later: dict[str, list[tuple[str, str]]] = defaultdict(list)  # undone first
    first: dict[str, list[tuple[str, str]]] = defaultdict(list)  # undone last
    for mod, date, before, after in cc.itertuples(index=False, name=None):
        # A change of département happens before the merger it enables (14513 →
        # 50649 → 50592 on 2018-01-01), so it is undone after the other events.
        (first if mod == "41" else later)[date].append((before, after))
    out: dict[str, list[list[tuple[str, str]]]] = {}
    for date in set(later) | set(first):
        out[date] = [s for s in (later.get(date, []), first.get(date, [])) if s]
    return out


def _undo(state: dict[str, frozenset[str]], edges: list[tuple[str, str]], date: str) -> set[str]:
    """Undo one stage of events in ``state`` (code → 2025 communes); return the codes touched."""
    targets: dict[str, set[str]] = defaultdict(set)   # code before → codes after
    sources: dict[str, set[str]] = defaultdict(set)   # code after → codes before
    for before, after in edges:
        targets[before].add(after)
        sources[after].add(before)
    new: dict[str, frozenset[str]] = {}
    for before, afters in targets.items():
        dest: set[str] = set()
        for t in afters:
            d_t = state.get(t)
            if d_t is None:
                logger.warning("commune history: %s → %s on %s, but %s is not a commune after "
                               "that date; ignored", before, t, date, t)
                continue
            if before != t and before in d_t:
                # Absorbed into t, restored later under its own code: its territory is
                # that commune of today, not the whole of t.
                dest.add(before)
                continue
            restored = {g for g in sources[t] if g != t and g in d_t}
            rest = d_t - restored
            dest |= rest or d_t
        if dest:
            new[before] = frozenset(dest)
    removed = set(sources) - set(targets)  # codes created on that date
    for code in removed:
        state.pop(code, None)
    state.update(new)
    return removed | set(new)


def _build_intervals() -> list[tuple[str, int, int, frozenset[str]]]:
    """Walk the history backwards; return ``(code, first_year, last_year, communes_2025)``."""
    com = cog_communes()
    state = {c: frozenset([c]) for c in com.loc[com["TYPECOM"] == "COM", "COM"]}
    by_date = _commune_edges()
    dates = sorted(by_date, reverse=True)
    # Open intervals: code -> (destination, last vintage in which it held).
    open_: dict[str, tuple[frozenset[str], int]] = {c: (d, COG_YEAR) for c, d in state.items()}
    closed: list[tuple[str, int, int, frozenset[str]]] = []
    i = 0
    for year in range(COG_YEAR - 1, FIRST_VINTAGE - 1, -1):
        jan1 = f"{year}-01-01"
        touched: set[str] = set()
        # Vintage `year` is the state on 1 January: events dated later are undone.
        while i < len(dates) and dates[i] > jan1:
            for stage in by_date[dates[i]]:
                touched |= _undo(state, stage, dates[i])
            i += 1
        for code in touched:
            cur = state.get(code)
            prev = open_.get(code)
            if prev is not None and cur == prev[0]:
                continue
            if prev is not None:
                closed.append((code, year + 1, prev[1], prev[0]))
                del open_[code]
            if cur is not None:
                open_[code] = (cur, year)
    closed.extend((c, FIRST_VINTAGE, last, d) for c, (d, last) in open_.items())
    return closed


def _population_2025() -> pd.Series:
    from impact.territories import _reference as ref

    t = ref.commune_table()
    t = t[t["type"] == "COM"]
    return pd.Series(t["population"].to_numpy(dtype=float), index=t["code"].to_numpy())


@functools.cache
def _passage_table() -> pd.DataFrame:
    intervals = _build_intervals()
    codes, first, last, dest, group = [], [], [], [], []
    for g, (code, f, la, d) in enumerate(intervals):
        for piece in sorted(d):
            codes.append(code)
            first.append(f)
            last.append(la)
            dest.append(piece)
            group.append(g)
    t = pd.DataFrame({"code": codes, "first_year": np.array(first, dtype="int16"),
                      "last_year": np.array(last, dtype="int16"), "code_2025": dest,
                      "_group": group})
    t["n_pieces"] = t.groupby("_group")["code"].transform("size").astype("int16")
    pop = t["code_2025"].map(_population_2025())
    # Equal shares when any piece lacks a population: a share of an unknown total
    # would be a guess dressed as a number.
    has_all = pop.notna().groupby(t["_group"]).transform("all")
    total = pop.groupby(t["_group"]).transform("sum")
    share = (pop / total).where(has_all & (total > 0), 1.0 / t["n_pieces"])
    t["weight"] = share.where(t["n_pieces"] > 1, 1.0).astype("float64")
    t = t.drop(columns="_group").sort_values(["code", "first_year", "code_2025"],
                                             ignore_index=True)
    n_split = int(t.loc[t["n_pieces"] > 1, ["code", "first_year"]].drop_duplicates().shape[0])
    logger.info("Commune history: %d rows of passage for %d codes (%d split code-intervals)",
                len(t), t["code"].nunique(), n_split)
    return t[_PASSAGE_COLUMNS]


def passage_table() -> pd.DataFrame:
    """The table of passage from every commune code since 1943 to the communes of COG 2025.

    Returns
    -------
    pandas.DataFrame
        One row per code, interval of vintages and 2025 commune:

        ``code``
            A commune code valid on 1 January of every year from ``first_year`` to
            ``last_year`` (vintages, inclusive), e.g. ``"01172"`` (Germagnat) 1943–2016.
        ``code_2025``
            A commune of COG 2025 covering (part of) its territory.
        ``weight``
            Share of the code's counts that goes to ``code_2025``: 1 unless the code
            is split between several 2025 communes, then the piece's share of their
            2025 population (equal shares when a population is missing).
        ``n_pieces``
            Number of 2025 communes of the code in that interval (> 1: a split).

        A code appears in several intervals when its destination changed while it
        existed (85084 before 2016 → 85084; 2016–2023 → 85084, 85165, 85212; 2024– →
        85084) or when it was absorbed and restored.

    Notes
    -----
    Built from the shipped INSEE tables in about a second and cached in memory; a
    copy is returned.

    Examples
    --------
    >>> t = passage_table()
    >>> t.loc[t["code"] == "01172", ["code", "first_year", "last_year", "code_2025", "weight"]]
          code  first_year  last_year code_2025  weight
    171  01172        1943       2016     01095     1.0
    """
    return _passage_table().copy()


def _check_vintage(vintage: int | str) -> int:
    try:
        year = int(vintage)
    except (TypeError, ValueError):
        raise InputError(f"vintage {vintage!r} is not a year") from None
    if not FIRST_VINTAGE <= year <= COG_YEAR:
        raise InputError(f"vintage {year} is outside the commune history shipped "
                         f"({FIRST_VINTAGE}–{COG_YEAR})")
    return year


@functools.cache
def _passage_latest() -> pd.DataFrame:
    t = _passage_table()
    last = t.groupby("code")["last_year"].transform("max")
    out = t[t["last_year"] == last]
    return pd.DataFrame({"vintage_year": out["last_year"].to_numpy(),
                         "code": out["code"].to_numpy(),
                         "code_2025": out["code_2025"].to_numpy(),
                         "weight": out["weight"].to_numpy()})


@functools.cache
def _passage_year(year: int) -> pd.DataFrame:
    t = _passage_table()
    out = t[(t["first_year"] <= year) & (t["last_year"] >= year)]
    return pd.DataFrame({"vintage_year": np.full(len(out), year, dtype="int16"),
                         "code": out["code"].to_numpy(), "code_2025": out["code_2025"].to_numpy(),
                         "weight": out["weight"].to_numpy()})


def passage(vintage: int | None = None) -> pd.DataFrame:
    """The table of passage of one vintage: ``vintage_year, code, code_2025, weight``.

    Parameters
    ----------
    vintage
        A year from 1943 to 2025: the communes valid on 1 January of that year.
        ``None``: every code ever valid, read in the **latest** vintage in which it
        existed (``vintage_year`` says which).

    Returns
    -------
    pandas.DataFrame
        One row per code and 2025 commune; the weights of a code sum to 1.

    Examples
    --------
    >>> p = passage(2014)
    >>> p.loc[p["code"] == "01172", ["code_2025", "weight"]].values.tolist()
    [['01095', 1.0]]

    >>> passage(2014).query("code == '01172'")
         vintage_year   code code_2025  weight
    156          2014  01172     01095     1.0
    """
    df = _passage_latest() if vintage is None else _passage_year(_check_vintage(vintage))
    return df.copy()


@functools.cache
def codes_valid(vintage: int) -> frozenset[str]:
    """Commune codes valid on 1 January of ``vintage`` (arrondissements not included).

    Examples
    --------
    >>> "01172" in codes_valid(2014), "01172" in codes_valid(2020)
    (True, False)
    """
    return frozenset(_passage_year(_check_vintage(vintage))["code"])


@functools.cache
def codes_ever() -> frozenset[str]:
    """Every commune code valid on 1 January of some year since 1943.

    Examples
    --------
    >>> "01172" in codes_ever(), "99999" in codes_ever()
    (True, False)
    """
    return frozenset(_passage_table()["code"])


def vintages_of(code: str) -> list[int]:
    """Vintages (years) in which a normalised commune code was valid; empty if never.

    Examples
    --------
    >>> years = vintages_of("01172")
    >>> years[0], years[-1]
    (1943, 2016)
    """
    t = _passage_table()
    rows = t.loc[t["code"] == code, ["first_year", "last_year"]].drop_duplicates()
    years: set[int] = set()
    for f, la in rows.itertuples(index=False):
        years.update(range(int(f), int(la) + 1))
    return sorted(years)


def clear_cache() -> None:
    """Forget the tables built in memory.

    Examples
    --------
    >>> clear_cache()
    >>> codes_valid.cache_info().currsize  # rebuilt on the next call
    0
    """
    for fn in (events, cog_communes, _passage_table, _passage_latest, _passage_year, codes_valid,
               codes_ever):
        fn.cache_clear()
