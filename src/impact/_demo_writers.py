"""Writers of the demonstration files, in the official layouts of the real ones.

:func:`sirene_tables` lays out one year of drawn legal units as the two
SIRENE stock tables; :func:`write_urssaf` and :func:`write_unemployment` write
the URSSAF CSV and the INSEE workbook. They draw nothing that decides the
creations (:func:`impact.demo.generate` does), and write reproducible bytes:
the same inputs give the same files.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: Label for every title, legend and source line made from the demonstration data.
DEMO_LABEL = "Données de démonstration"
_OVERSEAS = ("971", "972", "973", "974", "976")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # timestamp of every xlsx member (reproducible files)


def dict_array(keys: list[str], idx: np.ndarray) -> pa.DictionaryArray:
    """A dictionary-encoded Arrow array from indices (no Python string per row).

    Examples
    --------
    >>> dict_array(["A", "C"], np.array([0, 1, 0])).to_pylist()
    ['A', 'C', 'A']
    """
    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), pa.array(keys))


def luhn_siren(base: np.ndarray) -> np.ndarray:
    """9-digit SIREN numbers (as int64) whose Luhn key is valid, from 8-digit bases.

    Examples
    --------
    >>> luhn_siren(np.array([73282932, 30000000])).tolist()
    [732829320, 300000007]
    """
    digits = (base[:, None] // 10 ** np.arange(7, -1, -1)) % 10  # most significant first
    # With the key appended, the digits in even positions from the left (2nd, 4th, …, 8th)
    # are doubled; doubled digits above 9 lose 9.
    dbl = digits[:, 1::2] * 2
    dbl = np.where(dbl > 9, dbl - 9, dbl)
    s = digits[:, 0::2].sum(axis=1) + dbl.sum(axis=1)
    key = (10 - s % 10) % 10
    return base * 10 + key


def sirene_tables(
    siren_base: np.ndarray,
    dates: np.ndarray,
    *,
    commune_idx: np.ndarray,
    communes: list[str],
    band: np.ndarray,
    bands: list[str],
    legal: np.ndarray,
    legal_forms: list[str],
    naf: np.ndarray,
    naf_codes: list[str],
    ess: np.ndarray,
    ceased: np.ndarray,
) -> tuple[pa.Table, pa.Table]:
    """One batch of legal units and their head offices in the SIRENE stock layout.

    Parameters
    ----------
    siren_base
        8-digit bases of the SIREN numbers (:func:`luhn_siren` adds the key).
    dates
        Creation dates (``datetime64[D]``).
    commune_idx, band, legal, naf
        Per unit, indices into ``communes``, ``bands``, ``legal_forms`` and
        ``naf_codes`` (the code lists, written as dictionaries).
    ess, ceased
        Per unit, booleans: social and solidarity economy; ceased by the stock date.

    Returns
    -------
    (pyarrow.Table, pyarrow.Table)
        ``StockUniteLegale`` and ``StockEtablissement`` rows (head offices only,
        ``nic`` ``00015``); the headcount year is filled for employers only, as in
        the stock.

    Examples
    --------
    >>> ul, et = sirene_tables(
    ...     np.array([30000000, 30000001]), np.array(["2015-01-05", "2015-08-20"], "datetime64[D]"),
    ...     commune_idx=np.array([1, 0]), communes=["01001", "75056"],
    ...     band=np.array([0, 2]), bands=["NN", "00", "11"], legal=np.array([0, 1]),
    ...     legal_forms=["1000", "9220"], naf=np.array([0, 0]), naf_codes=["94.99Z"],
    ...     ess=np.array([False, True]), ceased=np.array([False, False]))
    >>> ul.column("siren").to_pylist(), ul.column("anneeEffectifsUniteLegale").to_pylist()
    (['300000007', '300000015'], [None, '2022'])
    >>> et.column("siret").to_pylist(), et.column("codeCommuneEtablissement").to_pylist()
    (['30000000700015', '30000001500015'], ['75056', '01001'])
    """
    n = len(siren_base)
    employer = np.array([b not in ("NN", "00") for b in bands])[band]
    siren = pc.utf8_lpad(pa.array(luhn_siren(siren_base)).cast(pa.string()), 9, "0")
    nic = pa.array(np.full(n, "00015"))
    date_arr = pa.array(dates, type=pa.date32())
    yes_no = ["N", "O"]
    zeros = np.zeros(n, int)
    ul = pa.table(
        {
            "siren": siren,
            "statutDiffusionUniteLegale": dict_array(["O"], zeros),
            "unitePurgeeUniteLegale": pa.nulls(n, pa.string()),
            "dateCreationUniteLegale": date_arr,
            "trancheEffectifsUniteLegale": dict_array(bands, band),
            # The headcount year is only filled for employers (as in the stock).
            "anneeEffectifsUniteLegale": pa.array(
                np.full(n, "2022"), mask=~employer, type=pa.string()
            ),
            "categorieEntreprise": dict_array(["PME"], zeros),
            "dateDebut": date_arr,
            "etatAdministratifUniteLegale": dict_array(["A", "C"], ceased.astype(int)),
            "categorieJuridiqueUniteLegale": dict_array(legal_forms, legal),
            "activitePrincipaleUniteLegale": dict_array(naf_codes, naf),
            "nomenclatureActivitePrincipaleUniteLegale": dict_array(["NAFRev2"], zeros),
            "nicSiegeUniteLegale": nic,
            "economieSocialeSolidaireUniteLegale": dict_array(yes_no, ess.astype(int)),
            "caractereEmployeurUniteLegale": dict_array(yes_no, employer.astype(int)),
        }
    )
    et = pa.table(
        {
            "siren": siren,
            "nic": nic,
            "siret": pc.binary_join_element_wise(siren, nic, ""),
            "statutDiffusionEtablissement": dict_array(["O"], zeros),
            "dateCreationEtablissement": date_arr,
            "trancheEffectifsEtablissement": dict_array(bands, band),
            "etablissementSiege": pa.array(np.ones(n, bool)),
            "codeCommuneEtablissement": dict_array(communes, commune_idx),
            "dateDebut": date_arr,
            "etatAdministratifEtablissement": dict_array(["A", "F"], ceased.astype(int)),
            "activitePrincipaleEtablissement": dict_array(naf_codes, naf),
            "nomenclatureActivitePrincipaleEtablissement": dict_array(["NAFRev2"], zeros),
            "caractereEmployeurEtablissement": dict_array(yes_no, employer.astype(int)),
        }
    )
    return ul, et


def write_urssaf(
    path: Path,
    deps: np.ndarray,
    dep_region: pd.Series,
    dep_names: Mapping[str, str],
    reg_names: Mapping[str, str],
    dep_pop: np.ndarray,
    dep_level: np.ndarray,
    years: list[int],
    rng: np.random.Generator,
) -> None:
    """Salaried jobs by département in the open.urssaf.fr wide layout (Mayotte not covered).

    Parameters
    ----------
    path
        CSV to write (``;``-separated, Latin-1, as published).
    deps
        Département codes; ``dep_region`` maps them to their région,
        ``dep_names``/``reg_names`` give the names written in the file.
    dep_pop, dep_level
        Per département (in the order of ``deps``): population and the
        persistent entrepreneurship level of the draw (jobs follow both).
    years
        Years of the ``Effectifs salariés <year>`` columns.
    rng
        Random generator of the job growth paths.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from impact.sources import urssaf
    >>> deps = np.array(["29", "35", "976"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "urssaf.csv"
    ...     write_urssaf(path, deps, pd.Series(["53", "53", "06"], index=deps),
    ...                  {"29": "Finistère", "35": "Ille-et-Vilaine"}, {"53": "Bretagne"},
    ...                  np.array([915e3, 1.1e6, 3e5]), np.ones(3), [2015, 2016],
    ...                  np.random.default_rng(0))
    ...     jobs = urssaf.read(path)
    >>> sorted(jobs["territory_code"].unique()), sorted(jobs["period"].unique())
    (['29', '35'], ['2015', '2016'])
    """
    keep = deps != "976"
    d = deps[keep]
    growth = np.exp(np.cumsum(0.008 + rng.normal(0, 0.01, (len(years), keep.sum())), axis=0))
    jobs = np.round(dep_pop[keep] * 0.29 * dep_level[keep] ** 0.2 * growth).astype(int)
    estabs = np.round(jobs / 9.5).astype(int)
    df = pd.DataFrame(
        {
            "Région": [reg_names.get(dep_region[x], "") for x in d],
            "Département": [dep_names.get(x, "") for x in d],
            "Code région": dep_region[d].to_numpy(),
            "Code département": d,
            **{f"Nombre d'établissements {y}": estabs[i] for i, y in enumerate(years)},
            **{f"Effectifs salariés {y}": jobs[i] for i, y in enumerate(years)},
        }
    )
    df.to_csv(path, sep=";", index=False, encoding="latin-1", lineterminator="\n")


def write_unemployment(
    path: Path,
    deps: np.ndarray,
    dep_region: pd.Series,
    dep_names: Mapping[str, str],
    reg_names: Mapping[str, str],
    dep_pop: np.ndarray,
    years: list[int],
    rng: np.random.Generator,
) -> None:
    """Quarterly localised unemployment rates in INSEE's workbook layout.

    Région rates are population-weighted means of their départements' rates
    (INSEE weights by the labour force; population is the stand-in here). The
    workbook's dates and zip members carry a fixed timestamp, so the same
    inputs give the same bytes.

    Parameters
    ----------
    path
        Workbook to write (``.xlsx``).
    deps, dep_region, dep_names, reg_names, dep_pop
        As for :func:`write_urssaf`.
    years
        Years whose four quarters are columns (``T1_2015`` …).
    rng
        Random generator of the rates.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from impact.sources import unemployment
    >>> deps = np.array(["29", "35"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "chomage.xlsx"
    ...     write_unemployment(path, deps, pd.Series(["53", "53"], index=deps), {}, {},
    ...                        np.array([915e3, 1.1e6]), [2015], np.random.default_rng(0))
    ...     rates = unemployment.read(path)
    >>> rates.groupby("level")["territory_code"].unique().map(sorted).to_dict()
    {'departement': ['29', '35'], 'region': ['53']}
    >>> sorted(rates["period"].unique())
    ['2015Q1', '2015Q2', '2015Q3', '2015Q4']
    """
    import openpyxl

    quarters = [f"T{q}_{y}" for y in years for q in range(1, 5)]
    base = np.clip(rng.normal(8.5, 1.8, len(deps)), 5, 14)
    base[np.isin(deps, _OVERSEAS)] += 12
    i = np.arange(len(quarters))
    cycle = 0.6 * np.sin(i / 7) - 0.05 * i + 0.8  # common national cycle (a slow decline)
    raw = base[:, None] + cycle[None, :] + rng.normal(0, 0.12, (len(deps), len(quarters)))
    rates = np.round(np.clip(raw, 2, 40), 1)
    regions = sorted(set(dep_region[deps]))
    reg_rates = []
    for r in regions:
        sel = dep_region[deps].to_numpy() == r
        reg_rates.append(np.round(np.average(rates[sel], axis=0, weights=dep_pop[sel]), 1))

    wb = openpyxl.Workbook()
    ws0 = wb.active
    ws0.title = "Présentation"
    ws0["A1"] = f"Taux de chômage localisés — {DEMO_LABEL}"
    ws0["A3"] = "Fichier généré par impact.demo : ce ne sont pas des données réelles."
    sheets: list[tuple[str, str, list[tuple[str, str, np.ndarray]]]] = [
        (
            "département",
            "Département",
            [(d, dep_names.get(d, d), r) for d, r in zip(deps, rates, strict=True)],
        ),
        (
            "région",
            "Région",
            [(r, reg_names.get(r, r), v) for r, v in zip(regions, reg_rates, strict=True)],
        ),
    ]
    for title, sheet_name, rows in sheets:
        ws = wb.create_sheet(sheet_name)
        ws["A1"] = f"Taux de chômage localisés par {title} — {DEMO_LABEL}"
        ws["A2"] = "Moyennes trimestrielles, données CVS, en %"
        ws.append([])
        ws.append([])
        ws.append(["Code", "Libellé", *quarters])
        for code, label, values in rows:
            ws.append([code, label, *values.tolist()])
        ws.append([])
        ws.append([f"Source : {DEMO_LABEL} (impact.demo)"])

    fixed = dt.datetime(*_FIXED_TIME)
    wb.properties.created = wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    _reproducible_zip(buf.getvalue(), path, fixed)


def _reproducible_zip(data: bytes, path: Path, fixed: dt.datetime) -> None:
    """Rewrite an xlsx with fixed member timestamps and document dates (same seed, same bytes)."""
    stamp = fixed.strftime("%Y-%m-%dT%H:%M:%SZ")
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            dst.writestr(
                zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME),
                content,
                compress_type=zipfile.ZIP_DEFLATED,
            )
