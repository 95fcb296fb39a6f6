"""The demonstration dataset: the embedded, offline default of every command and notebook.

**These are not real data.** :func:`generate` writes, from a seed, files that
have the *shape* of the real ones, and :func:`impact.panel.build_long` reads
them back **through the same readers as the real files**
(:func:`impact.sources.sirene.creations`, :func:`impact.sources.urssaf.read`,
:func:`impact.sources.unemployment.read`), so the demonstration exercises the
real path end to end. Every table and figure made from them carries
:data:`DEMO_LABEL` ("Données de démonstration") and sources named
``demo-<source>``.

Files (in ``data/processed/demo/seed<seed>-scale<scale>/`` by default)
    ``StockUniteLegale_demo.parquet`` and ``StockEtablissement_demo.parquet``
        A SIRENE stock in INSEE's official layout (column names and code
        values of the "Description des fichiers du stock SIRENE"): one legal
        unit per creation with ``siren`` (valid Luhn key),
        ``dateCreationUniteLegale`` (Parquet DATE, ``YYYY-MM-DD``),
        ``trancheEffectifsUniteLegale`` (``NN``, ``00``, ``01``…),
        ``categorieJuridiqueUniteLegale`` (``1000``, ``5499``, ``5710``,
        ``9220``, ``5458``…), ``activitePrincipaleUniteLegale`` (NAF rév. 2,
        ``47.11F``), ``economieSocialeSolidaireUniteLegale`` (``O``/``N``),
        ``nicSiegeUniteLegale``…, and its head office establishment
        (``etablissementSiege`` true, ``codeCommuneEtablissement`` a current
        COG 2025 commune). Only head offices are written (secondary
        establishments do not enter creation counts).
    ``urssaf_effectifs_departement_demo.csv``
        URSSAF-shaped wide CSV (``;``, Latin-1): ``Région; Département; Code
        région; Code département; Nombre d'établissements <year>…; Effectifs
        salariés <year>…``; Mayotte is absent, as in the real dataset.
    ``chomage_localise_demo.xlsx``
        INSEE-shaped workbook of quarterly localised unemployment rates, with a
        "Présentation" sheet, then "Département" and "Région" sheets with title
        rows, a ``Code | Libellé | T1_2010 …`` header and a source line.
    ``ptce_treatment.csv``
        The PTCE communes used (``commune, label_year, departement, origin``).
    ``manifest.json``
        Parameters, the injected effect, the treated départements and the
        SHA-256 of every file.

What is realistic (calibration, see ``/work/shared/data/FACTS.md``)
    Real commune codes, populations and départements (COG 2025; Mayotte's
    communes, whose population is missing in the source, get the median
    commune population for the draw). National creations of the order INSEE
    published: 549,805 in 2011, 550,733 in 2014, 525,091 in 2015, 848,164 in
    2020 (:data:`NATIONAL_CREATIONS` says how each other year was derived).
    About 98.5 % of creations are TPE (size band ``NN`` or ``00``–``03``) and
    about 5 % employ staff at start; the individual-entrepreneur share
    (``1000``, which includes auto-entrepreneurs) follows the published
    auto-entrepreneur share (58 % in 2010, 51 % in 2014, 43 % in 2015) plus 7
    points of classic individual firms; associations (``9220``) and
    cooperatives (``5458`` SCOP, ``5560`` SCIC-like SA coopératives) are the
    ESS creations (a few percent). Creations peak in January and dip in
    August (:data:`MONTH_WEIGHTS`).

The model
    Expected creations in commune *c*, year *t* are
    ``N_t × w_c × s_{d,t} / Σ w × s``, with ``N_t`` the national volume times
    ``scale``, ``w_c = population × département level × commune level``
    (persistent log-normal differences, sd 0.25 and 0.3), ``s_{d,t}`` a small
    département-year shock (log sd 0.03). Counts are Poisson. Trends are
    common to all départements, so **parallel trends hold by construction**.

What is injected (:data:`DEMO_EFFECT`)
    In every **département** hosting a PTCE, from the year of its first label
    (2014 for the 2013 call, 2016 for the 2015 call), **TPE creations per
    inhabitant are multiplied by 1 + effect(e)**, ``e`` = years since the
    label: +8 % in the label year, +10.5 % after one year, +13 % after two,
    +15 % from the third year on. The effect applies to every commune of a
    treated département (the unit of treatment is the département), and to
    TPE creations only (non-TPE creations are untouched). The expected
    estimate on a département panel is given by :func:`expected_att` (not on
    a région panel: only the PTCE départements of a région are treated).
    Treated départements are those of the real PTCE registry
    (:func:`impact.ptce.load`) when it is available; otherwise a seeded draw,
    weighted by population, of 23 communes labelled in 2014 and 14 in 2016
    (the sizes of the 2013 and 2015 calls) — the manifest's ``treated_from``
    says which.

Scale
    ``scale=1.0`` (default) draws the full national volumes (~6.9 million
    legal units over 2010–2020, about 25 s). A smaller scale draws that
    fraction of firms: counts and per-inhabitant rates are then ``scale``
    times the realistic ones (the manifest and the folder name say so);
    tests use ``scale=0.01``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from impact import _demo_writers as writers
from impact._demo_calibration import (
    ASSOCIATION_NAF,
    AUTO_ENTREPRENEUR_SHARE,
    ESS_FORMS,
    LARGER_BANDS,
    MONTH_WEIGHTS,
    NAF_CODES,
    NATIONAL_CREATIONS,
    OTHER_LEGAL_FORMS,
    TPE_BANDS,
    TPE_SHARE,
)
from impact._demo_effect import DEMO_EFFECT, effect, effect_multiplier, expected_att
from impact._demo_writers import DEMO_LABEL
from impact._io import atomic_dir
from impact.config import processed_dir, raw_dir
from impact.errors import InputError

__all__ = [
    "ASSOCIATION_NAF",
    "AUTO_ENTREPRENEUR_SHARE",
    "DEMO_EFFECT",
    "DEMO_LABEL",
    "ESS_FORMS",
    "GENERATOR_VERSION",
    "LARGER_BANDS",
    "MONTH_WEIGHTS",
    "NAF_CODES",
    "NATIONAL_CREATIONS",
    "OTHER_LEGAL_FORMS",
    "SOURCE_PREFIX",
    "TPE_BANDS",
    "TPE_SHARE",
    "DemoFiles",
    "default_folder",
    "effect",
    "effect_multiplier",
    "expected_att",
    "generate",
]

logger = logging.getLogger(__name__)

#: Prefix of the ``source`` column of long rows read from the demonstration files.
SOURCE_PREFIX = "demo-"
SOURCE_TAG = "demo"  # kept for older callers

#: Generator version: part of the reuse key, bumped whenever the output changes.
GENERATOR_VERSION = 2


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the demonstration files in one folder (see :func:`generate`).

    Iterating gives the file paths (not the folder), in a fixed order.

    Examples
    --------
    >>> files = DemoFiles.in_folder("demo/seed1-scale0.01")
    >>> files.unites_legales.name
    'StockUniteLegale_demo.parquet'
    >>> [p.name for p in files][-2:]
    ['ptce_treatment.csv', 'manifest.json']
    """

    folder: Path
    unites_legales: Path
    etablissements: Path
    urssaf: Path
    unemployment: Path
    treatment: Path
    manifest: Path

    @classmethod
    def in_folder(cls, folder: str | Path) -> DemoFiles:
        """The paths the demonstration files have in ``folder`` (which may not exist yet).

        Examples
        --------
        >>> DemoFiles.in_folder("d").manifest.as_posix()
        'd/manifest.json'
        """
        folder = Path(folder)
        return cls(
            folder,
            folder / "StockUniteLegale_demo.parquet",
            folder / "StockEtablissement_demo.parquet",
            folder / "urssaf_effectifs_departement_demo.csv",
            folder / "chomage_localise_demo.xlsx",
            folder / "ptce_treatment.csv",
            folder / "manifest.json",
        )

    def source_paths(self) -> dict[str, Path]:
        """The files as :func:`impact.panel.build_long` takes them (``sources=``).

        Examples
        --------
        >>> sorted(DemoFiles.in_folder("d").source_paths())
        ['sirene_et', 'sirene_ul', 'unemployment', 'urssaf']
        """
        return {
            "sirene_ul": self.unites_legales,
            "sirene_et": self.etablissements,
            "urssaf": self.urssaf,
            "unemployment": self.unemployment,
        }

    def read_manifest(self) -> dict[str, Any]:
        """The manifest: parameters, injected effect, treated départements, checksums.

        Examples
        --------
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     files = generate(tmp + "/d", seed=1, start=2015, end=2015, scale=0.0005)
        ...     manifest = files.read_manifest()
        >>> manifest["label"], manifest["parameters"]["scale"]
        ('Données de démonstration', 0.0005)
        """
        manifest: dict[str, Any] = json.loads(self.manifest.read_text(encoding="utf-8"))
        return manifest

    def checksums(self) -> dict[str, str]:
        """SHA-256 of every data file (the manifest's record of them).

        Examples
        --------
        >>> import hashlib, tempfile
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     files = generate(tmp + "/d", seed=1, start=2015, end=2015, scale=0.0005)
        ...     recorded = files.checksums()[files.urssaf.name]
        ...     actual = hashlib.sha256(files.urssaf.read_bytes()).hexdigest()
        >>> recorded == actual
        True
        """
        sha: dict[str, str] = self.read_manifest()["sha256"]
        return sha

    def __iter__(self) -> Iterator[Path]:  # paths, for "for p in files"
        return (getattr(self, f.name) for f in fields(self) if f.name != "folder")


def default_folder(seed: int = 2014, scale: float = 1.0) -> Path:
    """Where :func:`generate` writes by default: ``data/processed/demo/seed<seed>-scale<scale>``.

    Examples
    --------
    >>> default_folder(seed=7, scale=0.01).relative_to(impact.config.processed_dir()).as_posix()
    'demo/seed7-scale0.01'
    """
    return processed_dir() / "demo" / f"seed{seed}-scale{scale:g}"


# --------------------------------------------------------------------------- helpers


def _registry_path() -> Path:
    return raw_dir() / "ptce.csv"


def _file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def _treated_communes(com: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """PTCE communes with their label year: the real registry, else a seeded draw.

    The draw always consumes the same random numbers, so the rest of the data
    for a seed does not depend on whether the registry exists.
    """
    p = com["population"].to_numpy(dtype=float)
    idx = rng.choice(len(com), size=37, replace=False, p=p / p.sum())
    drawn = pd.DataFrame(
        {
            "commune": com["code"].to_numpy()[idx],
            "label_year": [2014] * 23 + [2016] * 14,
            "origin": "seeded draw",
        }
    )
    if _registry_path().exists():
        try:
            from impact import ptce

            poles = ptce.load(_registry_path())
            return pd.DataFrame(
                {
                    "commune": poles["commune_code"].astype(str).to_numpy(),
                    "label_year": poles["label_year"].astype(int).to_numpy(),
                    "origin": "registry",
                }
            )
        except Exception as exc:  # the demo must run even while the registry is being edited
            logger.warning(
                "PTCE registry %s unusable for the demonstration (%s); "
                "using a seeded draw of PTCE communes instead",
                _registry_path(),
                exc,
            )
    else:
        logger.info(
            "No PTCE registry at %s: the demonstration uses a seeded draw of 23 + 14 "
            "PTCE communes (labelled 2014 and 2016)",
            _registry_path(),
        )
    return drawn


def _draw(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    """``n`` codes drawn with the table's weights, as indices into ``list(table)``."""
    p = np.fromiter(table.values(), dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum())



def _dates(year: int, month: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Random days of the given months of ``year`` as ``datetime64[D]``."""
    first = (np.datetime64(f"{year}-01", "M") + (month - 1)).astype("datetime64[D]")
    nxt = (np.datetime64(f"{year}-01", "M") + month).astype("datetime64[D]")
    length = (nxt - first).astype(int)
    return first + (rng.random(len(month)) * length).astype(int)


# --------------------------------------------------------------------------- generation


def generate(
    out_dir: str | Path | None = None,
    *,
    seed: int = 2014,
    start: int = 2010,
    end: int = 2020,
    scale: float = 1.0,
    force: bool = False,
) -> DemoFiles:
    """Write the demonstration files (atomically) and return their paths.

    Parameters
    ----------
    out_dir
        Folder to create (default :func:`default_folder`). The whole folder is
        written at once: an interrupted run leaves no partial folder. An
        existing folder that is not a demonstration folder is never replaced.
    seed
        Seed of every random draw: the same seed (and registry) gives
        byte-identical files.
    start, end
        Years of creation dates (2010–2020 by default; years without a
        published volume use 550,000).
    scale
        Fraction of the national volumes to draw (1.0: ~6.9 million legal
        units). Counts and rates are ``scale`` times the realistic ones.
    force
        Regenerate even when the folder already holds files made with the
        same parameters (otherwise they are reused).

    Returns
    -------
    DemoFiles
        Paths of the files; ``files.read_manifest()`` has the parameters, the
        injected effect, the treated départements and the checksums.

    Raises
    ------
    InputError
        If ``scale`` is not in (0, 5], ``start`` is after ``end``, or
        ``out_dir`` holds files that are not demonstration data.

    Examples
    --------
    One year at a two-thousandth of the national volume (2015: 525,091
    creations, so about 260 legal units):

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = generate(tmp + "/d", seed=1, start=2015, end=2015, scale=0.0005)
    ...     ul = pd.read_parquet(files.unites_legales)
    ...     manifest = files.read_manifest()
    >>> len(ul) == manifest["legal_units"], 200 < len(ul) < 330
    (True, True)
    >>> bool(ul["siren"].str.fullmatch("[0-9]{9}").all())
    True
    >>> manifest["effect"]["by_event_time"]
    {'0': 0.08, '1': 0.105, '2': 0.13, '3': 0.15}
    """
    if not (0 < scale <= 5):
        raise InputError(f"scale must be in (0, 5], not {scale!r}")
    if start > end:
        raise InputError(f"start ({start}) is after end ({end})")
    folder = Path(out_dir) if out_dir else default_folder(seed, scale)
    files = DemoFiles.in_folder(folder)
    params = {
        "seed": seed,
        "start": start,
        "end": end,
        "scale": scale,
        "version": GENERATOR_VERSION,
        "ptce_registry_sha256": _file_digest(_registry_path()),
    }
    if files.manifest.exists() and not force:
        try:
            if files.read_manifest()["parameters"] == params and all(p.exists() for p in files):
                logger.info("Reusing the demonstration files in %s (same parameters)", folder)
                return files
        except (ValueError, KeyError):
            pass
    if folder.exists() and any(folder.iterdir()) and not files.manifest.exists():
        raise InputError(
            "refusing to replace a folder that does not hold demonstration data "
            "(no manifest.json); choose an empty or new folder",
            path=folder,
        )

    from impact.territories import communes, names

    rng = np.random.default_rng(seed)
    com = (
        pd.DataFrame(communes().drop(columns="geometry")).sort_values("code").reset_index(drop=True)
    )
    com["population"] = com["population"].fillna(com["population"].median())
    treated = _treated_communes(com, rng)
    treated["departement"] = treated["commune"].map(com.set_index("code")["departement"])
    first_label = treated.groupby("departement")["label_year"].min()

    deps = np.sort(com["departement"].unique())
    dep_index = pd.Series(np.arange(len(deps)), index=deps)
    com_dep = dep_index[com["departement"]].to_numpy()
    dep_level = np.exp(rng.normal(0, 0.25, len(deps)))  # persistent entrepreneurship differences
    com_level = np.exp(rng.normal(0, 0.3, len(com)))
    weight = com["population"].to_numpy(dtype=float) * dep_level[com_dep] * com_level
    first = first_label.reindex(deps).to_numpy(dtype=float)  # NaN: never treated
    codes = com["code"].tolist()

    logger.info(
        "Generating a demonstration SIRENE stock for %d communes, %d-%d, scale %g "
        "(%d PTCE communes from %s, %d treated départements)",
        len(com),
        start,
        end,
        scale,
        len(treated),
        treated["origin"].iloc[0],
        len(first_label),
    )
    naf_keys, assoc_keys = list(NAF_CODES), list(ASSOCIATION_NAF)
    assoc_naf_pos = np.array([naf_keys.index(k) for k in assoc_keys])
    legal_keys = ["1000", *OTHER_LEGAL_FORMS]
    band_keys = [*TPE_BANDS, *LARGER_BANDS]
    n_siren = 0
    folder.parent.mkdir(parents=True, exist_ok=True)
    with atomic_dir(folder) as tmp:
        ul_writer: pq.ParquetWriter | None = None
        et_writer: pq.ParquetWriter | None = None
        try:
            for year in range(start, end + 1):
                total = NATIONAL_CREATIONS.get(year, 550_000) * scale
                shock = np.exp(rng.normal(0, 0.03, len(deps)))[com_dep]
                w = weight * shock
                expected = total * w / w.sum()
                mult = effect_multiplier(year - first)[com_dep]
                # Renormalised so the national TPE volume stays the published one: the
                # effect shifts creations towards treated départements, and the common
                # factor it takes from the others is a year effect, which DiD removes.
                tpe_w = w * mult
                expected_tpe = total * TPE_SHARE * tpe_w / tpe_w.sum()
                n_tpe = rng.poisson(expected_tpe)
                n_big = rng.poisson(expected * (1 - TPE_SHARE))
                n = int(n_tpe.sum() + n_big.sum())
                commune_idx = np.concatenate(
                    [np.repeat(np.arange(len(com)), n_tpe), np.repeat(np.arange(len(com)), n_big)]
                )
                is_tpe = np.arange(n) < n_tpe.sum()
                # Shuffle so that the file is not ordered by commune (as a real stock is not).
                order = rng.permutation(n)
                commune_idx, is_tpe = commune_idx[order], is_tpe[order]
                band = np.where(
                    is_tpe, _draw(rng, TPE_BANDS, n), len(TPE_BANDS) + _draw(rng, LARGER_BANDS, n)
                )
                month = rng.choice(12, size=n, p=MONTH_WEIGHTS / MONTH_WEIGHTS.sum()) + 1
                dates = _dates(year, month, rng)
                ae = AUTO_ENTREPRENEUR_SHARE.get(year, 0.5)
                individual = (
                    rng.random(n) < ae + 0.07
                ) & is_tpe  # no individual firm above 9 staff
                legal = np.where(individual, 0, 1 + _draw(rng, OTHER_LEGAL_FORMS, n))
                is_assoc = legal == legal_keys.index("9220")
                naf = np.where(
                    is_assoc,
                    assoc_naf_pos[_draw(rng, ASSOCIATION_NAF, n)],
                    _draw(rng, NAF_CODES, n),
                )
                ess = np.isin(legal, [legal_keys.index(c) for c in ESS_FORMS]) | (
                    rng.random(n) < 0.002
                )
                # About a third of the units of a cohort have ceased by the stock date.
                ceased = rng.random(n) < 0.04 * (end + 1 - year)
                base = 30_000_000 + n_siren + np.arange(n, dtype=np.int64)
                n_siren += n
                ul, et = writers.sirene_tables(
                    base,
                    dates,
                    commune_idx=commune_idx,
                    communes=codes,
                    band=band,
                    bands=band_keys,
                    legal=legal,
                    legal_forms=legal_keys,
                    naf=naf,
                    naf_codes=naf_keys,
                    ess=ess,
                    ceased=ceased,
                )
                if ul_writer is None or et_writer is None:
                    ul_writer = pq.ParquetWriter(tmp / files.unites_legales.name, ul.schema)
                    et_writer = pq.ParquetWriter(tmp / files.etablissements.name, et.schema)
                ul_writer.write_table(ul, row_group_size=1 << 20)
                et_writer.write_table(et, row_group_size=1 << 20)
                logger.info("  %d: %s creations (%.1f %% TPE)", year, f"{n:,}", 100 * is_tpe.mean())
        finally:
            for w_ in (ul_writer, et_writer):
                if w_ is not None:
                    w_.close()

        years = list(range(start, end + 1))
        dep_names, reg_names = names("departement"), names("region")
        dep_region = com.drop_duplicates("departement").set_index("departement")["region"]
        dep_pop = com.groupby("departement")["population"].sum().reindex(deps).to_numpy()
        writers.write_urssaf(
            tmp / files.urssaf.name,
            deps,
            dep_region,
            dep_names,
            reg_names,
            dep_pop,
            dep_level,
            years,
            rng,
        )
        writers.write_unemployment(
            tmp / files.unemployment.name,
            deps,
            dep_region,
            dep_names,
            reg_names,
            dep_pop,
            years,
            rng,
        )
        treated.to_csv(tmp / files.treatment.name, index=False, lineterminator="\n")
        digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tmp.iterdir())}
        manifest = {
            "label": DEMO_LABEL,
            "warning": "Demonstration data generated by impact.demo: not real observations.",
            "parameters": params,
            "effect": DEMO_EFFECT,
            "treated_from": str(treated["origin"].iloc[0]),
            "treated_departements": {str(k): int(v) for k, v in first_label.items()},
            "legal_units": n_siren,
            "sha256": digest,
        }
        (tmp / files.manifest.name).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8"
        )
    logger.info("Demonstration files written to %s (%s legal units)", folder, f"{n_siren:,}")
    return files

