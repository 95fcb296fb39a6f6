"""Calibration of the demonstration data: published national volumes and shares.

The numbers :func:`impact.demo.generate` draws from, with where each comes
from (see ``/work/shared/data/FACTS.md``). Import them from :mod:`impact.demo`.

Examples
--------
>>> from impact.demo import NATIONAL_CREATIONS, TPE_SHARE
>>> NATIONAL_CREATIONS[2015], TPE_SHARE
(525091, 0.985)
>>> round(sum(TPE_BANDS.values()), 3)  # the size bands of TPE creations are a distribution
1.0
"""

from __future__ import annotations

import numpy as np

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
