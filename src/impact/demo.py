"""The demonstration dataset: the embedded, offline default.

:func:`generate` writes, from a seed, files shaped like the real ones — a
SIRENE stock (``StockUniteLegale`` and ``StockEtablissement`` as Parquet, with
the official column names and codes) for every real commune, an URSSAF-shaped
wide CSV of salaried jobs and an INSEE-shaped unemployment workbook — and
:func:`impact.panel.build_long` reads them back **through the same readers as
the real files**, so the demonstration exercises the real path end to end.

What is realistic
    Real commune codes, populations and départements (COG 2025). National
    creation volumes of the order INSEE published: 549,805 in 2011, 550,733 in
    2014, 525,091 in 2015, 848,164 in 2020 (see ``data/raw/national_creations.csv``);
    2010, 2013 and 2019 follow from the published growth rates (−12 % in 2011,
    +2 % in 2014, +4 % in 2020), other years are interpolated. Shares: about
    97 % of creations are TPE (size band NN, 00–03; about 5 % employ staff at
    start), individual entrepreneurs ~55 %, associations and cooperatives
    make up the ESS creations; seasonality peaks in January and dips in August.

What is injected (:data:`DEMO_EFFECT`)
    In the départements hosting a PTCE, **TPE creations rise from the year of
    the first label**: +8 % in the label year, growing by 2.5 points a year up
    to +15 %. Territories are otherwise drawn with département-specific levels
    and common shocks (parallel trends hold by construction). Treated
    départements: those of the PTCE registry (``data/raw/ptce.csv``) when it is
    present; otherwise a seeded draw, weighted by population, of 23 communes
    labelled in 2014 and 14 in 2016 (the sizes of the 2013 and 2015 calls).

Everything made from these files is labelled :data:`DEMO_LABEL`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from impact._io import atomic_dir
from impact.config import processed_dir, raw_dir

logger = logging.getLogger(__name__)

DEMO_LABEL = "Données de démonstration"
SOURCE_TAG = "demo"

#: The injected effect on TPE creations in treated départements, by years since label.
DEMO_EFFECT = {"first_year": 0.08, "per_year": 0.025, "max": 0.15}

#: National creations by year (published, derived from published growth rates, or interpolated).
NATIONAL_CREATIONS = {
    2010: 624_778,  # 549,805 / 0.88 (2011 was -12 % on 2010)
    2011: 549_805,  # published (APCE/INSEE)
    2012: 545_000,  # interpolated
    2013: 539_934,  # 550,733 / 1.02 (2014 was +2 % on 2013)
    2014: 550_733,  # published (INSEE)
    2015: 525_091,  # published (APCE/INSEE)
    2016: 554_000,  # interpolated
    2017: 591_000,  # interpolated
    2018: 691_000,  # interpolated
    2019: 815_542,  # 848,164 / 1.04 (2020 was +4 % on 2019)
    2020: 848_164,  # published (INSEE)
}

TPE_SHARE = 0.97
MONTH_WEIGHTS = np.array([1.25, 1.0, 1.05, 1.0, 0.95, 0.95, 0.9, 0.65, 1.0, 1.1, 1.05, 1.1])
LEGAL_FORMS = {  # catégorie juridique: share
    "1000": 0.55,  # entrepreneur individuel (incl. micro-entrepreneurs)
    "5499": 0.14,  # SARL
    "5710": 0.20,  # SAS
    "6540": 0.03,  # société civile immobilière
    "9220": 0.06,  # association déclarée
    "5458": 0.01,  # SCOP (cooperative)
    "7490": 0.01,  # other private-law legal person
}
NAF_CODES = {
    "47.11F": 0.08, "43.22A": 0.08, "56.10A": 0.07, "62.01Z": 0.08, "68.20A": 0.07, "70.22Z": 0.10,
    "86.90D": 0.06, "96.02A": 0.07, "49.32Z": 0.05, "01.11Z": 0.03, "85.59A": 0.06, "90.01Z": 0.04,
    "41.20A": 0.04, "45.20A": 0.03, "74.10Z": 0.05, "81.21Z": 0.03, "66.19B": 0.02, "10.71C": 0.02,
    "93.12Z": 0.02,
}
TPE_BANDS = {"NN": 0.86, "00": 0.09, "01": 0.03, "02": 0.012, "03": 0.008}
LARGER_BANDS = {"11": 0.6, "12": 0.3, "21": 0.1}


@dataclass
class DemoFiles:
    """Paths of the generated demonstration files."""

    folder: Path
    unites_legales: Path
    etablissements: Path
    urssaf: Path
    unemployment: Path
    treatment: Path
    manifest: Path


def _treated_communes(com: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """PTCE communes with their label year: the real registry, else a seeded draw."""
    reg = raw_dir() / "ptce.csv"
    if reg.exists():
        try:
            from impact import ptce

            poles = ptce.load(reg)
            out = pd.DataFrame({"commune": poles["commune_code"].astype(str),
                                "label_year": poles["label_year"].astype(int)})
            out["origin"] = "registry"
            return out
        except Exception as exc:  # the demo must run even if the registry is being edited
            logger.warning("PTCE registry unusable for the demo (%s); drawing PTCE communes", exc)
    p = com["population"].fillna(0).to_numpy()
    idx = rng.choice(len(com), size=37, replace=False, p=p / p.sum())
    return pd.DataFrame({"commune": com["code"].to_numpy()[idx],
                         "label_year": [2014] * 23 + [2016] * 14, "origin": "seeded draw"})


def effect_multiplier(years_since_label: np.ndarray) -> np.ndarray:
    """1 + injected effect for event times (NaN or negative: no effect)."""
    e = np.asarray(years_since_label, dtype=float)
    eff = np.minimum(DEMO_EFFECT["first_year"] + DEMO_EFFECT["per_year"] * e, DEMO_EFFECT["max"])
    return np.where(np.isfinite(e) & (e >= 0), 1 + eff, 1.0)


def _draw(rng, table: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(table))
    p = np.array(list(table.values()), dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def default_folder(seed: int, scale: float) -> Path:
    return processed_dir() / "demo" / f"seed{seed}-scale{scale:g}"


def generate(out_dir: str | Path | None = None, *, seed: int = 2014, start: int = 2010, end: int = 2020,
             scale: float = 1.0, force: bool = False) -> DemoFiles:
    """Write the demonstration files (atomically) and return their paths.

    Parameters
    ----------
    out_dir
        Folder to create (default ``data/processed/demo/seed<seed>-scale<scale>``).
        Existing complete output with the same parameters is reused unless ``force``.
    seed
        Seed of every random draw: the same seed gives identical files.
    start, end
        Years of creation dates.
    scale
        Fraction of the national volumes to draw (1.0: about 6.9 million legal
        units over 2010–2020; tests use small scales). Per-inhabitant rates are
        ``scale`` times the real ones.
    """
    folder = Path(out_dir) if out_dir else default_folder(seed, scale)
    params = {"seed": seed, "start": start, "end": end, "scale": scale, "version": 1}
    manifest = folder / "manifest.json"
    files = DemoFiles(folder, folder / "StockUniteLegale_demo.parquet",
                      folder / "StockEtablissement_demo.parquet", folder / "urssaf_effectifs_demo.csv",
                      folder / "chomage_localise_demo.xlsx", folder / "ptce_treatment.csv", manifest)
    if manifest.exists() and not force:
        try:
            if json.loads(manifest.read_text())["parameters"] == params:
                logger.info("Reusing demonstration files in %s", folder)
                return files
        except (ValueError, KeyError):
            pass
    from impact.territories import communes

    rng = np.random.default_rng(seed)
    com = pd.DataFrame(communes().drop(columns="geometry"))
    com["population"] = com["population"].fillna(com["population"].median())
    treated = _treated_communes(com, rng)
    dep_of = com.set_index("code")["departement"]
    treated["departement"] = treated["commune"].map(dep_of)
    first_label = treated.groupby("departement")["label_year"].min()

    deps = np.sort(com["departement"].unique())
    dep_pop = com.groupby("departement")["population"].sum().reindex(deps).to_numpy()
    dep_level = np.exp(rng.normal(0, 0.25, len(deps)))  # persistent differences in entrepreneurship
    com_by_dep = {d: g for d, g in com.groupby("departement")}

    logger.info("Generating demonstration SIRENE stock for %d communes, %d–%d (scale %g)",
                len(com), start, end, scale)
    ul_parts, et_parts = [], []
    next_siren = 100_000_000
    for year in range(start, end + 1):
        total = NATIONAL_CREATIONS.get(year, 550_000) * scale
        shock = np.exp(rng.normal(0, 0.03, len(deps)))  # département-year noise
        share = dep_pop * dep_level * shock
        expected = total * share / share.sum()
        e = year - first_label.reindex(deps).to_numpy(dtype=float)
        mult = effect_multiplier(e)
        n_tpe = rng.poisson(expected * TPE_SHARE * mult)
        n_big = rng.poisson(expected * (1 - TPE_SHARE))
        n = n_tpe + n_big
        n_all = int(n.sum())
        commune = np.empty(n_all, dtype=object)
        pos = 0
        for d, k in zip(deps, n, strict=True):
            g = com_by_dep[d]
            p = g["population"].to_numpy()
            commune[pos:pos + k] = g["code"].to_numpy()[rng.choice(len(g), size=k, p=p / p.sum())]
            pos += k
        is_tpe = np.concatenate([np.r_[np.ones(a, bool), np.zeros(b, bool)] for a, b in zip(n_tpe, n_big, strict=True)])
        band = np.where(is_tpe, _draw(rng, TPE_BANDS, n_all), _draw(rng, LARGER_BANDS, n_all))
        month = rng.choice(12, size=n_all, p=MONTH_WEIGHTS / MONTH_WEIGHTS.sum()) + 1
        day = rng.integers(1, 29, size=n_all)
        dates = pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": day})).to_numpy()
        legal = _draw(rng, LEGAL_FORMS, n_all)
        ess = np.where(np.isin(legal, ["9220", "5458"]) | (rng.random(n_all) < 0.003), "O", "N")
        siren_int = np.arange(next_siren, next_siren + n_all)
        next_siren += n_all
        siren = pa.compute.utf8_lpad(pa.array(siren_int).cast(pa.string()), 9, "0")
        dates_pa = pa.array(dates.astype("datetime64[D]"), type=pa.date32())
        ul_parts.append(pa.table({
            "siren": siren,
            "statutDiffusionUniteLegale": pa.array(np.full(n_all, "O")).dictionary_encode(),
            "dateCreationUniteLegale": dates_pa,
            "trancheEffectifsUniteLegale": pa.array(band).dictionary_encode(),
            "categorieJuridiqueUniteLegale": pa.array(legal).dictionary_encode(),
            "activitePrincipaleUniteLegale": pa.array(_draw(rng, NAF_CODES, n_all)).dictionary_encode(),
            "nomenclatureActivitePrincipaleUniteLegale": pa.array(np.full(n_all, "NAFRev2")).dictionary_encode(),
            "economieSocialeSolidaireUniteLegale": pa.array(ess).dictionary_encode(),
            "nicSiegeUniteLegale": pa.array(np.full(n_all, "00011")).dictionary_encode(),
            "etatAdministratifUniteLegale": pa.array(np.full(n_all, "A")).dictionary_encode(),
        }))
        et_parts.append(pa.table({
            "siren": siren,
            "nic": pa.array(np.full(n_all, "00011")).dictionary_encode(),
            "siret": pa.compute.binary_join_element_wise(siren, pa.array(np.full(n_all, "00011")), ""),
            "dateCreationEtablissement": dates_pa,
            "codeCommuneEtablissement": pa.array(commune.astype(str)).dictionary_encode(),
            "etablissementSiege": pa.array(np.ones(n_all, bool)),
            "trancheEffectifsEtablissement": pa.array(band).dictionary_encode(),
            "etatAdministratifEtablissement": pa.array(np.full(n_all, "A")).dictionary_encode(),
        }))
        logger.info("  %d: %d creations", year, n_all)

    # Salaried jobs (URSSAF layout) and unemployment (INSEE workbook), by département.
    years = list(range(start, end + 1))
    dep_tab = pd.DataFrame({"departement": deps, "pop": dep_pop})
    names = com.drop_duplicates("departement").set_index("departement")
    jobs = {}
    for j, year in enumerate(years):
        growth = np.exp(0.008 * j + rng.normal(0, 0.01, len(deps)))
        jobs[f"Effectifs salariés {year}"] = np.round(dep_tab["pop"].to_numpy() * 0.29 * dep_level ** 0.2 * growth)
    urssaf = pd.DataFrame({"Code région": names.loc[deps, "region"].to_numpy(), "Code département": deps, **jobs})
    base_rate = np.clip(rng.normal(9, 2, len(deps)), 5, 25)
    base_rate[np.isin(deps, ["971", "972", "973", "974", "976"])] += 10
    quarters = [f"T{q}_{y}" for y in years for q in range(1, 5)]
    cycle = np.array([0.3 * np.sin(i / 6) - 0.04 * i for i in range(len(quarters))])
    rates = np.round(base_rate[:, None] + cycle[None, :] + rng.normal(0, 0.1, (len(deps), len(quarters))), 1)

    with atomic_dir(folder) as tmp:
        pq.write_table(pa.concat_tables(ul_parts).combine_chunks(), tmp / files.unites_legales.name,
                       row_group_size=1_000_000)
        pq.write_table(pa.concat_tables(et_parts).combine_chunks(), tmp / files.etablissements.name,
                       row_group_size=1_000_000)
        urssaf.to_csv(tmp / files.urssaf.name, sep=";", index=False, encoding="latin-1")
        _write_unemployment(tmp / files.unemployment.name, deps, quarters, rates)
        treated.to_csv(tmp / files.treatment.name, index=False)
        digest = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(tmp.iterdir())}
        (tmp / manifest.name).write_text(json.dumps({"label": DEMO_LABEL, "parameters": params,
                                                     "effect": DEMO_EFFECT, "treated_from": treated["origin"].iloc[0],
                                                     "sha256": digest}, indent=2))
    logger.info("Demonstration files written to %s", folder)
    return files


def _write_unemployment(path: Path, deps: np.ndarray, quarters: list[str], rates: np.ndarray) -> None:
    import openpyxl

    from impact.territories import departements

    names = departements().set_index("departement")["departement_name"]
    wb = openpyxl.Workbook()
    wb.active.title = "Présentation"
    wb["Présentation"]["A1"] = f"Taux de chômage localisés — {DEMO_LABEL}"
    ws = wb.create_sheet("Département")
    ws["A1"] = f"Taux de chômage localisés par département — {DEMO_LABEL}"
    ws["A2"] = "Moyennes trimestrielles, données CVS, en %"
    ws.append([])
    ws.append(["Code", "Libellé", *quarters])
    for d, row in zip(deps, rates, strict=True):
        ws.append([d, names.get(d, d), *row.tolist()])
    ws.append([])
    ws.append([f"Source : {DEMO_LABEL} (impact.demo)"])
    # Fixed document properties keep the file identical for a given seed.
    import datetime as _dt

    wb.properties.created = wb.properties.modified = _dt.datetime(2020, 1, 1)
    wb.save(path)
