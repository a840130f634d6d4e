"""Scoring completions and reporting the results; one concern per module.

Per-image scores (the evaluate step, results/metrics/):
    evaluate        the step: check completions, score every mask set x method, write CSVs
    scoring         per-image scores of a batch or of PNG folders (all columns)
    pixel_metrics   PSNR, L1, L2 (full and hole), the hole-border L1, hole ratio
    ssim            SSIM as skimage computes it, vectorised
    perceptual      LPIPS and ST-LPIPS networks, loaded offline
    metrics_csv     the per-image metrics CSV: columns, write, read
    validation      per-image scores on the validation split (results/validation/)
    distribution    FID / KID on InceptionV3 features (results/distribution/)

Reports (the tables step, results/tables/):
    report          the step: every page of results/tables
    summary         means, bootstrap intervals, hole-ratio bins
    tables          summary / by-hole-ratio pages (CSV, markdown, LaTeX) and footnotes
    across_seeds    a multi-seed method's runs aggregated (run names: inpaint.runs)
    stats           paired Wilcoxon tests against the classical baseline, Holm
    claims          the papers' claims decided on the run's numbers
    claim_verdicts  a claim's verdict from its paired tests
    caveats         notes where a row departs from its paper
    loss_notes      notes for methods trained with fewer loss terms than their paper
    htmlpage        markdown pages as HTML for the Snakemake report
    distribution_tables  results/tables/distribution.*
    generalisation  trained on one mask set, tested on each (results/tables/generalisation.*)
    figures         figure grids: real / corrupted / one row per method

Nothing is imported here: ``import inpaint.evaluation.<module>``.
"""
