## synthdid reference estimates on California's Proposition 99 (synthdid_prop99.csv).
##
## `estimate` is what R synthdid 0.0.9 prints for the three estimators of
## Arkhangelsky et al. (2021) on the package's california_prop99 data (the
## package's vignette "synthdid introduction" shows -15.60383 for SDID; the
## article "paper-results" shows the table below); `estimate_paper` and
## `se_paper` are Table 1 of the paper (placebo standard errors, rounded to 0.1).
## R is not installed where the tests were written: this script is how the
## `estimate` column is reproduced.
##
## Usage: Rscript synthdid_prop99.R   (run from tests/data/reference/r)
suppressMessages(library(synthdid))

data("california_prop99")  # same rows as ../california_prop99.csv
setup <- panel.matrices(california_prop99)
est <- list(
  did = did_estimate(setup$Y, setup$N0, setup$T0),
  sc = sc_estimate(setup$Y, setup$N0, setup$T0),
  sdid = synthdid_estimate(setup$Y, setup$N0, setup$T0)
)
print(sapply(est, c), digits = 7)  # did -27.34911, sc -19.61966, sdid -15.60383
cat("synthdid", as.character(packageVersion("synthdid")), "\n")
