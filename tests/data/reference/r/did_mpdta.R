## R `did` reference outputs on mpdta: ATT(g,t), the four aggregations and the
## Wald pre-test, for the option sets compared in
## tests/estimate/test_against_references.py.
##
## Writes r_did_mpdta_attgt.csv, r_did_mpdta_aggte.csv and r_did_mpdta_pretest.csv
## (same columns as the committed files). R is not installed on the machine where
## these tests were written: the committed numbers were produced by R `did` 2.5.x
## (see ../README.md for their exact origin); this script is how to regenerate them.
##
## Usage: Rscript did_mpdta.R [output folder]   (run from tests/data/reference/r)
suppressMessages(library(did))

outdir <- if (length(commandArgs(TRUE)) >= 1) commandArgs(TRUE)[1] else ".."
mpdta <- read.csv(file.path("..", "mpdta.csv"))  # identical to did::mpdta

scenarios <- list(
  mpdta_nev_dr      = list(xformla = ~1,    control_group = "nevertreated",  est_method = "dr"),
  mpdta_nyt_dr      = list(xformla = ~1,    control_group = "notyettreated", est_method = "dr"),
  mpdta_nev_reg_cov = list(xformla = ~lpop, control_group = "nevertreated",  est_method = "reg"),
  mpdta_nev_ipw     = list(xformla = ~1,    control_group = "nevertreated",  est_method = "ipw")
)

cells <- list(); aggs <- list(); pretests <- list()
for (name in names(scenarios)) {
  s <- scenarios[[name]]
  # Analytic standard errors (bstrap = FALSE): the bootstrap would make them random.
  out <- att_gt(yname = "lemp", tname = "year", idname = "countyreal", gname = "first.treat",
                xformla = s$xformla, data = mpdta, control_group = s$control_group,
                est_method = s$est_method, base_period = "varying",
                bstrap = FALSE, cband = FALSE)
  cells[[name]] <- data.frame(scenario = name, group = out$group, t = out$t,
                              att = out$att, se = out$se)
  pretests[[name]] <- data.frame(scenario = name, W = out$W, Wpval = out$Wpval)
  for (type in c("simple", "group", "dynamic", "calendar")) {
    ag <- aggte(out, type = type, bstrap = FALSE)
    aggs[[paste(name, type)]] <- data.frame(
      scenario = name, type = type,
      egt = if (is.null(ag$egt)) NA else ag$egt,
      att_egt = if (is.null(ag$att.egt)) NA else ag$att.egt,
      se_egt = if (is.null(ag$se.egt)) NA else ag$se.egt,
      overall_att = ag$overall.att, overall_se = ag$overall.se
    )
  }
}

write.csv(do.call(rbind, cells), file.path(outdir, "r_did_mpdta_attgt.csv"), row.names = FALSE)
write.csv(do.call(rbind, aggs), file.path(outdir, "r_did_mpdta_aggte.csv"), row.names = FALSE)
write.csv(do.call(rbind, pretests), file.path(outdir, "r_did_mpdta_pretest.csv"), row.names = FALSE)
cat("R", R.version$major, ".", R.version$minor, " did ", as.character(packageVersion("did")),
    " DRDID ", as.character(packageVersion("DRDID")), "\n", sep = "")
