"""The SIRENE nomenclature this project counts with, in one place.

Columns read from the stock files, the size bands of a TPE, the catégories juridiques
of cooperatives, the NAF sections and the indicators produced: used by the reader
(:mod:`impact.sources.sirene`), its file access and its output sinks.
"""

from __future__ import annotations

SOURCE = "insee_sirene"
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"

UL_REQUIRED = (
    "siren", "dateCreationUniteLegale", "trancheEffectifsUniteLegale",
    "categorieJuridiqueUniteLegale", "activitePrincipaleUniteLegale",
    "economieSocialeSolidaireUniteLegale", "nicSiegeUniteLegale",
)
UL_OPTIONAL = ("nomenclatureActivitePrincipaleUniteLegale", "statutDiffusionUniteLegale",
               "etatAdministratifUniteLegale")
ET_REQUIRED = ("siren", "nic", "codeCommuneEtablissement")
ET_OPTIONAL = ("etablissementSiege", "statutDiffusionEtablissement")

#: Size bands of a très petite entreprise (0–9 employees or non-employer).
TPE_BANDS: tuple[str, ...] = ("NN", "00", "01", "02", "03")

#: Catégories juridiques of cooperatives (nomenclature des catégories juridiques,
#: niveau III): SCOP (5458, 5558, 5658), other SARL/SA coopératives (54xx/55xx/56xx
#: "coopérative" items), agricultural cooperatives and CUMA (6316-6318),
#: cooperative banks (5191-5196 range). SCIC have no code of their own: they
#: are registered under these "coopérative" SARL/SA/SAS items.
COOPERATIVE_CODES: frozenset[str] = frozenset({
    "5191", "5192", "5193", "5194", "5195", "5196",
    "5432", "5443", "5451", "5453", "5454", "5455", "5458", "5459", "5460",
    "5532", "5542", "5543", "5546", "5547", "5551", "5552", "5553", "5554", "5555",
    "5558", "5559", "5560",
    "5631", "5632", "5642", "5643", "5646", "5647", "5651", "5652", "5653", "5654",
    "5655", "5658", "5659", "5660",
    "6316", "6317", "6318", "6532", "6533", "6558", "6595",
})
LEGAL_GROUPS: tuple[str, ...] = ("individual", "company", "association", "cooperative", "other")

#: NAF rév. 2 sections by division (first two digits of the activity code).
NAF_SECTIONS: dict[str, tuple[int, int]] = {
    "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43),
    "G": (45, 47), "H": (49, 53), "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68),
    "M": (69, 75), "N": (77, 82), "O": (84, 84), "P": (85, 85), "Q": (86, 88), "R": (90, 93),
    "S": (94, 96), "T": (97, 98), "U": (99, 99),
}

INDICATORS: tuple[str, ...] = (
    "creations_total", "creations_tpe", "creations_ess",
    *(f"creations_legal_{g}" for g in LEGAL_GROUPS),
    *(f"creations_naf_{s}" for s in NAF_SECTIONS),
)
