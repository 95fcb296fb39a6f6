"""Reading and validating the PTCE registry (``data/raw/ptce.csv``).

The layout, the precisions and the entry points are described in
:mod:`impact.ptce`. This module reads the file through the project's robust
reading path, validates every row (file, line, column and value in each
error), places the lauréats on the territory layer, and gives the commune
points for maps and the demonstration's own PTCE.

May import: :mod:`impact.sources._common`, :mod:`impact.territories`.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from pathlib import Path
from typing import NoReturn

import geopandas as gpd
import pandas as pd

from impact.config import raw_dir
from impact.errors import InputError, UnknownCodeError

logger = logging.getLogger(__name__)

COLUMNS = [
    "ptce_id",
    "name",
    "precision",
    "commune_code",
    "commune_name",
    "departement",
    "region",
    "call",
    "label_year",
    "grant_eur",
    "source_url",
    "notes",
]
REQUIRED = ["ptce_id", "name", "commune_code", "call", "label_year", "source_url"]
#: Call for projects → year of the label.
CALLS = {2013: 2014, 2015: 2016}
#: Number of lauréats of each call (23 announced 10 Jan 2014, 14 announced 14 Jan 2016; FACTS.md).
LAUREATES = {2013: 23, 2015: 14}
#: Published grant range of each call, in euros (FACTS.md: defi-metiers.fr 2015, recma.org 2016).
GRANT_RANGE = {2013: (72_000.0, 290_000.0), 2015: (26_000.0, 290_000.0)}
#: Allowed precisions, finest first.
PRECISIONS = ("commune", "departement", "region", "unknown")
#: Analysis levels accepted by :func:`placement`, finest first.
PLACEMENT_LEVELS = ("commune", "epci", "departement", "region")
# Rank of a precision or a level on one scale: an EPCI sits between the commune and
# the département, and no registry row is placed "at EPCI precision".
_RANK = {"commune": 0, "epci": 1, "departement": 2, "region": 3, "unknown": 4}
_PLACE_COLUMN = {"commune": "commune_code", "departement": "departement", "region": "region"}
_URL = re.compile(r"^https?://\S+$")


# --------------------------------------------------------------------------- #
# Reading
# --------------------------------------------------------------------------- #


def _default_path(path: str | Path | None) -> Path:
    return Path(path) if path else raw_dir() / "ptce.csv"


def _check_field_counts(path: Path, encoding: str, sep: str) -> None:
    """Refuse a row whose number of fields differs from the header's.

    pandas silently turns the first column into the index when the first data
    row has one field more than the header (an unquoted comma in a name or a
    note), which shifts every column of that row; count fields ourselves.
    """
    text = path.read_bytes().decode(encoding, errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, quotechar='"')
    width = None
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if width is None:
            width = len(row)
            continue
        if len(row) != width:
            raise InputError(
                f"{len(row)} fields where the header has {width} (separator {sep!r}): "
                f"an unquoted {sep!r} inside a value shifts the columns; quote that value "
                f"with double quotes. Row starts with {sep.join(row)[:80]!r}",
                path=path,
                line=reader.line_num,
            )


def _fail(msg: str, path: Path, row: pd.Series, column: str | None) -> NoReturn:
    raise InputError(msg, path=path, line=int(row["_line"]), column=column)


def _read_raw(path: Path) -> pd.DataFrame:
    from impact.sources._common import detect_separator, read_csv_table, read_text_sample

    if not path.exists():
        raise InputError(f"PTCE registry not found at {path}")
    # Count fields before pandas parses: its own error on a long row does not say why.
    encoding, lines = read_text_sample(path)
    sep = detect_separator(lines, path)
    _check_field_counts(path, encoding, sep)
    df = read_csv_table(path, sep=sep, encoding=encoding)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        found = [c for c in df.columns if c != "_line"]
        raise InputError(f"missing column(s) {missing}; columns found: {found}", path=path)
    df.attrs["has_precision"] = "precision" in df.columns
    for col in COLUMNS:
        if col not in df.columns:
            df[col] = ""
    return df


def _parse_int(row: pd.Series, col: str, path: Path) -> int:
    text = row[col]
    try:
        value = float(text.replace(" ", ""))
    except ValueError:
        _fail(f"expected a number, found {text!r}", path, row, col)
    if not math.isfinite(value) or value != int(value):
        _fail(f"expected a whole year, found {text!r}", path, row, col)
    return int(value)


def _parse_grant(row: pd.Series, call: int, path: Path) -> float:
    from impact.sources._common import parse_number

    text = row["grant_eur"]
    if text == "":
        return math.nan
    value = parse_number(text)
    if value is None:
        _fail(f"expected a number, found {text!r}", path, row, "grant_eur")
    low, high = GRANT_RANGE[call]
    if not math.isfinite(value):
        _fail(
            f"grant {text!r} is not a finite amount; give the grant in euros "
            "or leave the cell empty",
            path,
            row,
            "grant_eur",
        )
    if not low <= value <= high:
        _fail(
            f"grant {text!r} is outside the {call} call's published range "
            f"{low:,.0f}–{high:,.0f} €: "
            "check the amount (in euros, not k€) or leave the cell empty",
            path,
            row,
            "grant_eur",
        )
    return float(value)


def _validate_rows(df: pd.DataFrame, path: Path, has_precision: bool) -> pd.DataFrame:
    from impact.territories import departements, normalize_code, regions

    dep_table = departements().set_index("departement")
    regions_known = set(regions()["region"])
    out = []
    seen: dict[str, int] = {}
    for _, row in df.iterrows():
        rec: dict[str, object] = {"_line": int(row["_line"])}
        pid = row["ptce_id"]
        if pid == "":
            _fail("empty ptce_id: give every lauréat an identifier", path, row, "ptce_id")
        if pid in seen:
            _fail(f"duplicated ptce_id {pid!r} (also on line {seen[pid]})", path, row, "ptce_id")
        seen[pid] = int(row["_line"])
        if row["name"] == "":
            _fail("empty name", path, row, "name")
        call = _parse_int(row, "call", path)
        if call not in CALLS:
            _fail(f"call must be 2013 or 2015, found {row['call']!r}", path, row, "call")
        year = _parse_int(row, "label_year", path)
        if year != CALLS[call]:
            _fail(
                f"label_year {row['label_year']!r} does not match call {call} "
                f"(expected {CALLS[call]})",
                path,
                row,
                "label_year",
            )
        rec.update(call=call, label_year=year, grant_eur=_parse_grant(row, call, path))
        if not _URL.match(row["source_url"]):
            _fail(
                f"source_url {row['source_url']!r} is not an http(s) address: "
                "every row needs the public "
                "page that states the lauréat",
                path,
                row,
                "source_url",
            )
        precision = row["precision"].lower() if has_precision else "commune"
        if precision not in PRECISIONS:
            _fail(
                f"unknown precision {row['precision']!r}; expected one of {list(PRECISIONS)}",
                path,
                row,
                "precision",
            )
        rec["precision"] = precision
        # The column that places the row is required; columns finer than the precision must
        # be empty (a finer place would mean a finer precision), coarser ones are checked.
        needed = _PLACE_COLUMN.get(precision)
        if needed and row[needed] == "":
            _fail(
                f"precision {precision!r} needs a {needed}; the cell is empty "
                "(give it, or use a coarser "
                "precision)",
                path,
                row,
                needed,
            )
        for finer, col in _PLACE_COLUMN.items():
            if _RANK[finer] < _RANK[precision] and row[col] != "":
                _fail(
                    f"precision {precision!r} but {col} {row[col]!r} is given: "
                    f"use precision {finer!r} "
                    f"or clear {col}",
                    path,
                    row,
                    col,
                )
        dep = region = None
        if row["departement"] != "":
            code = normalize_code(pd.Series([row["departement"]]), "departement", errors="flag")
            dep = str(code["code"].iloc[0]) if bool(code["valid"].iloc[0]) else None
            if dep not in dep_table.index:
                _fail(f"unknown département code {row['departement']!r}", path, row, "departement")
        if row["region"] != "":
            region = row["region"].zfill(2)
            if region not in regions_known:
                _fail(
                    f"unknown région code {row['region']!r}; "
                    f"expected one of {sorted(regions_known)}",
                    path,
                    row,
                    "region",
                )
        if dep is not None:
            dep_region = str(dep_table.loc[dep, "region"])
            if region is not None and region != dep_region:
                _fail(
                    f"département {dep} is in région {dep_region}, not {region}",
                    path,
                    row,
                    "region",
                )
            region = dep_region
        rec.update(departement=dep, region=region)
        for col in ("ptce_id", "name", "commune_code", "commune_name", "source_url", "notes"):
            rec.setdefault(col, row[col])
        rec["_stated_departement"] = row["departement"] != ""
        rec["_stated_region"] = row["region"] != ""
        out.append(rec)
    return pd.DataFrame(out)


def _place_communes(reg: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Harmonise commune codes, fill département, région and EPCI, check the stated ones."""
    from impact.territories import commune_mapping, communes, normalize_code

    is_com = reg["precision"].eq("commune")
    reg["epci"] = pd.Series(pd.NA, index=reg.index, dtype="string")
    if not is_com.any():
        return reg
    flags = normalize_code(
        reg.loc[is_com, "commune_code"], "commune", errors="flag", arrondissements="commune"
    )
    bad = ~flags["valid"].to_numpy()
    if bad.any():
        lines = reg.loc[is_com, "_line"].to_numpy()[bad]
        raise UnknownCodeError(
            flags.loc[~flags["valid"], "input"].astype(str),
            "commune",
            path=path,
            line=int(lines[0]),
            column="commune_code",
        )
    codes = pd.Series(flags["code"].astype(str).to_numpy(), index=reg.index[is_com])
    com = communes().set_index("code")
    former = ~codes.isin(com.index)
    if former.any():  # former communes: harmonise to the current one
        mapped = codes[former].map(commune_mapping())
        for i, old in codes[former].items():
            if pd.isna(mapped[i]):
                raise UnknownCodeError(
                    [old],
                    "commune",
                    path=path,
                    line=int(reg.loc[i, "_line"]),
                    column="commune_code",
                )
            logger.info(
                "%s line %d: former commune %s harmonised to %s",
                path,
                reg.loc[i, "_line"],
                old,
                mapped[i],
            )
        codes[former] = mapped
    geo = com.loc[codes.to_numpy()]
    for i, code, dep, region, epci, cname in zip(
        codes.index, codes, geo["departement"], geo["region"], geo["epci"], geo["name"], strict=True
    ):
        line = int(reg.loc[i, "_line"])
        if reg.loc[i, "_stated_departement"] and reg.loc[i, "departement"] != dep:
            raise InputError(
                f"commune {code} ({cname}) is in département {dep}, not "
                f"{reg.loc[i, 'departement']}: check the commune code or the département",
                path=path,
                line=line,
                column="departement",
            )
        if reg.loc[i, "_stated_region"] and reg.loc[i, "region"] != region:
            raise InputError(
                f"commune {code} ({cname}) is in région {region}, not {reg.loc[i, 'region']}",
                path=path,
                line=line,
                column="region",
            )
        reg.loc[i, ["commune_code", "departement", "region"]] = [code, dep, region]
        reg.loc[i, "epci"] = epci if isinstance(epci, str) and epci else pd.NA
        if not reg.loc[i, "commune_name"]:
            reg.loc[i, "commune_name"] = cname
    return reg


def read_registry(path: str | Path | None = None) -> pd.DataFrame:
    """Read and validate the PTCE registry, one row per lauréat.

    The file goes through the project's robust reading path
    (:func:`impact.sources._common.read_csv_table`: encoding — UTF-8 or
    Windows-1252 — and separator detection), and every row is checked.

    Parameters
    ----------
    path
        The registry CSV; ``data/raw/ptce.csv`` by default.

    Returns
    -------
    pandas.DataFrame
        Columns ``ptce_id, name, precision, commune_code, commune_name,
        departement, region, epci, call, label_year, grant_eur, source_url,
        notes, line``. ``commune_code`` is the current (COG 2025) commune, NA
        unless ``precision == "commune"``; ``departement`` and ``region`` are
        filled from the commune or the département when the row is finer;
        ``epci`` is set for commune rows (NA for the few communes outside any
        EPCI); ``grant_eur`` is NaN when not published; ``line`` is the row's
        line in the file. ``attrs`` records ``path``, ``encoding``, ``sep``.

    Raises
    ------
    InputError
        Naming file, line, column and value: missing columns, a row whose
        field count differs from the header's (an unquoted separator), an
        unknown precision, a precision whose place column is empty (or a finer
        place given with a coarser precision), a commune outside its stated
        département or région, unknown département or région codes, a call
        other than 2013/2015 or a label year that does not match it, a
        duplicated identifier, a grant that is not a finite number within its
        call's published range, a source that is not an http(s) address, more
        rows for a call than it had lauréats.
    UnknownCodeError
        A commune code absent from the geography, current or former.

    Examples
    --------
    >>> reg = read_registry()
    >>> sorted(reg["precision"].unique())[:2], sorted(set(reg["label_year"]))
    (['commune', 'departement'], [2014, 2016])
    """
    path = _default_path(path)
    raw = _read_raw(path)
    has_precision = bool(raw.attrs["has_precision"])
    if not has_precision:
        logger.info(
            "%s has no 'precision' column: every row is read as placed on its commune", path
        )
    reg = _validate_rows(raw, path, has_precision)
    reg = _place_communes(reg, path)
    per_call = reg["call"].value_counts()
    for call, n in per_call.items():
        if n > LAUREATES[int(call)]:
            raise InputError(
                f"{n} rows for the {call} call, which had {LAUREATES[int(call)]} lauréats: "
                "remove duplicates listed under different ids",
                path=path,
                column="call",
            )
    reg["commune_code"] = reg["commune_code"].where(reg["precision"].eq("commune")).astype("string")
    for col in ("departement", "region", "epci"):
        reg[col] = reg[col].astype("string")
    reg["call"] = reg["call"].astype("int64")
    reg["label_year"] = reg["label_year"].astype("int64")
    reg["grant_eur"] = reg["grant_eur"].astype("float64")
    reg = reg.rename(columns={"_line": "line"})
    # The file's columns, with the EPCI after the région and the source line last.
    out_cols = [*COLUMNS[: COLUMNS.index("region") + 1], "epci",
                *COLUMNS[COLUMNS.index("region") + 1:], "line"]
    reg = reg[out_cols].reset_index(drop=True)
    reg.attrs.update(path=str(path), encoding=raw.attrs.get("encoding"), sep=raw.attrs.get("sep"))
    counts = reg["precision"].value_counts().reindex(PRECISIONS, fill_value=0)
    logger.info(
        "PTCE registry %s: %d lauréats (%s)",
        path,
        len(reg),
        ", ".join(f"{k} {v}" for k, v in counts.items()),
    )
    return reg


# --------------------------------------------------------------------------- #
# Points for maps
# --------------------------------------------------------------------------- #


def load(path: str | Path | None = None) -> gpd.GeoDataFrame:
    """PTCE points on their commune (EPSG:4326), for maps and the demonstration.

    Only the lauréats placed on a commune (``precision == "commune"``) have a
    point; the others are left out, their number is logged and recorded in
    ``attrs["left_out"]`` (by precision). Use :func:`read_registry` for every
    lauréat and :func:`placement` for an analysis level.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :func:`read_registry` for the commune rows; the point is
        the commune polygon's representative point.

    Raises
    ------
    InputError, UnknownCodeError
        As :func:`read_registry`.

    Examples
    --------
    >>> points = load()
    >>> points.geometry.geom_type.unique().tolist(), bool((points["precision"] == "commune").all())
    (['Point'], True)
    """
    from impact.territories import communes

    reg = read_registry(path)
    on_commune = reg["precision"].eq("commune")
    left = reg.loc[~on_commune, "precision"].value_counts().to_dict()
    if left:
        logger.info(
            "PTCE map: %d of %d lauréats left out for lack of a commune (%s)",
            int((~on_commune).sum()),
            len(reg),
            ", ".join(f"{k} {v}" for k, v in left.items()),
        )
    df = reg.loc[on_commune].reset_index(drop=True)
    geo = communes().set_index("code").loc[df["commune_code"].astype(str)]
    out = gpd.GeoDataFrame(
        df, geometry=geo.geometry.representative_point().to_numpy(), crs="EPSG:4326"
    )
    out.attrs.update(reg.attrs, left_out={str(k): int(v) for k, v in left.items()})
    return out


# --------------------------------------------------------------------------- #
# Placement at an analysis level
# --------------------------------------------------------------------------- #


def demo_registry(folder: str | Path) -> gpd.GeoDataFrame:
    """The PTCE of the demonstration data (``ptce_treatment.csv`` written by :mod:`impact.demo`).

    When the demonstration was generated from the real registry, the registry
    itself is returned (real names and sources; only the outcomes around them
    are simulated). When the registry was absent, these are seeded draws of
    communes, named "PTCE fictif n" so they are never mistaken for real poles.

    Examples
    --------
    >>> from impact.demo import generate
    >>> files = generate(seed=1, scale=0.01)
    >>> demo_registry(files.folder).columns[:2].tolist()
    ['ptce_id', 'name']
    """
    t = pd.read_csv(Path(folder) / "ptce_treatment.csv", dtype={"commune": str})
    if len(t) and (t["origin"] == "registry").all():
        try:
            real = load()
        except InputError as exc:
            logger.warning(
                "PTCE registry unreadable (%s): the demonstration's PTCE are unnamed", exc
            )
        else:
            if sorted(real["commune_code"]) == sorted(t["commune"]):
                return real
            logger.warning(
                "the PTCE registry changed since the demonstration was generated: "
                "regenerate it with 'impact demo --force' to use the new one"
            )
    from impact.territories import communes

    com = communes().set_index("code")
    geo = com.loc[t["commune"]]
    return gpd.GeoDataFrame(
        {
            "ptce_id": [f"demo-{i + 1}" for i in range(len(t))],
            "name": [
                f"PTCE fictif {i + 1}" if o != "registry" else f"PTCE {i + 1}"
                for i, o in enumerate(t["origin"])
            ],
            "commune_code": t["commune"].to_numpy(),
            "commune_name": geo["name"].to_numpy(),
            "departement": geo["departement"].to_numpy(),
            "region": geo["region"].to_numpy(),
            "call": t["label_year"].map({2014: 2013, 2016: 2015}).to_numpy(),
            "label_year": t["label_year"].to_numpy(),
            "grant_eur": t["label_year"]
            .map({2014: 3_000_000 / 23, 2016: 2_700_000 / 14})
            .to_numpy(),
        },
        geometry=geo.geometry.representative_point().to_numpy(),
        crs="EPSG:4326",
    )
