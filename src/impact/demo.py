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
    estimate is given by :func:`expected_att`. Treated départements are those
    of the real PTCE registry (:func:`impact.ptce.load`) when it is available;
    otherwise a seeded draw, weighted by population, of 23 communes labelled
    in 2014 and 14 in 2016 (the sizes of the 2013 and 2015 calls) — the
    manifest's ``treated_from`` says which.

Scale
    ``scale=1.0`` (default) draws the full national volumes (~6.9 million
    legal units over 2010–2020, about 25 s). A smaller scale draws that
    fraction of firms: counts and per-inhabitant rates are then ``scale``
    times the realistic ones (the manifest and the folder name say so);
    tests use ``scale=0.01``.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from impact._io import atomic_dir
from impact.config import processed_dir, raw_dir
from impact.errors import InputError

logger = logging.getLogger(__name__)

#: Label for every title, legend and source line made from the demonstration data.
DEMO_LABEL = "Données de démonstration"
#: Prefix of the ``source`` column of long rows read from the demonstration files.
SOURCE_PREFIX = "demo-"
SOURCE_TAG = "demo"  # kept for older callers

#: Generator version: part of the reuse key, bumped whenever the output changes.
GENERATOR_VERSION = 2

#: The injected effect of PTCE labelling (read by tests and notebooks).
#: ``by_event_time[e]`` is the relative increase of TPE creations per inhabitant
#: ``e`` years after the first label of the département; ``long_run`` applies
#: from the last listed event time on.
DEMO_EFFECT: dict = {
    "indicator": "creations_tpe",
    "unit": "departement",
    "by_event_time": {0: 0.08, 1: 0.105, 2: 0.13, 3: 0.15},
    "long_run": 0.15,
    # Same schedule in closed form: min(first_year + per_year * e, max).
    "first_year": 0.08,
    "per_year": 0.025,
    "max": 0.15,
    "description": (
        "TPE creations per inhabitant +8 % in the département's first PTCE label "
        "year, +10.5 %, +13 %, then +15 % from the third year after it"
    ),
}

#: National creations (all legal forms) by year at scale 1.
NATIONAL_CREATIONS: dict[int, int] = {
    2010: 624_778,  # 549,805 / 0.88: 2011 was -12 % on 2010 (APCE 2011)
    2011: 549_805,  # published (APCE / INSEE)
    2012: 545_000,  # not in FACTS.md: "about 550,000 a year 2011-2014"
    2013: 539_934,  # 550,733 / 1.02: 2014 was +2 % on 2013
    2014: 550_733,  # published (INSEE)
    2015: 525_091,  # published (APCE / INSEE)
    2016: 554_000,  # not in FACTS.md: smooth rise from 2015 to 2019 (order of magnitude)
    2017: 591_000,  # idem
    2018: 691_000,  # idem
    2019: 815_542,  # 848,164 / 1.04: 2020 was +4.0 % on 2019
    2020: 848_164,  # published (INSEE)
}
#: Auto-entrepreneur share of creations (published: 2010, 2014, 2015; others interpolated).
AUTO_ENTREPRENEUR_SHARE: dict[int, float] = {
    2010: 0.58,
    2011: 0.56,
    2012: 0.55,
    2013: 0.53,
    2014: 0.51,
    2015: 0.43,
    2016: 0.40,
    2017: 0.43,
    2018: 0.45,
    2019: 0.47,
    2020: 0.50,
}

#: Share of creations that are TPE (size band NN or 00-03).
TPE_SHARE = 0.985
#: Relative creation volume by calendar month (January peak, August dip).
MONTH_WEIGHTS = np.array([1.25, 1.0, 1.05, 1.0, 0.95, 0.95, 0.9, 0.65, 1.0, 1.1, 1.05, 1.1])
#: Size bands among TPE creations (about 3.5 % employ staff) and among the others.
TPE_BANDS: dict[str, float] = {"NN": 0.88, "00": 0.085, "01": 0.022, "02": 0.008, "03": 0.005}
LARGER_BANDS: dict[str, float] = {"11": 0.6, "12": 0.3, "21": 0.1}
#: Legal forms other than individual firms (shares of the non-individual part).
OTHER_LEGAL_FORMS: dict[str, float] = {
    "5710": 0.44,  # SAS (incl. SASU)
    "5499": 0.30,  # SARL (incl. EURL)
    "6540": 0.08,  # société civile immobilière
    "9220": 0.12,  # association déclarée (ESS)
    "5458": 0.015,  # SCOP SARL (ESS)
    "5560": 0.005,  # SA coopérative (ESS)
    "7490": 0.02,  # other private-law legal person
    "5599": 0.02,  # SA à conseil d'administration
}
ESS_FORMS = ("9220", "5458", "5560")
#: NAF rév. 2 activity codes (at least one per section) and their weights.
NAF_CODES: dict[str, float] = {
    "01.11Z": 0.02,
    "01.41Z": 0.01,
    "08.12Z": 0.001,
    "10.71C": 0.015,
    "25.62B": 0.01,
    "32.12Z": 0.005,
    "35.11Z": 0.005,
    "38.11Z": 0.002,
    "41.20A": 0.04,
    "43.22A": 0.06,
    "43.31Z": 0.03,
    "45.20A": 0.03,
    "47.11F": 0.05,
    "47.91B": 0.06,
    "46.90Z": 0.03,
    "49.32Z": 0.05,
    "53.20Z": 0.03,
    "55.10Z": 0.01,
    "56.10A": 0.05,
    "56.10C": 0.03,
    "58.11Z": 0.005,
    "62.01Z": 0.05,
    "62.02A": 0.03,
    "64.20Z": 0.02,
    "66.19B": 0.02,
    "68.20A": 0.04,
    "68.31Z": 0.02,
    "70.22Z": 0.08,
    "71.12B": 0.02,
    "73.11Z": 0.02,
    "74.10Z": 0.04,
    "74.90B": 0.03,
    "81.21Z": 0.03,
    "82.99Z": 0.02,
    "84.11Z": 0.001,
    "85.59A": 0.04,
    "86.90D": 0.04,
    "88.10A": 0.01,
    "88.99B": 0.01,
    "90.01Z": 0.03,
    "93.12Z": 0.01,
    "94.99Z": 0.02,
    "96.02A": 0.04,
    "96.09Z": 0.02,
    "97.00Z": 0.001,
    "99.00Z": 0.0005,
}
#: Activities of associations (a subset: sport, culture, social work, "other").
ASSOCIATION_NAF: dict[str, float] = {
    "94.99Z": 0.5,
    "93.12Z": 0.2,
    "90.01Z": 0.1,
    "88.99B": 0.1,
    "85.59A": 0.1,
}
_OVERSEAS = ("971", "972", "973", "974", "976")
_FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # timestamp of every xlsx member (reproducible files)


@dataclass(frozen=True)
class DemoFiles:
    """Paths of the generated demonstration files."""

    folder: Path
    unites_legales: Path
    etablissements: Path
    urssaf: Path
    unemployment: Path
    treatment: Path
    manifest: Path

    @classmethod
    def in_folder(cls, folder: str | Path) -> DemoFiles:
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
        """The files as :func:`impact.panel.build_long` takes them (``sources=``)."""
        return {
            "sirene_ul": self.unites_legales,
            "sirene_et": self.etablissements,
            "urssaf": self.urssaf,
            "unemployment": self.unemployment,
        }

    def read_manifest(self) -> dict:
        return json.loads(self.manifest.read_text(encoding="utf-8"))

    def checksums(self) -> dict[str, str]:
        """SHA-256 of every data file (the manifest's record of them)."""
        return self.read_manifest()["sha256"]

    def __iter__(self):  # paths, for "for p in files"
        return (getattr(self, f.name) for f in fields(self) if f.name != "folder")


def default_folder(seed: int = 2014, scale: float = 1.0) -> Path:
    """Where :func:`generate` writes by default: ``data/processed/demo/seed<seed>-scale<scale>``."""
    return processed_dir() / "demo" / f"seed{seed}-scale{scale:g}"


def effect(event_time) -> np.ndarray:
    """The injected relative effect at ``event_time`` years since the label (0 before / NaN)."""
    e = np.asarray(event_time, dtype=float)
    sched = DEMO_EFFECT["by_event_time"]
    last = max(sched)
    out = np.zeros(e.shape, dtype=float)
    ok = np.isfinite(e) & (e >= 0)
    for k, v in sched.items():
        out[ok & (e == k)] = v
    out[ok & (e > last)] = DEMO_EFFECT["long_run"]
    return out


def effect_multiplier(event_time) -> np.ndarray:
    """``1 + effect(event_time)`` (1 for never-treated or pre-label years)."""
    return 1.0 + effect(event_time)


def expected_att(
    panel: pd.DataFrame,
    outcome: str = "creations_tpe_per10k",
    *,
    time: str = "year",
    group: str = "first_label_year",
) -> float:
    """The ATT the estimators should recover on a demonstration panel (simple aggregation).

    For every treated territory-year after the label, the injected effect in
    level is ``y × (1 − 1 / (1 + effect(e)))`` (the observed outcome minus
    its counterfactual); the simple aggregation of Callaway & Sant'Anna
    weights each group-time cell by group size, i.e. each treated
    post-label row equally, so the expected ATT is the mean of that over those
    rows. It holds for TPE outcomes (counts or per-inhabitant rates at
    département or coarser level); for ``creations_total`` it is slightly
    larger than the truth (non-TPE creations are not affected).
    """
    g = panel[group].to_numpy(dtype=float)
    t = panel[time].to_numpy(dtype=float)
    post = (g > 0) & (t >= g)
    if not post.any():
        raise InputError("expected_att: the panel has no treated row after a label year")
    e = t[post] - g[post]
    y = panel.loc[post, outcome].to_numpy(dtype=float)
    m = effect_multiplier(e)
    return float(np.mean(y * (1 - 1 / m)))


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


def _dict_array(keys: list[str], idx: np.ndarray) -> pa.DictionaryArray:
    """A dictionary-encoded Arrow array from indices (no Python string per row)."""
    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32)), pa.array(keys))


def _luhn_siren(base: np.ndarray) -> np.ndarray:
    """9-digit SIREN numbers (as int64) whose Luhn key is valid, from 8-digit bases."""
    digits = (base[:, None] // 10 ** np.arange(7, -1, -1)) % 10  # most significant first
    # With the key appended, the digits in even positions from the left (2nd, 4th, …, 8th)
    # are doubled; doubled digits above 9 lose 9.
    dbl = digits[:, 1::2] * 2
    dbl = np.where(dbl > 9, dbl - 9, dbl)
    s = digits[:, 0::2].sum(axis=1) + dbl.sum(axis=1)
    key = (10 - s % 10) % 10
    return base * 10 + key


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
    employer = np.array([b not in ("NN", "00") for b in band_keys])
    n_siren = 0
    folder.parent.mkdir(parents=True, exist_ok=True)
    with atomic_dir(folder) as tmp:
        ul_writer = et_writer = None
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
                siren = pc.utf8_lpad(pa.array(_luhn_siren(base)).cast(pa.string()), 9, "0")
                nic = pa.array(np.full(n, "00015"))
                date_arr = pa.array(dates, type=pa.date32())
                yes_no = ["N", "O"]
                ul = pa.table(
                    {
                        "siren": siren,
                        "statutDiffusionUniteLegale": _dict_array(["O"], np.zeros(n, int)),
                        "unitePurgeeUniteLegale": pa.nulls(n, pa.string()),
                        "dateCreationUniteLegale": date_arr,
                        "trancheEffectifsUniteLegale": _dict_array(band_keys, band),
                        # The headcount year is only filled for employers (as in the stock).
                        "anneeEffectifsUniteLegale": pa.array(
                            np.where(employer[band], "2022", None), type=pa.string()
                        ),
                        "categorieEntreprise": _dict_array(["PME"], np.zeros(n, int)),
                        "dateDebut": date_arr,
                        "etatAdministratifUniteLegale": _dict_array(["A", "C"], ceased.astype(int)),
                        "categorieJuridiqueUniteLegale": _dict_array(legal_keys, legal),
                        "activitePrincipaleUniteLegale": _dict_array(naf_keys, naf),
                        "nomenclatureActivitePrincipaleUniteLegale": _dict_array(
                            ["NAFRev2"], np.zeros(n, int)
                        ),
                        "nicSiegeUniteLegale": nic,
                        "economieSocialeSolidaireUniteLegale": _dict_array(yes_no, ess.astype(int)),
                        "caractereEmployeurUniteLegale": _dict_array(
                            yes_no, employer[band].astype(int)
                        ),
                    }
                )
                et = pa.table(
                    {
                        "siren": siren,
                        "nic": nic,
                        "siret": pc.binary_join_element_wise(siren, nic, ""),
                        "statutDiffusionEtablissement": _dict_array(["O"], np.zeros(n, int)),
                        "dateCreationEtablissement": date_arr,
                        "trancheEffectifsEtablissement": _dict_array(band_keys, band),
                        "etablissementSiege": pa.array(np.ones(n, bool)),
                        "codeCommuneEtablissement": _dict_array(codes, commune_idx),
                        "dateDebut": date_arr,
                        "etatAdministratifEtablissement": _dict_array(
                            ["A", "F"], ceased.astype(int)
                        ),
                        "activitePrincipaleEtablissement": _dict_array(naf_keys, naf),
                        "nomenclatureActivitePrincipaleEtablissement": _dict_array(
                            ["NAFRev2"], np.zeros(n, int)
                        ),
                        "caractereEmployeurEtablissement": _dict_array(
                            yes_no, employer[band].astype(int)
                        ),
                    }
                )
                if ul_writer is None:
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
        _write_urssaf(
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
        _write_unemployment(
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


def _write_urssaf(
    path: Path,
    deps,
    dep_region,
    dep_names,
    reg_names,
    dep_pop,
    dep_level,
    years: list[int],
    rng: np.random.Generator,
) -> None:
    """Salaried jobs by département in the open.urssaf.fr wide layout (Mayotte not covered)."""
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


def _write_unemployment(
    path: Path,
    deps,
    dep_region,
    dep_names,
    reg_names,
    dep_pop,
    years: list[int],
    rng: np.random.Generator,
) -> None:
    """Quarterly localised unemployment rates in INSEE's workbook layout.

    Région rates are population-weighted means of their départements' rates
    (INSEE weights by the labour force; population is the stand-in here).
    """
    import openpyxl

    quarters = [f"T{q}_{y}" for y in years for q in range(1, 5)]
    base = np.clip(rng.normal(8.5, 1.8, len(deps)), 5, 14)
    base[np.isin(deps, _OVERSEAS)] += 12
    i = np.arange(len(quarters))
    cycle = 0.6 * np.sin(i / 7) - 0.05 * i + 0.8  # common national cycle (a slow decline)
    rates = base[:, None] + cycle[None, :] + rng.normal(0, 0.12, (len(deps), len(quarters)))
    rates = np.round(np.clip(rates, 2, 40), 1)
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
    for title, sheet_name, rows in (
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
    ):
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
    import datetime as _dt

    fixed = _dt.datetime(*_FIXED_TIME)
    wb.properties.created = wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    _reproducible_zip(buf.getvalue(), path, fixed)


def _reproducible_zip(data: bytes, path: Path, fixed) -> None:
    """Rewrite an xlsx with fixed member timestamps and document dates (same seed, same bytes)."""
    import re

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
