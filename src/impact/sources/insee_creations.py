"""INSEE enterprise-creation series by département and région (BDM downloads).

Input layout
------------
INSEE's "Séries chronologiques" pages (Banque de données macroéconomiques,
BDM) let one download a selection of series as a zip holding
``valeurs_mensuelles.csv`` (or ``valeurs_trimestrielles.csv`` /
``valeurs_annuelles.csv``) and ``caracteristiques.csv``. The values file is
``;``-separated, quoted, UTF-8, with four header rows then one row per period,
most recent first, and a ``Codes`` status column after each series::

    "Libellé";"Créations d'entreprises - Total - Ain - Série brute";"Codes";...
    "idBank";"001234567";"";...
    "Dernière mise à jour";"15/07/2025 12:00";"";...
    "Période";"";"";...
    "2025-06";"";"";...             <- not yet published
    "2016-07";"412";"A";...

An older/alternative export puts one series per row:
``"Libellé";"idBank";"Dernière mise à jour";"Période";"2016-07";"2016-08";...``.
Both are read; periods ``2016``, ``2016-T3`` and ``2016-07`` are recognised.

Status codes of the ``Codes`` column: ``A`` (normal), ``R`` (revised), ``SD``
(semi-definitive) → ``observed``; ``P`` (provisional), ``E`` (estimated) →
``estimated``; ``O``, ``M``, ``ND`` (unavailable) → ``missing``; ``C``, ``S``
(confidential) → ``secret``. A row with neither value nor code (a period not
yet published) is dropped.

Series labels
-------------
Territory and indicator are read from the label, split on ``" - "``:

* a segment equal to a département or région name (accents, case, hyphens and
  an optional ``(01)`` code ignored) gives the territory; ``France`` /
  ``France entière`` gives ``FR``. Names shared by a département and a région
  (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte) are read as
  départements unless the label says "région".
* a segment mentioning ``hors micro-entrepreneurs`` (or ``hors
  auto-entrepreneurs``) gives ``creations_excl_micro``; one mentioning
  ``micro-entrepreneurs`` gives ``creations_micro``; otherwise
  ``creations_total``. Seasonally adjusted series (``CVS``) get a ``_sa``
  suffix.

Series whose territory cannot be read (e.g. pre-2016 régions, "France
métropolitaine") are skipped and reported in ``df.attrs["skipped_series"]``.
"""

from __future__ import annotations

import csv
import functools
import io
import logging
import re
import zipfile
from pathlib import Path

import pandas as pd

from impact.errors import InputError
from impact.sources._common import (
    check_nonempty,
    check_range,
    check_zip,
    decode_text,
    detect_encoding,
    detect_separator,
    find_period,
    make_long,
    normalize_label,
    parse_numbers,
)

logger = logging.getLogger(__name__)

SOURCE = "insee_bdm"
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"

_CODE_STATUS = {
    "A": "observed", "R": "observed", "SD": "observed", "D": "observed",
    "P": "estimated", "E": "estimated", "PR": "estimated",
    "O": "missing", "M": "missing", "ND": "missing", "NA": "missing",
    "C": "secret", "S": "secret",
}
#: More creations in one series and period than France records in a year is an error.
MAX_CREATIONS = 5e6
_HEADER_KEYS = ("libelle", "idbank", "derniere mise a jour", "periode")


@functools.cache
def _territory_names() -> dict[str, tuple[str, str]]:
    """Normalised name → (level, code) for départements and régions (COG 2025)."""
    from impact.territories import departements, regions

    names: dict[str, tuple[str, str]] = {}
    for _, r in regions().iterrows():
        names[_key(r["region_name"])] = ("region", r["region"])
    # Départements win on shared names (single-département overseas régions).
    for _, d in departements().iterrows():
        names[_key(d["departement_name"])] = ("departement", d["departement"])
    names["france"] = names["france entiere"] = ("france", "FR")
    names["ensemble de la france"] = ("france", "FR")
    return names


def _key(text: str) -> str:
    s = normalize_label(text)
    s = re.sub(r"\(\s*[0-9ab]{2,3}\s*\)", "", s)  # "Ain (01)"
    s = re.sub(r"^(departement|region|dep\.?|reg\.?)\s*:?\s*(de la |de l'|du |des |de )?", "", s)
    return re.sub(r"[-'\s]+", " ", s).strip()


def parse_label(label: str) -> tuple[str | None, str | None, str]:
    """(level, code, indicator) of a BDM series label; level/code ``None`` when unknown.

    Examples
    --------
    >>> parse_label("Créations d'entreprises - Hors micro-entrepreneurs - Ain - Série brute")
    ('departement', '01', 'creations_excl_micro')
    """
    parts = [p.strip() for p in re.split(r"\s+[-–]\s+", str(label))]
    names = _territory_names()
    level = code = None
    says_region = "region" in normalize_label(label)
    for p in parts:
        hit = names.get(_key(p))
        if hit is None:
            continue
        level, code = hit
        if says_region and level == "departement":
            # Overseas single-département régions share the name: honour "Région".
            from impact.territories import departements

            d = departements().set_index("departement")
            if code in d.index:
                level, code = "region", str(d.loc[code, "region"])
        break
    low = normalize_label(label)
    if re.search(r"hors (micro|auto)[- ]?entrepreneur", low):
        indicator = "creations_excl_micro"
    elif re.search(r"(micro|auto)[- ]?entrepreneur", low):
        indicator = "creations_micro"
    else:
        indicator = "creations_total"
    if re.search(r"\bcvs\b", low):
        indicator += "_sa"
    return level, code, indicator


def _rows(path: Path) -> tuple[list[list[str]], str]:
    """All rows of the values CSV (the file may be a zip or a folder from INSEE)."""
    check_nonempty(path)
    if path.is_dir() or path.suffix.lower() == ".zip":
        raw, name = _values_member(path)
    else:
        raw, name = path.read_bytes(), str(path)
    if not raw.strip():
        raise InputError("the file is empty", path=name)
    enc = detect_encoding(raw[: 1 << 20], Path(name))
    text = decode_text(raw, enc, name)
    lines = text.splitlines()
    sep = detect_separator(lines[:10], Path(name), candidates=(";", ",", "\t"))
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), delimiter=sep)]
    return rows, name


def _values_member(path: Path) -> tuple[bytes, str]:
    pick = re.compile(r"valeurs.*\.csv$", re.I)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if pick.search(p.name))
        if not files:
            raise InputError("no valeurs_*.csv file in the folder", path=path)
        return files[0].read_bytes(), str(files[0])
    members = check_zip(path)
    names = [m for m in members if pick.search(m)] or [
        m for m in members if m.lower().endswith(".csv") and "caract" not in m.lower()]
    if not names:
        raise InputError(f"no valeurs_*.csv in the zip archive (members: {members})", path=path)
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.read(names[0]), f"{path}!{names[0]}"
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise InputError(f"the zip archive is corrupt or truncated ({exc})", path=path) from exc


def read(path: str | Path, *, keep_unknown: bool = False) -> pd.DataFrame:
    """Read an INSEE BDM download of creation series into the long format.

    Parameters
    ----------
    path
        ``valeurs_mensuelles.csv`` (or ``_trimestrielles``/``_annuelles``), the
        zip downloaded from insee.fr, or the folder it was extracted to.
    keep_unknown
        Raise no warning for series whose territory cannot be read (they are
        always skipped and listed in ``df.attrs["skipped_series"]``).

    Returns
    -------
    pandas.DataFrame
        Long format; ``level`` is ``departement``, ``region`` or ``france``,
        ``cog_year`` 2025, ``source`` ``"insee_bdm"``.

    Examples
    --------
    A BDM download as insee.fr writes it (the last month is provisional, ``P``):

    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "valeurs_mensuelles.csv"
    >>> _ = path.write_text(
    ...     '"Libellé";"Créations d\\'entreprises - Total - Ain - Série brute";"Codes"\\n'
    ...     '"idBank";"010756101";""\\n"Dernière mise à jour";"14/08/2025 12:00";""\\n'
    ...     '"Période";"";""\\n"2016-08";"1 002";"P"\\n"2016-07";"1 154";"A"\\n', encoding="utf-8")
    >>> read(path)[["territory_code", "level", "period", "indicator", "value", "status"]]
      territory_code        level   period        indicator   value     status
    0             01  departement  2016-07  creations_total  1154.0   observed
    1             01  departement  2016-08  creations_total  1002.0  estimated
    """
    path = Path(path)
    rows, name = _rows(path)
    first = normalize_label(rows[0][0]) if rows and rows[0] else ""
    if first not in ("libelle", "label"):
        raise InputError(
            f"not an INSEE series download: the first cell is {rows[0][0] if rows else ''!r}, "
            "expected 'Libellé' (rows Libellé / idBank / Dernière mise à jour / Période)",
            path=name, line=1)
    header1 = [normalize_label(c) for c in rows[0]]
    if len(header1) > 1 and header1[1] == "idbank":
        series = _horizontal(rows, name)
    else:
        series = _vertical(rows, name)
    out, skipped = [], {}
    for s in series:
        level, code, indicator = parse_label(s["label"])
        if level is None:
            skipped[s["label"]] = s["idbank"]
            continue
        frame = s["frame"]
        frame["territory_code"] = code
        frame["level"] = level
        frame["indicator"] = indicator
        out.append(frame)
    if skipped and not keep_unknown:
        logger.warning("%s: %d series skipped, territory not recognised in the label: %s",
                       name, len(skipped), "; ".join(list(skipped)[:5]))
    if not out:
        raise InputError("no series with a recognisable département, région or France in "
                         f"its label (labels: {list(skipped)[:5]})", path=name)
    df = pd.concat(out, ignore_index=True)
    df["cog_year"] = 2025
    df["source"] = SOURCE
    dup = df.duplicated(["territory_code", "level", "period", "indicator"], keep=False)
    if dup.any():
        ex = df.loc[dup, ["territory_code", "indicator", "period"]].drop_duplicates().head(3)
        raise InputError(f"{int(dup.sum())} values for the same territory, indicator and period "
                         f"(two series with the same meaning?), e.g. {ex.to_dict('records')}",
                         path=name)
    result = make_long(df.sort_values(["level", "territory_code", "indicator", "period"]))
    result.attrs["skipped_series"] = skipped
    return result


def _status_frame(periods: list[str], values: list[str], codes: list[str] | None,
                  lines: list[int], name: str, column: str) -> pd.DataFrame:
    vals = pd.Series(values, dtype="string")
    value, status = parse_numbers(vals, path=name, column=column, lines=lines)
    check_range(value, path=name, column=column, lines=lines, raw=vals, minimum=0,
                maximum=MAX_CREATIONS, what="number of creations")
    if codes is not None:
        code_status = pd.Series([_CODE_STATUS.get(c.strip().upper(), "") for c in codes],
                                dtype="string")
        has_code = code_status.ne("")
        # The code column is authoritative when present (P → estimated even with a value).
        status = status.where(~has_code, code_status)
        blank = vals.fillna("").eq("") & pd.Series([c.strip() == "" for c in codes])
    else:
        blank = vals.fillna("").eq("")
    status = status.where(~(status.eq("observed") & value.isna()), "missing")
    frame = pd.DataFrame({"period": periods, "value": value.to_numpy(),
                          "status": status.to_numpy()})
    # A blank cell with a blank code is a period not yet published: no observation.
    return frame.loc[~blank.to_numpy()].reset_index(drop=True)


def _vertical(rows: list[list[str]], name: str) -> list[dict]:
    """Series in columns, four header rows (current insee.fr download)."""
    heads = {normalize_label(r[0]): i for i, r in enumerate(rows[:8]) if r}
    if "periode" not in heads:
        raise InputError("header row 'Période' not found in the first 8 rows", path=name)
    start = heads["periode"] + 1
    labels = rows[0]
    idbanks = rows[heads["idbank"]] if "idbank" in heads else [""] * len(labels)
    data = [(i + 1, r) for i, r in enumerate(rows[start:], start=start) if r and r[0].strip()]
    series = []
    j = 1
    while j < len(labels):
        label = labels[j]
        if normalize_label(label) == "codes":
            j += 1
            continue
        has_codes = j + 1 < len(labels) and normalize_label(labels[j + 1]) == "codes"
        periods, values, codes, lines = [], [], [], []
        for line, r in data:
            p = find_period(r[0])
            if p is None:
                raise InputError(f"{r[0]!r} is not a period", path=name, line=line,
                                 column="Période")
            periods.append(p)
            values.append(r[j] if j < len(r) else "")
            codes.append(r[j + 1] if has_codes and j + 1 < len(r) else "")
            lines.append(line)
        frame = _status_frame(periods, values, codes if has_codes else None, lines, name, label)
        series.append({"label": label, "idbank": idbanks[j] if j < len(idbanks) else "",
                       "frame": frame})
        j += 2 if has_codes else 1
    return series


def _horizontal(rows: list[list[str]], name: str) -> list[dict]:
    """One series per row: Libellé;idBank;Dernière mise à jour;Période;2016-07;..."""
    header = rows[0]
    found = [(k, find_period(h)) for k, h in enumerate(header) if k >= 2]
    period_cols = [(k, p) for k, p in found if p is not None]
    if not period_cols:
        raise InputError(f"no period columns in the header {header[:6]}...", path=name, line=1)
    series = []
    for i, r in enumerate(rows[1:], start=2):
        if not r or not r[0].strip():
            continue
        periods = [p for _, p in period_cols]
        values = [r[k] if k < len(r) else "" for k, _ in period_cols]
        frame = _status_frame(periods, values, None, [i] * len(periods), name, r[0])
        series.append({"label": r[0], "idbank": r[1] if len(r) > 1 else "", "frame": frame})
    return series


def to_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Wide view (territory × period, one column per indicator), for a quick look.

    Examples
    --------
    >>> long = pd.DataFrame({"territory_code": ["01", "01"], "period": ["2016-07", "2016-08"],
    ...                      "indicator": "creations_total", "value": [1154.0, 1002.0]})
    >>> to_frame(long)  # doctest: +NORMALIZE_WHITESPACE
    indicator               creations_total
    territory_code period
    01             2016-07           1154.0
                   2016-08           1002.0
    """
    return df.pivot_table(index=["territory_code", "period"], columns="indicator", values="value",
                          aggfunc="first", observed=True)


__all__ = ["LICENCE", "SOURCE", "parse_label", "read", "to_frame"]

