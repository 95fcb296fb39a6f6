## HonestDiD README example (Medicaid expansion and insurance, ehec data):
## the robust confidence intervals of honestdid_readme_ehec.csv.
##
## The committed numbers are the ones the HonestDiD README prints (3 significant
## digits); this script follows the README's code, to reproduce them. R is not
## installed where the tests were written.
##
## Usage: Rscript honestdid_ehec.R   (run from tests/data/reference/r)
suppressMessages({library(HonestDiD); library(fixest); library(dplyr)})

df <- read.csv(file.path("..", "ehec.csv"))  # the README reads the same table (ehec_data.dta)
# Keep years before 2016 and drop the 2015 adopters, as the README does.
df <- df %>% filter(year < 2016 & (is.na(yexp2) | yexp2 != 2015)) %>%
  mutate(D = case_when(yexp2 == 2014 ~ 1, TRUE ~ 0))
twfe <- feols(dins ~ i(year, D, ref = 2013) | stfips + year, cluster = "stfips", data = df)
beta <- summary(twfe)$coefficients
sigma <- summary(twfe)$cov.scaled

rm <- createSensitivityResults_relativeMagnitudes(
  betahat = beta, sigma = sigma, numPrePeriods = 5, numPostPeriods = 2,
  Mbarvec = seq(0.5, 2, by = 0.5))
sd <- createSensitivityResults(
  betahat = beta, sigma = sigma, numPrePeriods = 5, numPostPeriods = 2,
  Mvec = seq(0, 0.05, by = 0.01))
out <- rbind(
  data.frame(method = "relative_magnitude", M = rm$Mbar, lb = rm$lb, ub = rm$ub),
  data.frame(method = "smoothness", M = sd$M, lb = sd$lb, ub = sd$ub)
)
print(out, digits = 3)
