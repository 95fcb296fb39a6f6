"""The public files :func:`impact.sources.fetch.fetch` can download.

Official files are replaced in place every month or quarter, so most entries
have no registered checksum (``sha256=None``): the download is accepted with
a logged warning and the checksum of what was downloaded is recorded in a JSON
sidecar for provenance. Register a checksum to pin a given release.

URLs are the stable ones published on data.gouv.fr / insee.fr / open.urssaf.fr
at the time of writing; with ``IMPACT_MIRROR_URL`` (or ``base_url=``) the file
name is fetched from a mirror instead (which is how tests use a local server).

The INSEE Melodi sources (``side_creations_communes``, ``side_stocks_communes``,
``populations_reference``) name a data set: :func:`impact.sources.fetch.fetch`
asks the Melodi catalogue for its newest product (vintage) and falls back to
the registered ``melodi_product``; read them with :mod:`impact.sources.melodi`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """One downloadable file.

    Examples
    --------
    >>> src = get("side_creations_communes")
    >>> src.filename, src.melodi_dataset
    ('DS_SIDE_CREA_ENT_COM_2025_CSV_FR.zip', 'DS_SIDE_CREA_ENT_COM')
    """

    name: str
    url: str
    filename: str
    licence: str
    size: str
    description: str
    sha256: str | None = None
    #: Melodi data set (``DS_…``): the product to download is looked up in the
    #: catalogue ``{MELODI_API}/catalog/{melodi_dataset}``; ``melodi_product``
    #: is the one used when the catalogue cannot be reached (or with a mirror).
    melodi_dataset: str | None = None
    melodi_product: str | None = None


_ETALAB = "Licence Ouverte / Open Licence 2.0 (Etalab)"
#: Base URL of INSEE's Melodi service (``$IMPACT_MELODI_API`` overrides it).
MELODI_API = "https://api.insee.fr/melodi"


def _melodi(name: str, dataset: str, product: str, size: str, description: str) -> Source:
    return Source(name, f"{MELODI_API}/file/{dataset}/{product}", f"{product}.zip", _ETALAB, size,
                  description, melodi_dataset=dataset, melodi_product=product)


_SIRENE = "https://object.files.data.gouv.fr/data-pipeline-open/siren/stock/"

SOURCES: dict[str, Source] = {s.name: s for s in (
    Source("sirene_unites_legales", _SIRENE + "StockUniteLegale_utf8.parquet",
           "StockUniteLegale_utf8.parquet", _ETALAB, "~0.7 GB",
           "SIRENE stock of legal units (INSEE, monthly)"),
    Source("sirene_etablissements", _SIRENE + "StockEtablissement_utf8.parquet",
           "StockEtablissement_utf8.parquet", _ETALAB, "~2 GB",
           "SIRENE stock of establishments (INSEE, monthly)"),
    Source("sirene_unites_legales_csv", _SIRENE + "StockUniteLegale_utf8.zip",
           "StockUniteLegale_utf8.zip", _ETALAB, "~0.5 GB zipped",
           "SIRENE legal units, zipped CSV"),
    Source("sirene_etablissements_csv", _SIRENE + "StockEtablissement_utf8.zip",
           "StockEtablissement_utf8.zip", _ETALAB, "~2 GB zipped",
           "SIRENE establishments, zipped CSV"),
    Source("unemployment", "https://www.insee.fr/fr/statistiques/fichier/1893230/"
           "chomage-zone-t1-2003-t2-2025.xlsx", "chomage-zone-t1-2003-t2-2025.xlsx", _ETALAB,
           "~2 MB", "INSEE localised unemployment rates, quarterly (update the URL each quarter)"),
    Source("urssaf_communes", "https://open.urssaf.fr/api/explore/v2.1/catalog/datasets/"
           "etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last/exports/csv"
           "?delimiter=%3B", "urssaf_effectifs_commune_ape.csv",
           "Open Database License (ODbL) 1.0", "~300 MB",
           "URSSAF establishments and salaried jobs by commune x APE, end of year"),
    _melodi("side_creations_communes", "DS_SIDE_CREA_ENT_COM", "DS_SIDE_CREA_ENT_COM_2025_CSV_FR",
            "~44 MB zipped", "INSEE SIDE enterprise creations by commune, A10 x legal form, "
            "2012-2025 (Melodi; latest vintage from the catalogue)"),
    _melodi("side_stocks_communes", "DS_SIDE_STOCKS_UL_COM", "DS_SIDE_STOCKS_UL_COM_2023_CSV_FR",
            "~22 MB zipped", "INSEE SIDE stocks of legal units by commune (Melodi)"),
    _melodi("populations_reference", "DS_POPULATIONS_REFERENCE",
            "DS_POPULATIONS_REFERENCE_2023_CSV_FR", "~1 MB zipped",
            "INSEE reference (legal) populations by commune (Melodi)"),
)}


def get(name: str) -> Source:
    """The registered source ``name``; the error lists the known ones.

    Examples
    --------
    >>> get("unemployment").filename
    'chomage-zone-t1-2003-t2-2025.xlsx'
    >>> get("nope")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    impact.errors.InputError: unknown source 'nope'; known sources: sirene_unites_legales, ...
    """
    from impact.errors import InputError

    try:
        return SOURCES[name]
    except KeyError:
        raise InputError(f"unknown source {name!r}; known sources: {', '.join(SOURCES)}") from None


def describe() -> str:
    """One line per source (name, size, licence, description), for ``impact fetch --help``.

    Examples
    --------
    >>> describe().splitlines()[0].split()[:3]
    ['sirene_unites_legales', '~0.7', 'GB']
    """
    width = max(len(n) for n in SOURCES)
    return "\n".join(f"{s.name:<{width}}  {s.size:>15}  {s.licence}: {s.description}"
                     for s in SOURCES.values())
