"""honest_did against moderndid on HonestDiD's Medicaid example: time and agreement.

Relative magnitudes (C-LF hybrid, 1,000-point grid, 5 pre- and 2 post-periods),
the same inputs for both (TWFE event study of the ehec data shipped with
moderndid). impact's version replaces the linear programs by an enumeration
of the vertices of the dual polytope and scans the grid coarse-to-fine.

    PYTHONPATH=src python benchmarks/bench_honest.py [Mbar ...]
"""

from __future__ import annotations

import sys
import time
import warnings

from impact.estimate import honest_did, twfe


def medicaid():
    from moderndid.core.data import load_ehec

    df = load_ehec().to_pandas()
    df = df[(df.year < 2016) & (df.yexp2.isna() | (df.yexp2 != 2015))].copy()
    names = []
    for y in sorted(df.year.unique()):
        if y != 2013:
            df[f"y{y}"] = ((df.year == y) & (df.yexp2 == 2014)).astype(float)
            names.append(f"y{y}")
    fit = twfe(df, outcome="dins", unit="stfips", time="year", treatment=names, cluster="stfips")
    return fit.table["estimate"].to_numpy(), fit.vcov().to_numpy()


def main(mbars: list[float]) -> None:
    from moderndid.didhonest.sensitivity import create_sensitivity_results_rm

    b, V = medicaid()
    t0 = time.perf_counter()
    ours = honest_did(b, V, num_pre_periods=5, num_post_periods=2, M=mbars)
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = create_sensitivity_results_rm(b, V, 5, 2, m_bar_vec=mbars)
    t_peer = time.perf_counter() - t0
    for i, m in enumerate(mbars):
        print(f"Mbar={m:g}: impact [{ours.table['ci_low'][i]:.5f}, {ours.table['ci_high'][i]:.5f}]"
              f"  moderndid [{peer['lb'][i]:.5f}, {peer['ub'][i]:.5f}]")
    print(f"impact {t_ours:.1f} s, moderndid {t_peer:.1f} s, ratio {t_peer / t_ours:.0f}x "
          "(shared, busy machine)")


if __name__ == "__main__":
    main([float(a) for a in sys.argv[1:]] or [1.0])
